"""Uniform dequantization: `y = x + u`, `u ~ U[0, 1)^D`."""

import tensorflow as tf

from tfp_flows.dequantization import base


class UniformDequantizer(base.Dequantizer):
  """Adds uniform noise to integer pixels; `log q(u | x) = 0`.

  Since `p(x) = integral over [0,1)^D of p(x + u) du >= exp E_u log p(x + u)`,
  the continuous density evaluated at `x + u` bounds the discrete likelihood
  (Theis et al. 2016).
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
