"""The CDF of a mixture of logistics, in logit space (Flow++'s nonlinearity).

For weights `pi = softmax(logits)`, locations `mu` and scales `s = exp(log_s)`
(the last axis indexes the K components),

    F(x) = sum_k pi_k sigmoid((x - mu_k) / s_k),
    f(x) = sum_k pi_k sigmoid(z_k) sigmoid(-z_k) / s_k,  z_k = (x - mu_k) / s_k.

The bijector maps `x -> logit(F(x))`, R -> R, as Flow++'s coupling uses it
(`sigmoid^-1(MixLogCDF(x))`). Working in logit space keeps float32 exact
where `F(x)` itself would round to 0 or 1:

    log F     = logsumexp_k(log pi_k + log sigmoid(z_k)),
    log (1-F) = logsumexp_k(log pi_k + log sigmoid(-z_k)),
    logit F   = log F - log(1 - F),
    log|d logit F / dx| = log f - log F - log(1 - F).

The inverse solves the monotone equation `logit F(x) = l` with Chandrupatla's
method (`tfp.math.find_root_chandrupatla`) in float64, whatever the input
dtype, inside the exact bracket

    min_k (mu_k + s_k l)  <=  x  <=  max_k (mu_k + s_k l):

`F` is a convex combination of the components' CDFs, and at the lower end
every component's CDF is at most `sigmoid(l)` (at the upper end at least).
The position tolerance is relative (`rtol * max(1, |x|)`) and the iteration
count bounded, so the search runs inside `tf.function`, XLA and SavedModels.

The search itself is not differentiated (its iterations' derivatives are NaN
or meaningless once the parameters `theta` come from a network). The root
`x*` of `G(x; theta) = logit F(x; theta) - l` has, by the implicit function
theorem,

    dx*/dl = 1 / G'(x*),    dx*/dtheta = -(dG/dtheta)(x*) / G'(x*),

with `G' = exp(log|d logit F / dx|)`. The inverse returns

    x* + (c - stop_gradient(c)),    c = -G(x*; theta) / stop_gradient(G'(x*)),

where `x*` is a constant: the search's value with exactly those first
derivatives. Second derivatives hold `x*` and `G'` fixed, so they are finite
but not exact. Where the density all but vanishes (between far, narrow
components) `1 / G'` overflows; it is capped at the square root of the
dtype's largest value, so `c` stays finite and cancels exactly.
"""

import math

import tensorflow as tf
import tensorflow_probability as tfp
from tensorflow_probability.python.internal import parameter_properties

from tfp_flows import errors
from tfp_flows.bijectors import flow_bijector

tfb = tfp.bijectors

# Flow++'s official code clamps the components' log-scales from below.
LOG_SCALE_MIN = -7.0
# Float64 root search: these give |x_hat - x| <= 1e-9 * max(1, |x|) on the
# test grid (log-scales in [-7, 3], locations and inputs in [-50, 50]).
ROOT_DTYPE = tf.float64
ROOT_RTOL = 1e-10
ROOT_MAX_ITERATIONS = 100


def _log_weights_and_standardized(x, logits, locs, log_scales):
  log_weights = tf.nn.log_softmax(logits, axis=-1)
  z = (tf.expand_dims(x, -1) - locs) * tf.exp(-log_scales)
  return log_weights, z


def logit_cdf(x, logits, locs, log_scales):
  """`logit(F(x))`, elementwise; parameters have one more (last) axis."""
  log_weights, z = _log_weights_and_standardized(x, logits, locs, log_scales)
  log_cdf = tf.reduce_logsumexp(log_weights + tf.math.log_sigmoid(z), -1)
  log_sf = tf.reduce_logsumexp(log_weights + tf.math.log_sigmoid(-z), -1)
  return log_cdf - log_sf


def logit_cdf_and_log_det(x, logits, locs, log_scales):
  """`(logit F(x), log f(x) - log F(x) - log(1 - F(x)))`, elementwise."""
  log_weights, z = _log_weights_and_standardized(x, logits, locs, log_scales)
  log_sigmoid_z = tf.math.log_sigmoid(z)
  log_sigmoid_minus_z = tf.math.log_sigmoid(-z)
  log_cdf = tf.reduce_logsumexp(log_weights + log_sigmoid_z, -1)
  log_sf = tf.reduce_logsumexp(log_weights + log_sigmoid_minus_z, -1)
  log_pdf = tf.reduce_logsumexp(
      log_weights + log_sigmoid_z + log_sigmoid_minus_z - log_scales, -1)
  return log_cdf - log_sf, log_pdf - log_cdf - log_sf


def log_pdf(x, logits, locs, log_scales):
  """`log f(x)`, the mixture's log-density, elementwise."""
  log_weights, z = _log_weights_and_standardized(x, logits, locs, log_scales)
  return tf.reduce_logsumexp(
      log_weights + tf.math.log_sigmoid(z) + tf.math.log_sigmoid(-z)
      - log_scales, -1)


def root_bracket(target_logit, locs, log_scales):
  """`(low, high)` that provably contain the `x` with `logit F(x) = l`."""
  ends = locs + tf.exp(log_scales) * tf.expand_dims(target_logit, -1)
  return tf.reduce_min(ends, -1), tf.reduce_max(ends, -1)


