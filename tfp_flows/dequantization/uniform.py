"""Uniform dequantization: `y = x + u`, `u ~ U[0, 1)^D`."""

import tensorflow as tf


class UniformDequantizer(tf.Module):
  """Adds uniform noise to integer pixels; `log q(u | x) = 0`.

  Since `p(x) = integral over [0,1)^D of p(x + u) du >= exp E_u log p(x + u)`,
  the continuous density evaluated at `x + u` bounds the discrete likelihood
  (Theis et al. 2016). The noise is a standard sample (`sample_noise`) so that
  callers can draw it for a global batch and slice it per replica.
  """

  def __init__(self, name="uniform_dequantizer"):
    super().__init__(name=name)

  def sample_noise(self, shape, seed=None):
    if seed is None:
      return tf.random.uniform(shape)
    return tf.random.stateless_uniform(shape, seed=seed)

  def dequantize_with_noise(self, images, noise, training=False):
    del training  # No network.
    y = tf.cast(images, tf.float32) + noise
    return y, tf.zeros(tf.shape(y)[:1])

  def dequantize(self, images, seed=None, training=False):
    """Returns `(y, log_q)` with `y = images + u`; `seed` is stateless."""
    noise = self.sample_noise(tf.shape(images), seed)
    return self.dequantize_with_noise(images, noise, training=training)
