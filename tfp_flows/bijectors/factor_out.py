"""Multi-scale factor-out with the conditional Gaussian prior folded in."""

import tensorflow as tf

from tfp_flows import errors
from tfp_flows.bijectors import flow_bijector

PRIOR_SCALES = ("exp", "sigmoid", "none")


class FactorOut(flow_bijector.FlowBijector):
  """Some channels leave the flow; the rest go on through `inner`.

  The input is first mixed by `mix` (optional; MaCow: ActNorm and an
  invertible 1x1 conv), then split on channels into `[z_stay, z_leave]`
  with `leaving_channels` channels in `z_leave`. The leaving part has a
  learned conditional Gaussian prior whose mean and scale come from
  `prior_network(z_stay)` (Glow's split prior; MaCow's affine coupling of the
  leaving part on the staying one is the same map). Folding that prior into
  the bijector,

      [mean, raw] = prior_network(z_stay)
      eps = (z_leave - mean) * exp(log_s(raw)),
      y = [inner(z_stay), eps],

  makes the whole multi-scale flow end in a standard normal, so a model is
  one bijector plus `N(0, I)`, and temperature sampling (scaling every
  prior's standard deviation by T) is simply `eps ~ N(0, T^2 I)`. The scale
  is `log_s(raw) = -raw` for `prior_scale='exp'` (Glow: the network predicts
  the prior's log standard deviation), `log sigmoid(raw + 2)` for
  `'sigmoid'` (MaCow), or 0 for `'none'` (a learned mean only, unit scale:
  the split is volume-preserving; the network then predicts the mean only). The log-det is `mix`'s, plus `sum(log_s)`, plus
  `inner`'s.

  One mechanism covers the multi-scale designs: Glow leaves half the
  channels after each level, MaCow 3 of 12 and then 3 of the 9 left (nest
  FactorOuts through `inner`), and Flow++ uses none.

  Args:
    event_shape: `(H, W, C)` of the input.
    leaving_channels: how many of the `C` channels leave (at least one must
      leave and one stay).
    prior_network_fn: builds the prior network from `output_channels`
      (`2 * leaving_channels`: mean, then raw scale; `leaving_channels` for
      `prior_scale='none'`); it sees `z_stay`.
    inner: an optional `FlowBijector` applied to `z_stay`; it must keep its
      input's shape (close a squeezed level with `Unsqueeze`).
    mix: an optional shape-preserving `FlowBijector` applied before the split.
    prior_scale: `'exp'` or `'sigmoid'`, see above.
    context_shape: `(H, W, c)` of a context the prior network also takes
      (`prior_network(z_stay, context=...)`; MaCow's dequantizer), or None.
  """

  def __init__(self, event_shape, leaving_channels, prior_network_fn,
               inner=None, mix=None, prior_scale="exp", context_shape=None,
               validate_args=False, name="factor_out"):
    parameters = dict(locals())
    event_shape = tuple(int(d) for d in event_shape)
    channels = event_shape[-1]
    self._leave = int(leaving_channels)
    if not 0 < self._leave < channels:
      raise errors.ConfigError(
          f"FactorOut of {leaving_channels} channels from {channels}: it must "
          f"leave at least one channel and keep at least one.")
    if prior_scale not in PRIOR_SCALES:
      raise errors.ConfigError(
          f"prior_scale must be one of {PRIOR_SCALES}; got {prior_scale!r}.")
    self._stay = channels - self._leave
    self._prior_scale = prior_scale
    self._inner = inner
    self._mix = mix
    self._conditional_prior = context_shape is not None
    with tf.name_scope(name):
      self.prior_network = prior_network_fn(
          self._leave if prior_scale == "none" else 2 * self._leave)
      # One call on zeros creates the weights now.
      self._prior(tf.zeros((1,) + event_shape[:-1] + (self._stay,)), False,
                  None if context_shape is None else
                  tf.zeros((1,) + tuple(context_shape)))
    super().__init__(parameters=parameters, name=name,
                     event_shape=event_shape, validate_args=validate_args)

  @property
  def inner(self):
    return self._inner

  @property
  def mix(self):
    return self._mix

  @property
  def leaving_channels(self):
    return self._leave

  def own_modules(self):
    """The modules whose weights belong to this split (not to `inner`)."""
    return [m for m in (self._mix, self.prior_network) if m is not None]

  def _context_after_mix(self, context):
    if context is None or self._mix is None:
      return context
    return self._mix.transform_context(context)

  def _prior(self, z_stay, training, context):
    if self._conditional_prior:
      h = self.prior_network(z_stay, context=context, training=training)
    else:
      h = self.prior_network(z_stay, training=training)
    if self._prior_scale == "none":
      return h, tf.zeros_like(h)
    mean, raw = tf.split(h, 2, axis=-1)
    if self._prior_scale == "exp":
      return mean, -raw
    return mean, tf.math.log_sigmoid(raw + 2.0)

  def _split_channels(self, x):
    """`(z_stay, z_leave)`; a split, whose gradient is a concatenation."""
    return tf.split(x, [self._stay, self._leave], axis=-1)

  def _forward_and_log_det(self, x, training, context=None):
    log_det = tf.zeros(tf.shape(x)[:1], x.dtype)
    if self._mix is not None:
      x, log_det = self._mix.forward_and_log_det(x, training=training,
                                                 context=context)
    context = self._context_after_mix(context)
    z_stay, z_leave = self._split_channels(x)
    mean, log_scale = self._prior(z_stay, training, context)
    eps = (z_leave - mean) * tf.exp(log_scale)
    log_det += tf.reduce_sum(log_scale, axis=[1, 2, 3])
    if self._inner is not None:
      z_stay, inner_log_det = self._inner.forward_and_log_det(
          z_stay, training=training, context=context)
      log_det += inner_log_det
    return tf.concat([z_stay, eps], axis=-1), log_det

  def _inverse_and_log_det(self, y, training, context=None):
    after_mix = self._context_after_mix(context)
    z_stay, eps = self._split_channels(y)
    log_det = tf.zeros(tf.shape(y)[:1], y.dtype)
    if self._inner is not None:
      z_stay, log_det = self._inner.inverse_and_log_det(
          z_stay, training=training, context=after_mix)
    mean, log_scale = self._prior(z_stay, training, after_mix)
    z_leave = mean + eps * tf.exp(-log_scale)
    log_det -= tf.reduce_sum(log_scale, axis=[1, 2, 3])
    x = tf.concat([z_stay, z_leave], axis=-1)
    if self._mix is not None:
      x, mix_log_det = self._mix.inverse_and_log_det(x, training=training,
                                                     context=context)
      log_det += mix_log_det
    return x, log_det
