"""Sample grids as PNG files and TensorBoard images."""

import math

import numpy as np
import tensorflow as tf


def grid(images, padding=2):
  """Tiles uint8 `[N, H, W, C]` into one `[rows*(H+p), cols*(W+p), C]` image."""
  images = np.asarray(images)
  n, h, w, c = images.shape
  cols = int(math.ceil(math.sqrt(n)))
  rows = int(math.ceil(n / cols))
  canvas = np.zeros((rows * (h + padding) + padding,
                     cols * (w + padding) + padding, c), np.uint8)
  for i, image in enumerate(images):
    r, q = divmod(i, cols)
    top, left = padding + r * (h + padding), padding + q * (w + padding)
    canvas[top:top + h, left:left + w] = image
  return canvas


def to_eight_bits(images, n_bits):
  """Spreads `n_bits` values over 0..255 so low-bit samples are visible."""
  images = np.asarray(images).astype(np.int32)
  return np.clip(images * 255 // max(2 ** n_bits - 1, 1), 0, 255).astype(
      np.uint8)


def write_png(path, image):
  tmp = path + ".tmp"
  tf.io.write_file(tmp, tf.io.encode_png(image))
  tf.io.gfile.rename(tmp, path, overwrite=True)
