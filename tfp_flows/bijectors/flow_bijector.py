"""Base class for image bijectors that compute output and log-det in one pass.

TFP computes `forward` and `forward_log_det_jacobian` through separate calls,
so a coupling layer's conditioning network runs twice whenever both are
needed (e.g. inside `TransformedDistribution.log_prob`). Every bijector in
this package instead implements one fused method per direction,

    _forward_and_log_det(x, training, context) -> (y, log|det dy/dx|)
    _inverse_and_log_det(y, training, context) -> (x, log|det dx/dy|)

on rank-4 batches `[N, H, W, C]`, and the standard TFP methods are thin
wrappers over them. `context` is an optional conditioning tensor `[N, h, w,
c]` (Flow++'s dequantization flow is conditioned on the image); composite
bijectors pass it to their parts, couplings to their networks, and the rest
ignore it. Through the TFP API it is a keyword, as for TFP's own conditional
bijectors: `bijector.forward(x, context=c)`.

Models call the public fused methods directly, so each network runs once per
pass; users composing these bijectors with plain TFP (`tfb.Chain`,
`tfb.Invert`, `tfd.TransformedDistribution`) get the usual API.

Events are images `[..., H, W, C]` (`forward_min_event_ndims = 3`); any number
of leading batch dimensions is accepted and flattened around the fused call.
"""

import tensorflow as tf
import tensorflow_probability as tfp

tfb = tfp.bijectors

IMAGE_EVENT_NDIMS = 3


class FlowBijector(tfb.Bijector):
  """A `tfb.Bijector` on image events with fused value-and-log-det passes.

  Subclasses implement `_forward_and_log_det` and `_inverse_and_log_det` on
  rank-4 tensors, returning a log-det of shape `[N]`. `training` switches
  dropout in conditioning networks; it is `False` on the TFP-API paths.
  """

  def __init__(self, *, parameters, name, is_constant_jacobian=False,
               validate_args=False):
    super().__init__(
        forward_min_event_ndims=IMAGE_EVENT_NDIMS,
        inverse_min_event_ndims=IMAGE_EVENT_NDIMS,
        is_constant_jacobian=is_constant_jacobian,
        validate_args=validate_args,
        dtype=tf.float32,
        parameters=parameters,
        name=name)

  @classmethod
  def _parameter_properties(cls, dtype, num_classes=None):
    # Parameters are variables and layers, never batched: batch shape is [].
    return dict()

  def forward_and_log_det(self, x, training=False, context=None):
    """Returns `(forward(x), forward_log_det_jacobian(x))` in one pass."""
    with tf.name_scope(self.name):
      return _over_flat_batch(self._forward_and_log_det, x, training, context)

  def inverse_and_log_det(self, y, training=False, context=None):
    """Returns `(inverse(y), inverse_log_det_jacobian(y))` in one pass."""
    with tf.name_scope(self.name):
      return _over_flat_batch(self._inverse_and_log_det, y, training, context)

  def _forward_and_log_det(self, x, training, context=None):
    raise NotImplementedError

  def _inverse_and_log_det(self, y, training, context=None):
    raise NotImplementedError

  def _forward(self, x, context=None):
    return _over_flat_batch(self._forward_and_log_det, x, False, context)[0]

  def _inverse(self, y, context=None):
    return _over_flat_batch(self._inverse_and_log_det, y, False, context)[0]

  def _forward_log_det_jacobian(self, x, context=None):
    return _over_flat_batch(self._forward_and_log_det, x, False, context)[1]

  def _inverse_log_det_jacobian(self, y, context=None):
    return _over_flat_batch(self._inverse_and_log_det, y, False, context)[1]


def _over_flat_batch(fused_fn, x, training, context):
  """Applies a rank-4 fused function to `[..., H, W, C]` with any batch rank."""
  x = tf.convert_to_tensor(x, dtype_hint=tf.float32)
  if x.shape.rank == 4:
    return fused_fn(x, training, context)
  if x.shape.rank is None or x.shape.rank < IMAGE_EVENT_NDIMS:
    raise ValueError(
        f"Expected an image tensor [..., H, W, C]; got shape {x.shape}.")
  batch_shape = tf.shape(x)[:-IMAGE_EVENT_NDIMS]
  y, log_det = fused_fn(_flatten_batch(x), training,
                        None if context is None else _flatten_batch(context))
  y = tf.reshape(y, tf.concat([batch_shape, tf.shape(y)[1:]], 0))
  return y, tf.reshape(log_det, batch_shape)


def _flatten_batch(x):
  x = tf.convert_to_tensor(x, dtype_hint=tf.float32)
  return tf.reshape(x, tf.concat([[-1], tf.shape(x)[-IMAGE_EVENT_NDIMS:]], 0))


def event_size(shape) -> int:
  """Number of scalars in an event of static shape `(H, W, C)`."""
  h, w, c = shape
  return int(h) * int(w) * int(c)
