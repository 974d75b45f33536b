"""A user's own images: a folder of PNG/JPEG files, or a uint8 npz array.

Both are read and validated completely when loaded, so a bad file stops the
run before any training starts, with an error naming the file. Both are held
in memory, which suits the small and medium datasets these specs are for;
large collections belong in TFDS.

A folder's images are always loaded as 8-bit RGB, so the event shape depends
on the spec alone, never on which files a folder happens to hold (a resumed
run must see the shape it was trained on):

* grayscale files (and JPEGs stored as grayscale) are copied to the three
  channels, so grayscale and colour files may be mixed in one folder;
* 16-bit PNGs keep their top 8 bits (value >> 8, flooring as `n_bits` does);
* an alpha channel is dropped when every pixel is opaque; an image with any
  transparent or translucent pixel is an error, since the colour under such a
  pixel is undefined (often black) and would be learnt as if it were real;
* a file that is not a PNG or JPEG, or one truncated or corrupt, is an error
  naming the file.

An npz array is used exactly as stored: it must be uint8 [N, H, W, C] with
N >= 2 and H, W, C >= 1; any other dtype or rank is an error rather than a
guess at how to rescale or reshape it.

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
import re
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


# Leading bytes of the formats the images: spec promises (PNG, JPEG/JFIF).
_SIGNATURES = {"PNG": b"\x89PNG\r\n\x1a\n", "JPEG": b"\xff\xd8\xff"}
_OPAQUE = 255
# Every zip archive, and so every .npz, starts with these two bytes.
_ZIP_SIGNATURE = b"PK"
# How much of a file's start an error message shows.
_START_SHOWN = 16


def _describe_start(contents: bytes) -> str:
    """What a file of the wrong kind starts with, as error messages say it."""
    if not contents:
        return "is empty"
    return f"starts with {contents[:_START_SHOWN]!r}"


def _decoder_reason(error: tf.errors.InvalidArgumentError) -> str:
    """The decoder's words, without TensorFlow's op and device decoration."""
    message = error.message.splitlines()[0]
    message = re.sub(r"^\{\{[^}]*\}\}\s*", "", message)
    return re.sub(r"\s*\[Op:\w+\]$", "", message)


def _decode(path: pathlib.Path) -> tf.Tensor:
    """One file as a uint8 [H, W, C] tensor in its own channels (1 to 4)."""
    try:
        contents = path.read_bytes()
    except OSError as error:
        raise errors.DataError(
            f"{path}: cannot be read ({error.strerror})") from None
    try:
        # 16-bit PNGs come back floored to 8 bits: dtype=uint8 converts them.
        return tf.io.decode_image(contents, expand_animations=False)
    except tf.errors.InvalidArgumentError as error:
        kind = next((name for name, signature in _SIGNATURES.items()
                     if contents.startswith(signature)), None)
        if kind is None:
            raise errors.DataError(
                f"{path}: not a PNG or JPEG image (the file "
                f"{_describe_start(contents)})") from None
        raise errors.DataError(
            f"{path}: truncated or corrupt {kind} data "
            f"({_decoder_reason(error)})") from None


def _to_rgb(image: tf.Tensor, path: pathlib.Path) -> tf.Tensor:
    """RGB from grayscale, gray+alpha, RGB or RGBA (opaque only; see above)."""
    channels = image.shape[-1]
    if channels in (2, 4):
        alpha = image[..., -1].numpy()
        see_through = int(np.count_nonzero(alpha < _OPAQUE))
        if see_through:
            raise errors.DataError(
                f"{path}: {see_through} of its {alpha.size} pixels are "
                f"transparent or translucent (alpha < {_OPAQUE}); the colour "
                f"under them is undefined, so flatten the image onto a "
                f"background first")
        image = image[..., :-1]
    if channels <= 2:
        image = tf.image.grayscale_to_rgb(image)
    return image


def _decode_rgb(path: pathlib.Path, side: int) -> np.ndarray:
    """Decodes one file to RGB, centre-cropped to a square of `side` pixels."""
    image = _to_rgb(_decode(path), path)
    return transforms.centre_square(image, side).numpy()


def load_image_folder(path: str, *, n_bits: int,
                      image_size: int | None) -> image_dataset.ImageDataset:
    """Loads every PNG/JPEG below `path` as RGB, `image_size` pixels square.

    Each image is centre-cropped to its largest square and resized to
    `image_size` (default 32). Files with other extensions are ignored.

    Raises:
      errors.DataError: (a ValueError) naming the path, if it is not a
        folder, holds no image, or leaves the train or test split empty;
        naming the file, if one is unreadable, not a PNG or JPEG, truncated
        or corrupt, or has transparent pixels (see the module docstring).
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
        start = file.read(_START_SHOWN)
        file.seek(0)
        if start.startswith(np.lib.format.MAGIC_PREFIX):
            raise errors.DataError(
                f"{path}: holds a single array, not an .npz archive; "
                f"save it with np.savez(path, images=array)")
        # Checked here because np.load takes any other bytes for a pickle.
        if not start.startswith(_ZIP_SIGNATURE):
            raise errors.DataError(
                f"{path}: not an .npz archive (the zip of .npy arrays that "
                f"np.savez writes); the file {_describe_start(start)}")
        try:
            archive = np.load(file, allow_pickle=False)
            key = _images_key(path, archive.files)
            images = archive[key]
        except errors.DataError:
            raise
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise errors.DataError(
                f"{path}: not a readable .npz file ({error})") from None
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
    if 0 in images.shape[1:]:
        raise errors.DataError(
            f"{path}: array {key!r} has shape {images.shape}; its images "
            f"have no pixels (H, W and C must be at least 1)")
    return images


def _images_key(path: pathlib.Path, names: list[str]) -> str:
    """`images`, or the only array's name (only the chosen array is read)."""
    if "images" in names:
        return "images"
    if len(names) == 1:
        return names[0]
    raise errors.DataError(
        f"{path}: has arrays {sorted(names)}; expected one named "
        f"'images' or a single array")


def load_npz(path: str, *, n_bits: int,
             image_size: int | None) -> image_dataset.ImageDataset:
    """Loads a uint8 [N, H, W, C] array; the last 10% are the test set.

    Raises:
      errors.DataError: (a ValueError) naming the file, if it is missing or
        unreadable, has no usable array, the array is not uint8 of rank 4,
        has fewer than 2 images or images without pixels, or `image_size` is
        given and differs from the images' square size.
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
