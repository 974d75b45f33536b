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
ignore it. A layer that changes the spatial layout (a squeeze) changes the
context's alike for the layers after it (`transform_context`), so a context
on the image's grid stays aligned with it (MaCow's dequantizer). Through the TFP API it is a keyword, as for TFP's own conditional
bijectors: `bijector.forward(x, context=c)`.

Models call the public fused methods directly, so each network runs once per
pass; users composing these bijectors with plain TFP (`tfb.Chain`,
`tfb.Invert`, `tfd.TransformedDistribution`) get the usual API.

Events are images `[..., H, W, C]` (`forward_min_event_ndims = 3`); any number
of leading batch dimensions is accepted and flattened around the fused call.

A bijector built for one event shape (`event_shape=(H, W, C)`, any entry
`None` when it takes any size there, e.g. a 1x1 conv fixes only `C`) checks
its input's static shape on every call, for free at trace time, and raises a
`ShapeError` naming both shapes: a wrong shape would otherwise surface as a
raw TensorFlow error deep inside, or, for a coupling on a smaller image, as
a silently wrong result. A tensor of another dtype than float32 is an
`InputTypeError` on every path (Python numbers and numpy arrays are
converted, as TFP does). With `validate_args=True` a bijector also asserts
the shape at run time where it is not known statically, and that the input
values are finite (and in range, where its domain is smaller): eagerly a
`DataError` at once, in a graph an assertion that fails when it runs (XLA
drops those).
"""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_flows import errors

tfb = tfp.bijectors

IMAGE_EVENT_NDIMS = 3


class FlowBijector(tfb.Bijector):
  """A `tfb.Bijector` on image events with fused value-and-log-det passes.

  Subclasses implement `_forward_and_log_det` and `_inverse_and_log_det` on
  rank-4 tensors, returning a log-det of shape `[N]`. `training` switches
  dropout in conditioning networks; it is `False` on the TFP-API paths.
  """

  def __init__(self, *, parameters, name, event_shape=None,
               is_constant_jacobian=False, validate_args=False):
    self._image_shape = None if event_shape is None else tuple(
        None if d is None else int(d) for d in event_shape)
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

  @property
  def image_shape(self):
    """The `(H, W, C)` this bijector was built for (None: any), or None."""
    return self._image_shape

  def forward_and_log_det(self, x, training=False, context=None):
    """Returns `(forward(x), forward_log_det_jacobian(x))` in one pass."""
    with tf.name_scope(self.name):
      return _over_flat_batch(self._checked(self._forward_and_log_det),
                              self._image_tensor(x), training, context)

  def inverse_and_log_det(self, y, training=False, context=None):
    """Returns `(inverse(y), inverse_log_det_jacobian(y))` in one pass."""
    with tf.name_scope(self.name):
      return _over_flat_batch(self._checked(self._inverse_and_log_det),
                              self._image_tensor(y), training, context)

  # TFP's methods convert their input first, and a tensor of another dtype
  # (or, for the log-dets, of a lower rank) would fail there with a bare
  # ValueError: they check it first too.

  def forward(self, x, name="forward", **kwargs):
    return super().forward(self._image_tensor(x), name=name, **kwargs)

  def inverse(self, y, name="inverse", **kwargs):
    return super().inverse(self._image_tensor(y), name=name, **kwargs)

  def forward_log_det_jacobian(self, x, event_ndims=None,
                               name="forward_log_det_jacobian", **kwargs):
    return super().forward_log_det_jacobian(
        self._image_tensor(x), event_ndims=event_ndims, name=name, **kwargs)

  def inverse_log_det_jacobian(self, y, event_ndims=None,
                               name="inverse_log_det_jacobian", **kwargs):
    return super().inverse_log_det_jacobian(
        self._image_tensor(y), event_ndims=event_ndims, name=name, **kwargs)

  def _image_tensor(self, x):
    """`x` as a float32 tensor of rank >= 3, or a project error saying why.

    A tensor of another dtype is an `InputTypeError`; Python numbers and
    numpy arrays are converted, as TFP does.
    """
    if not tf.is_tensor(x):
      x = tf.convert_to_tensor(x, dtype=tf.float32)
    elif x.dtype != tf.float32:
      raise errors.InputTypeError(
          f"{self.name} takes float32 tensors; got dtype {x.dtype.name}.")
    if x.shape.rank is None or x.shape.rank < IMAGE_EVENT_NDIMS:
      raise errors.ShapeError(
          f"Expected an image tensor [..., H, W, C]; got shape {x.shape}.")
    return x

  def _output_image_shape(self):
    """The shape `inverse` takes; shape-changing bijectors override it."""
    return self._image_shape

  def _checked(self, fused_fn):
    """`fused_fn` behind the checks of its input (see the module docstring)."""
    expected = (self._image_shape if fused_fn.__name__.startswith("_forward")
                else self._output_image_shape())

    def checked(x, training, context):
      x = self._check_input(x, expected)
      return fused_fn(x, training, context)
    return checked

  def _check_input(self, x, expected):
    if self.validate_args:
      x = check_values(x, tf.math.is_finite, self.name, "finite")
    if expected is None:
      return x
    static = tuple(x.shape[-3:]) if x.shape.rank is not None else None
    if static is not None and any(
        e is not None and s is not None and e != s
        for e, s in zip(expected, static)):
      raise errors.ShapeError(
          f"{self.name} was built for events of shape {_show(expected)}; got "
          f"a tensor of shape {tuple(x.shape)} (events "
          f"{_show(static)}).")
    if self.validate_args and (static is None or None in static):
      dims = [i for i, e in enumerate(expected) if e is not None]
      with tf.control_dependencies([tf.debugging.assert_equal(
          tf.gather(tf.shape(x)[-3:], dims),
          tf.constant([expected[i] for i in dims]),
          message=f"{self.name}: event shape must be {_show(expected)}")]):
        x = tf.identity(x)
    return x

  def transform_context(self, context):
    """The context as the layers after this one see it (default: as is)."""
    return context

  @property
  def keeps_layout(self):
    """Whether the layers after this one see the context as it is.

    False for a layer that moves the image's grid (a squeeze), so its
    output and the context it hands on are laid out anew.
    """
    return type(self).transform_context is FlowBijector.transform_context

  def _forward_and_log_det(self, x, training, context=None):
    raise NotImplementedError

  def _inverse_and_log_det(self, y, training, context=None):
    raise NotImplementedError

  def _forward(self, x, context=None):
    return self.forward_and_log_det(x, context=context)[0]

  def _inverse(self, y, context=None):
    return self.inverse_and_log_det(y, context=context)[0]

  def _forward_log_det_jacobian(self, x, context=None):
    return self.forward_and_log_det(x, context=context)[1]

  def _inverse_log_det_jacobian(self, y, context=None):
    return self.inverse_and_log_det(y, context=context)[1]


def _over_flat_batch(fused_fn, x, training, context):
  """Applies a rank-4 fused function to `[..., H, W, C]` with any batch rank."""
  if x.shape.rank == 4:
    return fused_fn(x, training, context)
  batch_shape = tf.shape(x)[:-IMAGE_EVENT_NDIMS]
  y, log_det = fused_fn(_flatten_batch(x), training,
                        None if context is None else _flatten_batch(context))
  y = tf.reshape(y, tf.concat([batch_shape, tf.shape(y)[1:]], 0))
  return y, tf.reshape(log_det, batch_shape)


def _flatten_batch(x):
  x = tf.convert_to_tensor(x, dtype_hint=tf.float32)
  return tf.reshape(x, tf.concat([[-1], tf.shape(x)[-IMAGE_EVENT_NDIMS:]], 0))


def check_values(x, is_valid, name, requirement):
  """`x`, checked to satisfy `is_valid` (elementwise) for `validate_args`.

  Eagerly the values are at hand, so a violation is a `DataError` at once,
  before any work; in a graph it is an assertion that fails when the graph
  runs.

  Args:
    x: the input tensor.
    is_valid: maps `x` to a boolean tensor of its shape.
    name: the bijector's name, for the message.
    requirement: what the values must be, e.g. "finite" or "in [0, 256]".
  """
  valid = is_valid(x)
  message = f"{name}: input values must be {requirement}"
  if tf.executing_eagerly():
    invalid = int(tf.size(valid)) - int(tf.math.count_nonzero(valid))
    if invalid:
      raise errors.DataError(
          f"{message}; {invalid} of {int(tf.size(valid))} are not.")
    return x
  with tf.control_dependencies([tf.debugging.Assert(
      tf.reduce_all(valid), [message])]):
    return tf.identity(x)


def _show(shape):
  return "(" + ", ".join("any" if d is None else str(d) for d in shape) + ")"


def event_size(shape) -> int:
  """Number of scalars in an event of static shape `(H, W, C)`."""
  h, w, c = shape
  return int(h) * int(w) * int(c)
