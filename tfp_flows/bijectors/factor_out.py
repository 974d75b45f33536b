"""Multi-scale factor-out with the conditional Gaussian prior folded in."""

import tensorflow as tf

from tfp_flows.bijectors import flow_bijector


class FactorOut(flow_bijector.FlowBijector):
  """Part of the channels leave the flow; the rest go on through `inner`.

  With `x = [z_stay, z_leave]` (channels), the leaving part has a learned
  conditional Gaussian prior `N(mean(z_stay), exp(log_scale(z_stay))^2)`
  (Glow's split prior). Folding that prior into the bijector,

      eps = (z_leave - mean) * exp(-log_scale),   y = [inner(z_stay), eps],

  makes the whole multi-scale flow end in a standard normal, so a model is
  one bijector plus `N(0, I)`, and temperature sampling (scaling every prior's
  standard deviation by T) is simply `eps ~ N(0, T^2 I)`. The log-det is
  `inner`'s plus `-sum(log_scale)`.

  One mechanism covers the multi-scale designs: Glow leaves `fraction=1/2`
  after each level, MaCow `1/4` after each sub-block (nest FactorOuts), and
  Flow++ uses none.

  Args:
    event_shape: `(H, W, C)` of the input.
    fraction: share of the channels that leave, `0 < fraction < 1`.
    prior_network_fn: builds the prior network from `output_channels`
      (`2 * leaving channels`: mean and log-scale); it sees `z_stay`.
    inner: an optional `FlowBijector` applied to `z_stay`; it must keep its
      input's shape (close a squeezed level with `Unsqueeze`).
  """

  def __init__(self, event_shape, fraction, prior_network_fn, inner=None,
               validate_args=False, name="factor_out"):
    parameters = dict(locals())
    channels = int(event_shape[-1])
    self._leave = int(round(channels * fraction))
    if not 0 < self._leave < channels:
      raise ValueError(
          f"FactorOut of fraction {fraction} leaves {self._leave} of "
          f"{channels} channels; it must leave at least one and keep one.")
    self._stay = channels - self._leave
    self._inner = inner
    with tf.name_scope(name):
      self.prior_network = prior_network_fn(2 * self._leave)
    super().__init__(parameters=parameters, name=name,
                     validate_args=validate_args)

  @property
  def inner(self):
    return self._inner

  @property
  def leaving_channels(self):
    return self._leave

  def _prior(self, z_stay, training):
    h = self.prior_network(z_stay, training=training)
    return h[..., :self._leave], h[..., self._leave:]

  def _forward_and_log_det(self, x, training, context=None):
    z_stay, z_leave = x[..., :self._stay], x[..., self._stay:]
    mean, log_scale = self._prior(z_stay, training)
    eps = (z_leave - mean) * tf.exp(-log_scale)
    log_det = -tf.reduce_sum(log_scale, axis=[1, 2, 3])
    if self._inner is not None:
      z_stay, inner_log_det = self._inner.forward_and_log_det(
          z_stay, training=training, context=context)
      log_det += inner_log_det
    return tf.concat([z_stay, eps], axis=-1), log_det

  def _inverse_and_log_det(self, y, training, context=None):
    z_stay, eps = y[..., :self._stay], y[..., self._stay:]
    log_det = tf.zeros(tf.shape(y)[:1], y.dtype)
    if self._inner is not None:
      z_stay, log_det = self._inner.inverse_and_log_det(
          z_stay, training=training, context=context)
    mean, log_scale = self._prior(z_stay, training)
    z_leave = mean + tf.exp(log_scale) * eps
    log_det += tf.reduce_sum(log_scale, axis=[1, 2, 3])
    return tf.concat([z_stay, z_leave], axis=-1), log_det
