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


class AdditiveTransform:
  """`y = x + shift` per scalar, from `params = [shift]` (NICE; MaCow's
  CelebA-HQ model). Its log-det is zero: volume-preserving."""

  params_per_dim = 1

  def forward(self, x, params):
    return x + params[..., 0], tf.zeros_like(x)

  def inverse(self, y, params):
    return y - params[..., 0], tf.zeros_like(y)


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
    k = self.num_components
    return (params[..., 2:2 + k], params[..., 2 + k:2 + 2 * k],
            tf.maximum(params[..., 2 + 2 * k:],
                       mixture_logistic_cdf.LOG_SCALE_MIN))

  def forward(self, x, params):
    if not self.num_components:
      return super().forward(x, params)
    x, cdf_log_det = mixture_logistic_cdf.logit_cdf_and_log_det(
        x, *self.mixture(params))
    y, affine_log_det = super().forward(x, params)
    return y, cdf_log_det + affine_log_det

  def inverse(self, y, params):
    x, affine_log_det = super().inverse(y, params)
    if not self.num_components:
      return x, affine_log_det
    mixture = self.mixture(params)
    x = mixture_logistic_cdf.inverse_logit_cdf(x, *mixture)
    _, cdf_log_det = mixture_logistic_cdf.logit_cdf_and_log_det(x, *mixture)
    return x, affine_log_det - cdf_log_det
