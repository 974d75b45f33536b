"""The dequantizer interface every dequantizer follows."""

import tensorflow as tf


class Dequantizer(tf.Module):
  """Integer images to continuous `y = x + u`, with `log q(u | x)` per image.

  Subclasses implement `sample_noise(shape, seed)` (the base noise, a
  standard sample that callers may draw once for a global batch and slice
  per replica) and `dequantize_with_noise(images, noise, training)`. The
  model's ELBO is `log p(y) - log q`; importance weighting reuses the same
  call K times.
  """

  def sample_noise(self, shape, seed=None):
    raise NotImplementedError

  def dequantize_with_noise(self, images, noise, training=False):
    """Returns `(y, log_q)`: `[N, H, W, C]` floats and `[N]` nats."""
    raise NotImplementedError

  def dequantize(self, images, seed=None, training=False):
    """Returns `(y, log_q)` for fresh noise; `seed` is a stateless seed."""
    noise = self.sample_noise(tf.shape(images), seed)
    return self.dequantize_with_noise(images, noise, training=training)
