"""Elementwise invertible maps whose parameters come from a network.

A coupling layer applies one of these to the changed half, with `params` of
shape `[..., params_per_dim]` per scalar. Each returns the per-scalar log-det
alongside its output so the coupling sums it in the same pass.
"""

import tensorflow as tf

from tfp_flows.bijectors import mixture_logistic_cdf


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
    # Unstacking (its gradient a stack) rather than indexing: the gradient
    # of each index is a strided write into a zeroed copy of all of `params`.
    raw, shift = tf.unstack(params, axis=-1)
    return self._log_scale(raw), shift

  def _log_scale(self, raw):
    if self.scale_fn == "sigmoid":
      return tf.math.log_sigmoid(raw + 2.0)
    return tf.tanh(raw)

  def forward(self, x, params):
    return self._affine_forward(x, *self._log_scale_and_shift(params))

  def inverse(self, y, params):
    return self._affine_inverse(y, *self._log_scale_and_shift(params))

  def _affine_forward(self, x, log_scale, shift):
    return x * tf.exp(log_scale) + shift, log_scale

  def _affine_inverse(self, y, log_scale, shift):
    return (y - shift) * tf.exp(-log_scale), -log_scale


class AdditiveTransform:
  """`y = x + shift` per scalar, from `params = [shift]` (NICE; MaCow's
  CelebA-HQ model). Its log-det is zero: volume-preserving."""

  params_per_dim = 1

  def forward(self, x, params):
    return x + tf.squeeze(params, -1), tf.zeros_like(x)

  def inverse(self, y, params):
    return y - tf.squeeze(params, -1), tf.zeros_like(y)


class MixtureLogisticTransform(AffineTransform):
  """Flow++'s `y = logit(MixLogCDF(x; pi, mu, s)) * exp(a) + b` per scalar.

  `params = [raw_scale, shift, K logits, K locations, K log-scales]`, with
  `a = tanh(raw_scale)` (`scale_fn='exp_tanh'`) and the log-scales clamped at
  `mixture_logistic_cdf.LOG_SCALE_MIN`. The per-scalar log-det is the
  mixture CDF's in logit space plus `a`. `num_components=0` removes the
  mixture CDF: the affine coupling of the Flow++ ablation, same network and
  parameterisation otherwise. The inverse solves for `x` by root search (see
  `mixture_logistic_cdf`).
  """

  def __init__(self, num_components, scale_fn="exp_tanh"):
    super().__init__(scale_fn)
    if num_components < 0:
      raise ValueError(
          f"num_components must be >= 0; got {num_components}.")
    self.num_components = int(num_components)
    self.params_per_dim = 2 + 3 * self.num_components

  def mixture(self, params):
    """`(logits, locations, log_scales)`, each `[..., K]`, from `params`."""
    return self._pieces(params)[2:]

  def _pieces(self, params):
    """`(log_scale, shift, logits, locations, log_scales)` in one split, so
    the backward pass joins their gradients in one concatenation."""
    k = self.num_components
    raw, shift, logits, locs, log_scales = tf.split(
        params, [1, 1, k, k, k], axis=-1)
    return (self._log_scale(tf.squeeze(raw, -1)), tf.squeeze(shift, -1),
            logits, locs,
            tf.maximum(log_scales, mixture_logistic_cdf.LOG_SCALE_MIN))

  def forward(self, x, params):
    if not self.num_components:
      return super().forward(x, params)
    log_scale, shift, *mixture = self._pieces(params)
    x, cdf_log_det = mixture_logistic_cdf.logit_cdf_and_log_det(x, *mixture)
    y, affine_log_det = self._affine_forward(x, log_scale, shift)
    return y, cdf_log_det + affine_log_det

  def inverse(self, y, params):
    if not self.num_components:
      return super().inverse(y, params)
    log_scale, shift, *mixture = self._pieces(params)
    x, affine_log_det = self._affine_inverse(y, log_scale, shift)
    x = mixture_logistic_cdf.inverse_logit_cdf(x, *mixture)
    _, cdf_log_det = mixture_logistic_cdf.logit_cdf_and_log_det(x, *mixture)
    return x, affine_log_det - cdf_log_det
