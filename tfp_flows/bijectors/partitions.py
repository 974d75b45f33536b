"""How a coupling layer divides an image into a conditioning and a changed half.

A partition splits `x` into `(x_cond, x_change)` and merges them back. The
conditioning network sees `network_input(x_cond)` and its output is read at the
changed half's positions by `params_for_change(h)`. `swap=True` exchanges the
roles of the two halves (Flow++'s TupleFlip between couplings).

- `'channels'`: first / second half of the channels.
- `'columns'`: even / odd columns, each half `[H, W/2, C]`; the network sees
  only its half (Flow++'s "checkerboard", as the authors' code does it).
- `'checkerboard'`: pixels with `(i + j)` even / odd (RealNVP). Each half is
  packed as `[H, W/2, C]`; the network sees the conditioning half placed back
  in the full image with zeros elsewhere, so its convolutions see true
  neighbourhoods, and its output is read at the changed half's pixels.
"""

import tensorflow as tf

from tfp_flows import errors


class Partition:
  """Base class; subclasses implement `_split`, `_merge` and shapes."""

  name = None

  def __init__(self, swap=False):
    self.swap = bool(swap)

  def split(self, x):
    first, second = self._split(x)
    return (second, first) if self.swap else (first, second)

  def merge(self, x_cond, x_change):
    if self.swap:
      return self._merge(x_change, x_cond)
    return self._merge(x_cond, x_change)

  def half_shapes(self, event_shape):
    """Static `(cond_shape, change_shape)` for an `(H, W, C)` event."""
    first, second = self._half_shapes(tuple(int(d) for d in event_shape))
    return (second, first) if self.swap else (first, second)

  def network_input(self, x_cond):
    return x_cond

  def params_for_change(self, h):
    return h

  def _split(self, x):
    raise NotImplementedError

  def _merge(self, first, second):
    raise NotImplementedError

  def _half_shapes(self, event_shape):
    raise NotImplementedError


class ChannelPartition(Partition):
  name = "channels"

  def _half_shapes(self, event_shape):
    h, w, c = event_shape
    if c < 2:
      raise errors.ShapeError(
          f"A 'channels' partition needs at least 2 channels; the event has "
          f"shape {event_shape}.")
    return (h, w, c - c // 2), (h, w, c // 2)

  def _split(self, x):
    # tf.split, not indexing: the gradient of an index is a strided write
    # into a zeroed copy of `x`, the split's a concatenation.
    channels = x.shape[-1]
    return tf.split(x, [channels - channels // 2, channels // 2], axis=-1)

  def _merge(self, first, second):
    return tf.concat([first, second], axis=-1)


class _PairedColumns(Partition):
  """Shared packing of an image into two `[H, W/2, C]` halves."""

  def _half_shapes(self, event_shape):
    h, w, c = event_shape
    if w % 2:
      raise errors.ShapeError(
          f"A '{self.name}' partition needs an even width; the event has "
          f"shape {event_shape}.")
    return (h, w // 2, c), (h, w // 2, c)

  def _pairs(self, x):
    """`[N, H, W, C] -> [N, H, W/2, 2, C]`."""
    shape = tf.shape(x)
    return tf.reshape(x, [shape[0], shape[1], shape[2] // 2, 2, x.shape[-1]])

  def _unpairs(self, pairs):
    shape = tf.shape(pairs)
    return tf.reshape(pairs,
                      [shape[0], shape[1], shape[2] * 2, pairs.shape[-1]])


class ColumnPartition(_PairedColumns):
  name = "columns"

  def _split(self, x):
    return tf.unstack(self._pairs(x), axis=-2)

  def _merge(self, first, second):
    return self._unpairs(tf.stack([first, second], axis=-2))


class CheckerboardPartition(_PairedColumns):
  name = "checkerboard"

  def _odd_rows(self, x):
    rows = tf.range(tf.shape(x)[1])
    return tf.reshape(rows % 2 == 1, [1, -1, 1, 1])

  def _split(self, x):
    even_col, odd_col = tf.unstack(self._pairs(x), axis=-2)
    odd_rows = self._odd_rows(even_col)
    # (i + j) even: column 2k on even rows, column 2k+1 on odd rows.
    return (tf.where(odd_rows, odd_col, even_col),
            tf.where(odd_rows, even_col, odd_col))

  def _merge(self, first, second):
    odd_rows = self._odd_rows(first)
    even_col = tf.where(odd_rows, second, first)
    odd_col = tf.where(odd_rows, first, second)
    return self._unpairs(tf.stack([even_col, odd_col], axis=-2))

  def network_input(self, x_cond):
    return self.merge(x_cond, tf.zeros_like(x_cond))

  def params_for_change(self, h):
    return self.split(h)[1]


_PARTITIONS = {p.name: p for p in (ChannelPartition, ColumnPartition,
                                   CheckerboardPartition)}


def get_partition(name, swap=False) -> Partition:
  """A partition by name ('channels', 'columns', 'checkerboard') or instance.

  `swap=True` exchanges the halves: of a named partition, or of the given
  instance (a new one, so the instance itself is unchanged).
  """
  if isinstance(name, Partition):
    return type(name)(swap=name.swap != bool(swap))
  if name not in _PARTITIONS:
    raise errors.ConfigError(
        f"Unknown partition {name!r}; choose one of {sorted(_PARTITIONS)}.")
  return _PARTITIONS[name](swap=swap)
