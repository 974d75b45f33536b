"""The dataset object every model and training loop consumes.

An `ImageDataset` hides where images come from (the embedded file, TFDS, a
folder, an npz) behind one small interface: uint8 batches of a known event
shape, already reduced to `n_bits` per value, with known split sizes. Keeping
the values integral (rather than scaled floats) leaves dequantisation and
scaling to the model, where they belong in the bits/dim accounting.
"""

import dataclasses
from typing import Mapping, Protocol

import numpy as np
import tensorflow as tf

from tfp_flows import errors

SPLITS = ("train", "test")

# Examples per batch when walking a split to count pixel values.
_COUNTING_BATCH_SIZE = 500


class ImageSource(Protocol):
    """Where a dataset's 8-bit images come from, split by split."""

    def batches(self, split: str, batch_size: int, *, shuffle_seed: int | None,
                repeat: bool, drop_remainder: bool) -> tf.data.Dataset:
        """Batches of uint8 [B, H, W, C] images at full 8-bit depth.

        With `shuffle_seed=None` the split comes in its fixed order.
        """


class ArraySource:
    """Images held in memory, one uint8 [N, H, W, C] array per split.

    Shuffling permutes indices and gathers batches, so a checkpointed iterator
    stores a buffer of int64 indices rather than of images, and the
    permutation covers the whole split instead of a window of it.
    """

    def __init__(self, splits: Mapping[str, np.ndarray]):
        self._splits = dict(splits)

    def batches(self, split: str, batch_size: int, *, shuffle_seed: int | None,
                repeat: bool, drop_remainder: bool) -> tf.data.Dataset:
        images = tf.constant(self._splits[split])
        num_examples = self._splits[split].shape[0]
        indices = tf.data.Dataset.range(num_examples)
        if shuffle_seed is not None:
            indices = indices.shuffle(num_examples, seed=shuffle_seed,
                                      reshuffle_each_iteration=True)
        if repeat:
            indices = indices.repeat()
        indices = indices.batch(batch_size, drop_remainder=drop_remainder)
        return indices.map(lambda i: tf.gather(images, i))


@dataclasses.dataclass(frozen=True)
class ImageDataset:
    """A train/test pair of image splits with a fixed event shape.

    Made by `load_dataset`, which validates the data first.

    Attributes:
      name: the spec it was loaded from, e.g. "cifar10" or "npz:/data/x.npz".
      event_shape: (height, width, channels) of one image.
      n_bits: bits per value; values lie in [0, 2**n_bits).
      num_train: number of training images.
      num_test: number of test images.
      source: where the 8-bit images come from.
    """

    name: str
    event_shape: tuple[int, int, int]
    n_bits: int
    num_train: int
    num_test: int
    source: ImageSource = dataclasses.field(repr=False, compare=False)

    @property
    def num_values(self) -> int:
        """How many distinct values a pixel channel can take: 2**n_bits."""
        return 2 ** self.n_bits

    def train(self, batch_size: int, *, seed: int, shuffle: bool = True,
              repeat: bool = True) -> tf.data.Dataset:
        """Training batches: uint8 [batch_size, H, W, C], every batch full.

        The order is a deterministic function of `seed`, and the iterator can
        be saved with `tf.train.Checkpoint(iterator=...)` to resume mid-epoch.
        """
        if not 1 <= batch_size <= self.num_train:
            raise errors.DataError(
                f"batch_size must be in [1, {self.num_train}] (the size of "
                f"{self.name}'s training split), got {batch_size}")
        batches = self.source.batches("train", batch_size,
                                      shuffle_seed=seed if shuffle else None,
                                      repeat=repeat, drop_remainder=True)
        return self._reduce_bits(batches)

    def test(self, batch_size: int) -> tf.data.Dataset:
        """Test batches in a fixed order; the last batch may be smaller."""
        if batch_size < 1:
            raise errors.ConfigError(
                f"batch_size must be positive, got {batch_size}")
        batches = self.source.batches("test", batch_size, shuffle_seed=None,
                                      repeat=False, drop_remainder=False)
        return self._reduce_bits(batches)

    def pixel_counts(self, split: str) -> np.ndarray:
        """Counts of each value at each position: int64 [H, W, C, 2**n_bits].

        The sufficient statistics of a per-pixel categorical model; see
        `baseline.per_pixel_baseline_bits_per_dim`.
        """
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
        batches = self.source.batches(split, _COUNTING_BATCH_SIZE, shuffle_seed=None,
                                      repeat=False, drop_remainder=False)
        num_positions = int(np.prod(self.event_shape))
        # Offsetting each position's values by position * num_values turns the
        # per-position histograms into one flat bincount.
        offsets = np.arange(num_positions, dtype=np.int64) * self.num_values
        counts = np.zeros(num_positions * self.num_values, dtype=np.int64)
        for batch in self._reduce_bits(batches).as_numpy_iterator():
            flat = batch.reshape(batch.shape[0], num_positions) + offsets
            counts += np.bincount(flat.ravel(), minlength=counts.size)
        return counts.reshape(*self.event_shape, self.num_values)

    def _reduce_bits(self, batches: tf.data.Dataset) -> tf.data.Dataset:
        """Keeps the top n_bits of each 8-bit value (flooring, as Glow does)."""
        if self.n_bits < 8:
            shift = tf.constant(8 - self.n_bits, tf.uint8)
            batches = batches.map(lambda x: tf.bitwise.right_shift(x, shift))
        return batches.prefetch(tf.data.AUTOTUNE)


def from_arrays(name: str, splits: Mapping[str, np.ndarray],
                n_bits: int) -> ImageDataset:
    """An ImageDataset over in-memory uint8 [N, H, W, C] "train" and "test" arrays."""
    return ImageDataset(
        name=name, event_shape=tuple(int(d) for d in splits["train"].shape[1:]),
        n_bits=n_bits, num_train=len(splits["train"]), num_test=len(splits["test"]),
        source=ArraySource(splits))
