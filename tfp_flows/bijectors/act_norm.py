"""Activation normalisation: a learned affine map with data-dependent init."""

import numpy as np
import tensorflow as tf

from tfp_flows.bijectors import flow_bijector
from tfp_flows.nets import initialization


class ActNorm(flow_bijector.FlowBijector):
  """`y = (x + bias) * exp(log_scale)`, per channel (Glow) or position (Flow++).

  With `per_position=False` the parameters have shape `[C]` (Glow's ActNorm);
  with `per_position=True` they have shape `[H, W, C]` (Flow++'s "Norm").
  The log-det is the sum of `log_scale` over the event:

      log|det J| = H * W * sum_c log_scale_c          (per channel)
      log|det J| = sum_{h,w,c} log_scale_{h,w,c}      (per position)

  Inside `initialization.data_dependent_init()` the first forward pass sets
  `bias = -mean` and `log_scale = -log(std)` over the batch (and positions, for
  per-channel), so the outputs have zero mean and unit variance.
  """

  def __init__(self, event_shape, per_position=False, validate_args=False,
               name="act_norm"):
    parameters = dict(locals())
    self._event_shape_hwc = tuple(int(d) for d in event_shape)
    self._per_position = per_position
    param_shape = self._event_shape_hwc if per_position else (
        self._event_shape_hwc[-1],)
    with tf.name_scope(name):
      self.bias = tf.Variable(tf.zeros(param_shape), name="bias")
      self.log_scale = tf.Variable(tf.zeros(param_shape), name="log_scale")
    super().__init__(parameters=parameters, name=name,
                     event_shape=self._event_shape_hwc,
                     is_constant_jacobian=True, validate_args=validate_args)

  def _log_det(self):
    broadcast = 1 if self._per_position else np.prod(
        self._event_shape_hwc[:-1])
    return float(broadcast) * tf.reduce_sum(self.log_scale)

  def _initialize_from(self, x):
    bias, log_scale = initialization.standardizing_affine(
        x, axes=[0] if self._per_position else [0, 1, 2])
    self.bias.assign(bias)
    self.log_scale.assign(log_scale)

  def _forward_and_log_det(self, x, training, context=None):
    if initialization.is_initializing():
      self._initialize_from(x)
    y = (x + self.bias) * tf.exp(self.log_scale)
    return y, tf.fill(tf.shape(x)[:1], self._log_det())

  def _inverse_and_log_det(self, y, training, context=None):
    x = y * tf.exp(-self.log_scale) - self.bias
    return x, tf.fill(tf.shape(y)[:1], -self._log_det())
