"""Fixed elementwise maps: pixels to the flow's input space, and a sigmoid.

The two preprocessings carry their exact log-det, so a density after them is
a density over `[0, 2^n_bits)^D` and bits/dim are comparable across models.
"""

import math

import tensorflow as tf

from tfp_flows.bijectors import flow_bijector


class Centering(flow_bijector.FlowBijector):
  """Glow's `x / 2^n_bits - 0.5`; log-det `-D * n_bits * log 2`."""

  def __init__(self, n_bits=8, validate_args=False, name="centering"):
    parameters = dict(locals())
    self._n_bins = float(2 ** n_bits)
    super().__init__(parameters=parameters, name=name,
                     is_constant_jacobian=True, validate_args=validate_args)

  def _log_det(self, x):
    dims = tf.cast(tf.reduce_prod(tf.shape(x)[1:]), x.dtype)
    return tf.fill(tf.shape(x)[:1], -dims * math.log(self._n_bins))

  def _forward_and_log_det(self, x, training, context=None):
    if self.validate_args:
      x = _check_in_range(x, self._n_bins, self.name)
    return x / self._n_bins - 0.5, self._log_det(x)

  def _inverse_and_log_det(self, y, training, context=None):
    return (y + 0.5) * self._n_bins, -self._log_det(y)


class LogitPreprocess(flow_bijector.FlowBijector):
  """Flow++'s `logit(alpha + (1 - 2 alpha) * x / 2^n_bits)`.

  With `p = alpha + (1 - 2 alpha) x / 2^n_bits`, per dimension

      d logit(p) / dx = (1 - 2 alpha) / (2^n_bits * p * (1 - p)),

  so `log|det J| = sum [log(1 - 2 alpha) - n_bits log 2 - log p - log(1-p)]`,
  with `log p = -softplus(-z)`, `log(1-p) = -softplus(z)` for `z = logit(p)`.
  """

  def __init__(self, n_bits=8, alpha=0.05, validate_args=False,
               name="logit_preprocess"):
    parameters = dict(locals())
    self._n_bins = float(2 ** n_bits)
    self._alpha = float(alpha)
    super().__init__(parameters=parameters, name=name,
                     validate_args=validate_args)

  def _log_det_from_logit(self, z):
    per_dim = (math.log(1.0 - 2.0 * self._alpha) - math.log(self._n_bins)
               + tf.nn.softplus(-z) + tf.nn.softplus(z))
    return tf.reduce_sum(per_dim, axis=[1, 2, 3])

  def _forward_and_log_det(self, x, training, context=None):
    if self.validate_args:
      x = _check_in_range(x, self._n_bins, self.name)
    p = self._alpha + (1.0 - 2.0 * self._alpha) * x / self._n_bins
    z = tf.math.log(p) - tf.math.log1p(-p)
    return z, self._log_det_from_logit(z)

  def _inverse_and_log_det(self, y, training, context=None):
    x = (tf.sigmoid(y) - self._alpha) / (1.0 - 2.0 * self._alpha) * self._n_bins
    return x, -self._log_det_from_logit(y)


class Sigmoid(flow_bijector.FlowBijector):
  """Elementwise `sigmoid(x)`, R -> (0, 1): the end of Flow++'s q(u | x).

  `log|det J| = sum [log sigmoid(x) + log sigmoid(-x)]`.
  """

  def __init__(self, validate_args=False, name="sigmoid"):
    parameters = dict(locals())
    super().__init__(parameters=parameters, name=name,
                     validate_args=validate_args)

  def _log_det(self, x):
    return tf.reduce_sum(tf.math.log_sigmoid(x) + tf.math.log_sigmoid(-x),
                         axis=[1, 2, 3])

  def _forward_and_log_det(self, x, training, context=None):
    return tf.sigmoid(x), self._log_det(x)

  def _inverse_and_log_det(self, y, training, context=None):
    if self.validate_args:
      y = flow_bijector.check_values(y, lambda v: (v > 0.0) & (v < 1.0),
                                     self.name, "in (0, 1)")
    x = tf.math.log(y) - tf.math.log1p(-y)
    return x, -self._log_det(x)


def _check_in_range(x, n_bins, name):
  """`x` behind checks that it lies in `[0, n_bins]` (dequantized pixels)."""
  return flow_bijector.check_values(
      x, lambda v: (v >= 0.0) & (v <= n_bins), name, f"in [0, {n_bins:g}]")