def inverse_logit_cdf_with_diagnostics(target_logit, logits, locs, log_scales):
  """Solves `logit F(x) = target_logit`; returns `(x, num_iterations)`.

  Searches in `ROOT_DTYPE` and returns `x` in the dtype of `target_logit`,
  with the implicit-function gradients of the module docstring.
  """
  dtype = target_logit.dtype
  # The search runs on constants: differentiating its iterations gives NaN
  # (see the module docstring); `step` below carries the gradients.
  target, *mixture = (tf.cast(tf.stop_gradient(t), ROOT_DTYPE)
                      for t in (target_logit, logits, locs, log_scales))
  low, high = root_bracket(target, *mixture[1:])
  tolerance = ROOT_RTOL * tf.maximum(
      tf.maximum(tf.abs(low), tf.abs(high)), 1.0)
  root, _, iterations = tfp.math.find_root_chandrupatla(
      lambda x: logit_cdf(x, *mixture) - target,
      low=low, high=high, position_tolerance=tolerance,
      max_iterations=ROOT_MAX_ITERATIONS)
  root = tf.cast(root, dtype)
  logit, log_det = logit_cdf_and_log_det(
      root, *(tf.cast(t, dtype) for t in (logits, locs, log_scales)))
  inverse_slope = tf.exp(tf.minimum(-tf.stop_gradient(log_det),
                                    0.5 * math.log(dtype.max)))
  # Zero in value (finite, thanks to the cap); the implicit-function
  # derivatives in gradient.
  step = (target_logit - logit) * inverse_slope
  return root + (step - tf.stop_gradient(step)), iterations


def inverse_logit_cdf(target_logit, logits, locs, log_scales):
  """The `x` with `logit F(x) = target_logit`, elementwise."""
  return inverse_logit_cdf_with_diagnostics(
      target_logit, logits, locs, log_scales)[0]


class LogitMixtureLogisticCDF(tfb.Bijector):
  """`x -> logit(F(x))`, `F` the CDF of a mixture of K logistics.

  An elementwise, scalar bijector (`forward_min_event_ndims = 0`): `x` is
  broadcast against the parameters' batch shape `logits.shape[:-1]`. See the
  module docstring for the maths; compose with `tfb.Sigmoid()` for `F(x)`
  itself (which float32 rounds to 0 or 1 in the tails).

  Args:
    logits: `[..., K]` unnormalised log mixture weights.
    locs: `[..., K]` component locations.
    log_scales: `[..., K]` component log-scales, clamped below at
      `LOG_SCALE_MIN` as Flow++ does.
  """

  def __init__(self, logits, locs, log_scales, validate_args=False,
               name="logit_mixture_logistic_cdf"):
    parameters = dict(locals())
    with tf.name_scope(name) as name:
      dtype = tf.convert_to_tensor(locs).dtype
      self._logits = tf.convert_to_tensor(logits, dtype=dtype)
      self._locs = tf.convert_to_tensor(locs, dtype=dtype)
      self._log_scales = tf.maximum(
          tf.convert_to_tensor(log_scales, dtype=dtype), LOG_SCALE_MIN)
      super().__init__(forward_min_event_ndims=0, validate_args=validate_args,
                       dtype=dtype, parameters=parameters, name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    return {name: parameter_properties.ParameterProperties(event_ndims=1)
            for name in ("logits", "locs", "log_scales")}

  @property
  def mixture_parameters(self):
    return self._logits, self._locs, self._log_scales

  # TFP converts the input first, so a tensor of another dtype would fail
  # there with a bare ValueError: check it before, as FlowBijector does.

  def forward(self, x, name="forward", **kwargs):
    return super().forward(self._typed(x), name=name, **kwargs)

  def inverse(self, y, name="inverse", **kwargs):
    return super().inverse(self._typed(y), name=name, **kwargs)

  def forward_log_det_jacobian(self, x, event_ndims=None,
                               name="forward_log_det_jacobian", **kwargs):
    return super().forward_log_det_jacobian(
        self._typed(x), event_ndims=event_ndims, name=name, **kwargs)

  def inverse_log_det_jacobian(self, y, event_ndims=None,
                               name="inverse_log_det_jacobian", **kwargs):
    return super().inverse_log_det_jacobian(
        self._typed(y), event_ndims=event_ndims, name=name, **kwargs)

  def _typed(self, t):
    if tf.is_tensor(t) and t.dtype != self.dtype:
      raise errors.InputTypeError(
          f"{self.name} takes {self.dtype.name} tensors; got dtype "
          f"{t.dtype.name}.")
    return t

  def _finite(self, t):
    """`t`, checked to be finite when `validate_args` (the domain is R)."""
    if not self.validate_args:
      return t
    return flow_bijector.check_values(t, tf.math.is_finite, self.name,
                                      "finite")

  def _forward(self, x):
    return logit_cdf(self._finite(x), *self.mixture_parameters)

  def _inverse(self, y):
    y = self._finite(y)
    y = tf.broadcast_to(y, tf.broadcast_dynamic_shape(
        tf.shape(y), tf.shape(self._locs)[:-1]))
    return inverse_logit_cdf(y, *self.mixture_parameters)

  def _forward_log_det_jacobian(self, x):
    return logit_cdf_and_log_det(self._finite(x), *self.mixture_parameters)[1]
