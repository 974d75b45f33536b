"""Standard benchmarks read from TensorFlow Datasets (TFDS), never downloaded here.

The library only reads datasets that were prepared beforehand: asking TFDS to
download from a machine without internet retries for minutes before failing,
and a training job should fail at start-up with instructions instead. So
`load_tfds` checks availability at once and raises `DatasetNotAvailableError`
with the command that prepares the data on a machine that has internet.

Splits: "test" is TFDS's "test" split, except for imagenet_resized, which has
none and whose "validation" split is used as the test set.

Note on ImageNet: `imagenet_resized/32x32` and `imagenet_resized/64x64` are
TFDS's resized ImageNet (the box-resized images of Chrabaszcz et al., 2017,
with TFDS's own train/validation split). They are NOT the downsampled ImageNet
files of van den Oord et al. (2016) on which RealNVP, Glow and most flow papers
report bits/dim, so numbers on them are not directly comparable to the papers'.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Callable, TYPE_CHECKING

import tensorflow as tf

from tfp_flows import errors
from tfp_flows.data import image_dataset
from tfp_flows.data import transforms

if TYPE_CHECKING:
    import tensorflow_datasets as tfds

# CelebA faces are centre-cropped to this square before resizing, following
# RealNVP's preprocessing (which crops 148x148 from the 218x178 images).
CELEB_A_CROP = 148
CELEB_A_DEFAULT_SIZE = 64

# Shuffle window for TFDS splits, which are too large to permute in memory.
# TFDS already shuffles examples when it writes a dataset, so a window over
# the stored order suffices.
_SHUFFLE_BUFFER = 10_000


class DatasetNotAvailableError(errors.DataError):
    """A TFDS dataset has not been prepared in the data_dir that was searched."""


@dataclasses.dataclass(frozen=True)
class _TfdsSpec:
    tfds_name: str
    test_split: str
    resizable: bool  # whether `image_size` applies (else the native size is used)


TFDS_DATASETS = {
    "mnist": _TfdsSpec("mnist", "test", resizable=False),
    "cifar10": _TfdsSpec("cifar10", "test", resizable=False),
    "celeb_a": _TfdsSpec("celeb_a", "test", resizable=True),
    "imagenet_resized/32x32": _TfdsSpec("imagenet_resized/32x32", "validation",
                                        resizable=False),
    "imagenet_resized/64x64": _TfdsSpec("imagenet_resized/64x64", "validation",
                                        resizable=False),
}


def prepare_command(name: str, data_dir: str) -> str:
    """A command that downloads and prepares `name` into `data_dir`.

    It calls the builder directly because the `tfds build` command line of
    tensorflow-datasets 4.9.10 (and the download_and_prepare script that wraps
    it) fails at start-up unless apache-beam is installed.
    """
    return ("python -c \"import tensorflow_datasets as tfds; "
            f"tfds.builder('{name}', data_dir='{data_dir}').download_and_prepare()\"")


def _crop_and_resize_face(image: tf.Tensor, side: int) -> tf.Tensor:
    return transforms.resize_uint8(transforms.centre_crop(image, CELEB_A_CROP), side)


class _StreamSource:
    """Streams unbatched 8-bit images from one tf.data.Dataset per split."""

    def __init__(self, images: dict[str, tf.data.Dataset]):
        self._images = images

    def batches(self, split: str, batch_size: int, *, shuffle_seed: int | None,
                repeat: bool, drop_remainder: bool) -> tf.data.Dataset:
        images = self._images[split]
        if shuffle_seed is not None:
            buffer_size = min(_SHUFFLE_BUFFER, int(images.cardinality()))
            images = images.shuffle(buffer_size, seed=shuffle_seed,
                                    reshuffle_each_iteration=True)
        if repeat:
            images = images.repeat()
        return images.batch(batch_size, drop_remainder=drop_remainder)


def _read_images(builder: tfds.core.DatasetBuilder, split: str,
                 preprocess: Callable[[tf.Tensor], tf.Tensor] | None) -> tf.data.Dataset:
    """A split's images, one by one, in TFDS's stored order.

    Raises AssertionError at once (TFDS's own check, which never downloads)
    when the dataset's files are missing.
    """
    examples = builder.as_dataset(split=split, shuffle_files=False)
    if preprocess is None:
        return examples.map(lambda example: example["image"])
    return examples.map(lambda example: preprocess(example["image"]),
                        num_parallel_calls=tf.data.AUTOTUNE)


def _split_size(images: tf.data.Dataset, name: str, split: str) -> int:
    """The size TFDS attaches to a split, read as the dataset's cardinality."""
    size = int(images.cardinality())
    if size <= 0:
        raise errors.DataError(
            f"TFDS dataset {name!r}: the size of its {split} split is unknown "
            f"or zero ({size})")
    return size


def load_tfds(name: str, *, n_bits: int, data_dir: str | None,
              image_size: int | None) -> image_dataset.ImageDataset:
    """Opens a prepared TFDS dataset; see the module docstring for the rules.

    Raises:
      DatasetNotAvailableError: at once, if the dataset is not prepared in
        `data_dir` (TFDS's default folder when None).
      errors.ConfigError: (a ValueError) if `image_size` is given for a
        fixed-size dataset and differs from its native size.
    """
    # Imported on use: every tool starts half a second sooner without it.
    import tensorflow_datasets as tfds  # pylint: disable=g-import-not-at-top
    spec = TFDS_DATASETS[name]
    builder = tfds.builder(spec.tfds_name, data_dir=data_dir)
    native_shape = tuple(builder.info.features["image"].shape)
    if spec.resizable:
        size = image_size or CELEB_A_DEFAULT_SIZE
        event_shape = (size, size, native_shape[-1])
        preprocess = functools.partial(_crop_and_resize_face, side=size)
    else:
        if image_size is not None and native_shape[:2] != (image_size, image_size):
            raise errors.ConfigError(
                f"{name} images are {native_shape[0]}x{native_shape[1]}; "
                f"image_size={image_size} is not supported for it")
        event_shape, preprocess = native_shape, None
    tfds_splits = {"train": "train", "test": spec.test_split}
    try:
        images = {split: _read_images(builder, tfds_split, preprocess)
                  for split, tfds_split in tfds_splits.items()}
    except AssertionError as error:
        root = data_dir or tfds.core.constants.DATA_DIR
        raise DatasetNotAvailableError(
            f"TFDS dataset {spec.tfds_name!r} is not prepared: no data in "
            f"{builder.data_dir} (data_dir {root!r}). This library never "
            f"downloads. On a machine with internet, run "
            f"`{prepare_command(spec.tfds_name, root)}` "
            f"(or `tfds build {spec.tfds_name} --data_dir={root}`, which needs "
            f"apache-beam installed), then copy {root} here and pass it as "
            f"data_dir.") from error
    return image_dataset.ImageDataset(
        name=name, event_shape=tuple(int(d) for d in event_shape), n_bits=n_bits,
        num_train=_split_size(images["train"], name, "train"),
        num_test=_split_size(images["test"], name, tfds_splits["test"]),
        source=_StreamSource(images))
