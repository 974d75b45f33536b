"""Squeeze: space-to-depth over 2x2 blocks."""

import tensorflow as tf

from tfp_flows import errors
from tfp_flows.bijectors import flow_bijector


class Squeeze(flow_bijector.FlowBijector):
  """`[H, W, C] -> [H/2, W/2, 4C]` by moving each 2x2 block into channels.

  A permutation of the scalars, so the log-det is zero. `tfb.Invert(Squeeze())`
  or `Unsqueeze()` undoes it.
  """

  def __init__(self, factor=2, validate_args=False, name="squeeze"):
    parameters = dict(locals())
    self._factor = int(factor)
    super().__init__(parameters=parameters, name=name,
                     is_constant_jacobian=True, validate_args=validate_args)

  @property
  def factor(self):
    return self._factor

  def _check_divisible(self, x):
    h, w = x.shape[1], x.shape[2]
    if (h is not None and h % self._factor) or (
        w is not None and w % self._factor):
      raise errors.ShapeError(
          f"Squeeze by {self._factor} needs height and width divisible by "
          f"{self._factor}; got an image of shape {x.shape[1:]}.")

  def _forward_and_log_det(self, x, training, context=None):
    self._check_divisible(x)
    return (tf.nn.space_to_depth(x, self._factor),
            tf.zeros(tf.shape(x)[:1], x.dtype))

  def _inverse_and_log_det(self, y, training, context=None):
    channels = y.shape[-1]
    if channels is not None and channels % self._factor ** 2:
      raise errors.ShapeError(
          f"Unsqueezing by {self._factor} needs channels divisible by "
          f"{self._factor ** 2}; got an image of shape {y.shape[1:]}.")
    return (tf.nn.depth_to_space(y, self._factor),
            tf.zeros(tf.shape(y)[:1], y.dtype))

  def transform_context(self, context):
    return None if context is None else tf.nn.space_to_depth(context,
                                                             self._factor)

  def _forward_event_shape(self, input_shape):
    h, w, c = input_shape[-3:]
    f = self._factor
    return input_shape[:-3].concatenate(
        [None if h is None else h // f, None if w is None else w // f,
         None if c is None else c * f * f])

  def _inverse_event_shape(self, output_shape):
    h, w, c = output_shape[-3:]
    f = self._factor
    return output_shape[:-3].concatenate(
        [None if h is None else h * f, None if w is None else w * f,
         None if c is None else c // (f * f)])

  def _forward_event_shape_tensor(self, input_shape):
    f = self._factor
    return tf.concat([input_shape[:-3], input_shape[-3:-1] // f,
                      input_shape[-1:] * f * f], 0)

  def _inverse_event_shape_tensor(self, output_shape):
    f = self._factor
    return tf.concat([output_shape[:-3], output_shape[-3:-1] * f,
                      output_shape[-1:] // (f * f)], 0)


class Unsqueeze(flow_bijector.FlowBijector):
  """Depth-to-space, the inverse of `Squeeze` (closes a multi-scale level)."""

  def __init__(self, factor=2, validate_args=False, name="unsqueeze"):
    parameters = dict(locals())
    self._squeeze = Squeeze(factor)
    super().__init__(parameters=parameters, name=name,
                     is_constant_jacobian=True, validate_args=validate_args)

  def transform_context(self, context):
    return None if context is None else tf.nn.depth_to_space(context,
                                                             self._squeeze.factor)

  def _forward_and_log_det(self, x, training, context=None):
    return self._squeeze.inverse_and_log_det(x)

  def _inverse_and_log_det(self, y, training, context=None):
    return self._squeeze.forward_and_log_det(y)

  def _forward_event_shape(self, input_shape):
    return self._squeeze.inverse_event_shape(input_shape)

  def _inverse_event_shape(self, output_shape):
    return self._squeeze.forward_event_shape(output_shape)

  def _forward_event_shape_tensor(self, input_shape):
    return self._squeeze.inverse_event_shape_tensor(input_shape)

  def _inverse_event_shape_tensor(self, output_shape):
    return self._squeeze.forward_event_shape_tensor(output_shape)
