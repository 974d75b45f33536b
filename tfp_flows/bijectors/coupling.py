"""Coupling layer: half the image transforms the other half."""

import tensorflow as tf

from tfp_flows.bijectors import elementwise
from tfp_flows.bijectors import flow_bijector
from tfp_flows.bijectors import partitions


class Coupling(flow_bijector.FlowBijector):
  """`y_cond = x_cond`, `y_change = f(x_change; NN(x_cond))`.

  The Jacobian is block-triangular, so

      log|det J| = sum over the changed half of log|f'(x_change)|,

  computed by `transform` together with its output; the network runs once per
  pass in either direction, since `x_cond` passes through unchanged.

  Args:
    event_shape: `(H, W, C)` of the input.
    partition: a `partitions.Partition` or its name (`'channels'`, `'columns'`,
      `'checkerboard'`); `swap` exchanges the halves.
    network_fn: builds the conditioning network, called as
      `network_fn(output_channels)`; the result is a `tf_keras` layer called as
      `network(inputs, training=...)` returning `[N, h, w, output_channels]`,
      or `network(inputs, context=..., training=...)` when the coupling is
      given a `context` (a conditional coupling, as in Flow++'s
      dequantization flow). The coupling owns it, so `trainable_variables`
      include its weights.
    transform: the elementwise map (default Glow's affine).
    context_shape: `(h, w, c)` of the context a conditional coupling's
      network takes (None: unconditional).
  """

  def __init__(self, event_shape, partition, network_fn, transform=None,
               swap=False, context_shape=None, validate_args=False,
               name="coupling"):
    parameters = dict(locals())
    event_shape = tuple(int(d) for d in event_shape)
    self._partition = partitions.get_partition(partition, swap=swap)
    self._transform = transform or elementwise.AffineTransform()
    cond_shape, change_shape = self._partition.half_shapes(event_shape)
    self._change_channels = change_shape[-1]
    with tf.name_scope(name):
      self.network = network_fn(
          self._change_channels * self._transform.params_per_dim)
      # One call on zeros creates the weights now, so `trainable_variables`
      # is complete before a user's first step.
      self.transform_params(
          tf.zeros((1,) + cond_shape),
          context=None if context_shape is None else tf.zeros(
              (1,) + tuple(context_shape)))
    super().__init__(parameters=parameters, name=name,
                     event_shape=event_shape, validate_args=validate_args)

  @property
  def partition(self):
    return self._partition

  @property
  def transform(self):
    return self._transform

  def transform_params(self, x_cond, training=False, context=None):
    """The transform's parameters `[N, h, w, C_change, params_per_dim]`."""
    inputs = self._partition.network_input(x_cond)
    if context is None:
      h = self.network(inputs, training=training)
    else:
      h = self.network(inputs, context=context, training=training)
    h = self._partition.params_for_change(h)
    shape = tf.shape(h)
    return tf.reshape(h, tf.concat(
        [shape[:-1], [self._change_channels, self._transform.params_per_dim]],
        0))

  def _forward_and_log_det(self, x, training, context=None):
    x_cond, x_change = self._partition.split(x)
    y_change, log_det = self._transform.forward(
        x_change, self.transform_params(x_cond, training, context))
    return (self._partition.merge(x_cond, y_change),
            tf.reduce_sum(log_det, axis=[1, 2, 3]))

  def _inverse_and_log_det(self, y, training, context=None):
    y_cond, y_change = self._partition.split(y)
    x_change, log_det = self._transform.inverse(
        y_change, self.transform_params(y_cond, training, context))
    return (self._partition.merge(y_cond, x_change),
            tf.reduce_sum(log_det, axis=[1, 2, 3]))
