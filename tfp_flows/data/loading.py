"""`load_dataset`: one string names every dataset the library can train on.

A single spec string keeps command lines and experiment configs simple
("cifar10", "npz:/data/faces.npz"), and an `ImageDataset`'s `name` is the spec
it came from, so it can be logged and loaded again.
"""

from tfp_flows import errors
from tfp_flows.data import embedded
from tfp_flows.data import image_dataset
from tfp_flows.data import tfds_datasets
from tfp_flows.data import user_data

EMBEDDED = "embedded"
IMAGES_PREFIX = "images:"
NPZ_PREFIX = "npz:"
VALID_SPECS = (EMBEDDED, *tfds_datasets.TFDS_DATASETS,
               f"{IMAGES_PREFIX}/path/to/folder", f"{NPZ_PREFIX}/path/to/file.npz")


def load_dataset(spec: str = EMBEDDED, *, n_bits: int = 8, data_dir: str | None = None,
                 image_size: int | None = None) -> image_dataset.ImageDataset:
    """Loads and validates a dataset, before any training starts.

    Args:
      spec: one of
        "embedded": 5,000 real MNIST digits shipped in the package (4,000
          train, 1,000 test; 28x28x1); needs nothing else.
        "mnist", "cifar10", "celeb_a", "imagenet_resized/32x32",
          "imagenet_resized/64x64": TFDS datasets, which must already be
          prepared in `data_dir`. celeb_a is centre-cropped to 148x148, then
          resized to `image_size` (default 64). imagenet_resized is TFDS's
          resized ImageNet, not the papers' downsampled ImageNet files (see
          `tfds_datasets`).
        "images:/path/to/folder": the PNG/JPEG files below the folder, as RGB,
          centre-cropped to a square and resized to `image_size` (default 32).
          Grayscale is copied to RGB, 16-bit PNGs keep their top 8 bits, and
          alpha is dropped if opaque, an error otherwise (see `user_data`).
        "npz:/path/to/file.npz": a uint8 [N, H, W, C] array stored as `images`
          or as the file's only array; the last 10% are the test set.
      n_bits: bits per value, 1 to 8; lower depths floor each 8-bit value
        (x >> (8 - n_bits)).
      data_dir: where prepared TFDS datasets live (TFDS's default when None);
        only read for TFDS specs.
      image_size: side of the square images for celeb_a and images: specs;
        for the others it must be None or their native size.

    Returns:
      An ImageDataset whose split sizes and event shape are known.

    Raises:
      DatasetNotAvailableError: at once, for a TFDS dataset not prepared in
        `data_dir`, with the command that prepares it.
      errors.ConfigError: for an unknown spec or bad arguments (n_bits,
        image_size).
      errors.DataError: for a missing or invalid file, naming the file and the
        problem.
      Both are ValueErrors.
    """
    if not isinstance(n_bits, int) or not 1 <= n_bits <= 8:
        raise errors.ConfigError(
            f"n_bits must be an integer from 1 to 8, got {n_bits!r}")
    if image_size is not None and image_size < 1:
        raise errors.ConfigError(f"image_size must be positive, got {image_size}")
    if spec == EMBEDDED:
        return _load_embedded(n_bits, image_size)
    if spec in tfds_datasets.TFDS_DATASETS:
        return tfds_datasets.load_tfds(spec, n_bits=n_bits, data_dir=data_dir,
                                       image_size=image_size)
    for prefix, load in ((IMAGES_PREFIX, user_data.load_image_folder),
                         (NPZ_PREFIX, user_data.load_npz)):
        if spec.startswith(prefix) and spec[len(prefix):]:
            return load(spec[len(prefix):], n_bits=n_bits, image_size=image_size)
    raise errors.ConfigError(
        f"unknown dataset spec {spec!r}; valid specs: {', '.join(VALID_SPECS)}")


def _load_embedded(n_bits: int, image_size: int | None) -> image_dataset.ImageDataset:
    if image_size not in (None, 28):
        raise errors.ConfigError(
            f"the embedded digits are 28x28; image_size={image_size} is not "
            f"supported for them")
    splits = embedded.load_mnist_5k()
    arrays = {split: data.images for split, data in splits.items()}
    return image_dataset.from_arrays(EMBEDDED, arrays, n_bits)
