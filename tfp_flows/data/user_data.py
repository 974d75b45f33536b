"""A user's own images: a folder of PNG/JPEG files, or a uint8 npz array.

Both are read and validated completely when loaded, so a bad file stops the
run before any training starts, with an error naming the file. Both are held
in memory, which suits the small and medium datasets these specs are for;
large collections belong in TFDS.

The train/test splits are deterministic so that test bits/dim are comparable
across runs and machines:

* folder: a file is in the test set when the sha256 of its path relative to
  the folder, read as an integer, is divisible by 10 (about 1 in 10 files), so
  adding or removing files never moves the others between splits;
* npz: the last 10% of the array (at least one image) is the test set.
"""

import hashlib
import os
import pathlib
import zipfile

import numpy as np
import tensorflow as tf

from tfp_flows import errors
from tfp_flows.data import image_dataset
from tfp_flows.data import transforms

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
DEFAULT_IMAGE_SIZE = 32
_TEST_EVERY = 10


def _is_test_file(relative_path: str) -> bool:
    digest = hashlib.sha256(relative_path.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % _TEST_EVERY == 0


def _image_files(folder: pathlib.Path) -> list[str]:
    """Image paths below `folder`, relative to it, as sorted POSIX strings."""
    found = []
    for directory, _, names in os.walk(folder):
        for file_name in names:
            if file_name.lower().endswith(IMAGE_EXTENSIONS):
                found.append((pathlib.Path(directory) / file_name)
                             .relative_to(folder).as_posix())
    return sorted(found)


def _decode_rgb(path: pathlib.Path, side: int) -> np.ndarray:
    """Decodes one file to RGB, centre-cropped to a square of `side` pixels."""
    try:
        image = tf.io.decode_image(path.read_bytes(), channels=3,
                                   expand_animations=False)
    except tf.errors.InvalidArgumentError as error:
        raise errors.DataError(
            f"{path}: cannot be decoded as an image "
            f"({error.message.splitlines()[0]})") from None
    return transforms.centre_square(image, side).numpy()


def load_image_folder(path: str, *, n_bits: int,
                      image_size: int | None) -> image_dataset.ImageDataset:
    """Loads every PNG/JPEG below `path` as RGB, `image_size` pixels square.

    Each image is centre-cropped to its largest square and resized to
    `image_size` (default 32). Files with other extensions are ignored.

    Raises:
      errors.DataError: (a ValueError) naming the path, if it is not a
        folder, holds no image, holds an undecodable image, or leaves the
        train or test split empty.
    """
    folder = pathlib.Path(path)
    if not folder.is_dir():
        raise errors.DataError(f"{folder}: not a folder (images: spec)")
    files = _image_files(folder)
    if not files:
        raise errors.DataError(f"{folder}: no image files ({', '.join(IMAGE_EXTENSIONS)})")
    side = image_size or DEFAULT_IMAGE_SIZE
    splits = {"train": [], "test": []}
    for relative_path in files:
        split = "test" if _is_test_file(relative_path) else "train"
        splits[split].append(_decode_rgb(folder / relative_path, side))
    for split, images in splits.items():
        if not images:
            raise errors.DataError(
                f"{folder}: the {split} split is empty ({len(files)} images, of which "
                f"about 1 in {_TEST_EVERY} go to test by a hash of the file name); "
                f"add more images")
    arrays = {split: np.stack(images) for split, images in splits.items()}
    return image_dataset.from_arrays(f"images:{path}", arrays, n_bits)


def _read_npz_images(path: pathlib.Path) -> np.ndarray:
    """The `images` array of an npz, or its only array, checked to be uint8 NHWC."""
    if not path.is_file():
        raise errors.DataError(f"{path}: no such file (npz: spec)")
    # Opening the file here (not in np.load) closes it even when np.load fails.
    with open(path, "rb") as file:
        try:
            loaded = np.load(file, allow_pickle=False)
            arrays = dict(loaded.items()) if isinstance(loaded, np.lib.npyio.NpzFile) else None
        except (ValueError, OSError, zipfile.BadZipFile) as error:
            raise errors.DataError(f"{path}: not a readable .npz file ({error})") from None
    if arrays is None:
        raise errors.DataError(
            f"{path}: holds a single array, not an .npz archive; "
            f"save it with np.savez(path, images=array)")
    if "images" in arrays:
        key = "images"
    elif len(arrays) == 1:
        (key,) = arrays
    else:
        raise errors.DataError(
            f"{path}: has arrays {sorted(arrays)}; expected one named "
            f"'images' or a single array")
    images = arrays[key]
    if not isinstance(images, np.ndarray):  # NpzFile returns non-npy members as bytes
        raise errors.DataError(f"{path}: member {key!r} is not a readable .npy array")
    if images.dtype != np.uint8 or images.ndim != 4:
        raise errors.DataError(
            f"{path}: array {key!r} is {images.dtype} with shape "
            f"{images.shape}; expected uint8 [N, H, W, C]")
    if images.shape[0] < 2:
        raise errors.DataError(
            f"{path}: array {key!r} has {images.shape[0]} images; "
            f"at least 2 are needed for a train and a test split")
    return images


def load_npz(path: str, *, n_bits: int,
             image_size: int | None) -> image_dataset.ImageDataset:
    """Loads a uint8 [N, H, W, C] array; the last 10% are the test set.

    Raises:
      errors.DataError: (a ValueError) naming the file, if it is missing or
        unreadable, has no usable array, the array is not uint8 of rank 4, or
        `image_size` is given and differs from the images' square size.
    """
    images = _read_npz_images(pathlib.Path(path))
    height, width = images.shape[1:3]
    if image_size is not None and (height, width) != (image_size, image_size):
        raise errors.DataError(
            f"{path}: images are {height}x{width}; npz images are "
            f"used as they are, so image_size={image_size} cannot apply")
    num_test = max(1, images.shape[0] // _TEST_EVERY)
    arrays = {"train": images[:-num_test], "test": images[-num_test:]}
    return image_dataset.from_arrays(f"npz:{path}", arrays, n_bits)
