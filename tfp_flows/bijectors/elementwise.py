"""Elementwise invertible maps whose parameters come from a network.

A coupling layer applies one of these to the changed half, with `params` of
shape `[..., params_per_dim]` per scalar. Each returns the per-scalar log-det
alongside its output so the coupling sums it in the same pass.
"""

import tensorflow as tf


class AffineTransform:
  """`y = x * scale + shift` per scalar, from `params = [raw_scale, shift]`.

  `scale_fn` chooses how the raw network output becomes a positive scale:
  `'sigmoid'` is Glow's `sigmoid(raw + 2)` (bounded, starts near 0.88 from a
  zero-initialised network); `'exp_tanh'` is Flow++'s `exp(tanh(raw))`.
  """

  params_per_dim = 2

  def __init__(self, scale_fn="sigmoid"):
    if scale_fn not in ("sigmoid", "exp_tanh"):
      raise ValueError(
          f"scale_fn must be 'sigmoid' or 'exp_tanh'; got {scale_fn!r}.")
    self.scale_fn = scale_fn

  def _log_scale_and_shift(self, params):
    raw, shift = params[..., 0], params[..., 1]
    if self.scale_fn == "sigmoid":
      return tf.math.log_sigmoid(raw + 2.0), shift
    return tf.tanh(raw), shift

  def forward(self, x, params):
    log_scale, shift = self._log_scale_and_shift(params)
    return x * tf.exp(log_scale) + shift, log_scale

  def inverse(self, y, params):
    log_scale, shift = self._log_scale_and_shift(params)
    return (y - shift) * tf.exp(-log_scale), -log_scale
