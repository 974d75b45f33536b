"""MaCow's masked convolutional flow: an autoregressive map over image rows."""

import tensorflow as tf
import tf_keras

from tfp_flows import errors
from tfp_flows.bijectors import flow_bijector
from tfp_flows.nets import layers

ORIENTATIONS = ("A", "B", "C", "D")


class MaskedConvFlow(flow_bijector.FlowBijector):
  """MaCow's masked convolutional flow (MCF; Ma et al. 2019), per pixel

      y[i, j] = x[i, j] * sigmoid(h[i, j] + 2) + mu[i, j]     (affine)
      y[i, j] = x[i, j] + mu[i, j]                             (additive)

  with `[mu, h] = conv1x1(elu(masked_conv(x) + conv3x3(context)))` (channels
  `[:C]` are `mu`, `[C:]` are `h`; the context term only when
  `context_channels > 0`). The 1x1 conv is zero-initialised, so a new affine
  MCF is `y = x * sigmoid(2)` and a new additive one the identity.

  `masked_conv` lets output pixel `(i, j)` see, with `kernel_size = (kH, kW)`
  and `p = kW // 2`, only

      A: rows i-kH .. i-1,  columns j-p .. j+p     (strictly above)
      B: rows i+1 .. i+kH,  columns j-p .. j+p     (strictly below)
      C: columns j-kH .. j-1, rows i-p .. i+p      (strictly left)
      D: columns j+1 .. j+kH, rows i-p .. i+p      (strictly right).

  It is implemented by shifting, not by masking a kernel. The weights live
  in A's frame, where padding kH rows on top and p columns on each side,
  dropping the last row and running a VALID kH x kW conv gives orientation
  A; B, C and D are A on the image with its rows flipped, transposed, or
  both. The forward pass maps the kernels (not the activations) to the
  image's layout and shifts the image the same way on the bottom, left or
  right; the sequential inverse maps the activations into A's frame.

  `y[i, j]` depends on `x[i, j]` only through the elementwise affine and on
  the other pixels only through earlier rows of the frame, so the Jacobian
  is triangular in frame-row order with a diagonal of scales:

      log|det dy/dx| = sum_{i, j, c} log sigmoid(h[i, j, c] + 2)

  (0 for the additive MCF). The forward pass and its log-det take one
  parallel pass of the network.

  Inversion is sequential over the frame's rows (rows for A and B, columns
  for C and D), inside one `tf.while_loop`: row `i` of `x` comes from row `i`
  of `y` once rows `< i` are known, since the kH recovered rows above it
  (a window of kH x (W + 2p) of the padded image) are all its masked conv
  reads. Each step runs the VALID conv on that window (one row of hidden
  units), the ELU and the 1x1 conv, and solves
  `x[i] = (y[i] - mu[i]) * exp(-log sigmoid(h[i] + 2))`. The context term
  does not depend on `x`, so its 3x3 conv runs once, in parallel, before
  the loop.

  Cost, in multiply-adds per image with `C` channels, `Cs` context channels
  and `F = hidden_channels`:

      masked conv   H * W * kH * kW * C * F
      1x1 conv      H * W * F * 2C           (F * C when additive)
      context conv  H * W * 9 * Cs * F.

  The windowed inverse computes exactly one row of outputs per step, so its
  arithmetic equals the forward's, spread over H (A, B) or W (C, D)
  sequential steps; the traced graph does not grow with the image.

  Args:
    event_shape: `(H, W, C)` of the input.
    orientation: `'A'`, `'B'`, `'C'` or `'D'` (see above).
    hidden_channels: width `F` of the masked conv's hidden layer.
    kernel_size: `(kH, kW)` of the masked conv in A's frame, positive, `kW`
      odd (MaCow uses `(2, 3)` and `(2, 5)`).
    additive: drop the scale (`y = x + mu`), as MaCow's CelebA-HQ model.
    context_channels: channels of a conditioning tensor `[N, H, W, Cs]`
      (given as `context=`), added to the hidden layer through a 3x3 conv,
      as in MaCow's variational dequantizer; 0 for none.
  """

  def __init__(self, event_shape, orientation, hidden_channels,
               kernel_size=(2, 3), additive=False, context_channels=0,
               validate_args=False, name="masked_conv_flow"):
    parameters = dict(locals())
    if orientation not in ORIENTATIONS:
      raise errors.ConfigError(
          f"orientation must be one of {', '.join(ORIENTATIONS)}; got "
          f"{orientation!r}.")
    kernel_h, kernel_w = (int(k) for k in kernel_size)
    if kernel_h < 1 or kernel_w < 1 or kernel_w % 2 == 0:
      raise errors.ConfigError(
          f"kernel_size must be positive with an odd width; got "
          f"{tuple(kernel_size)}.")
    if int(hidden_channels) < 1 or int(context_channels) < 0:
      raise errors.ConfigError(
          f"hidden_channels must be positive and context_channels "
          f"non-negative; got {hidden_channels} and {context_channels}.")
    self._event_shape_hwc = tuple(int(d) for d in event_shape)
    self._orientation = orientation
    self._kernel_size = (kernel_h, kernel_w)
    self._hidden_channels = int(hidden_channels)
    self._additive = bool(additive)
    self._context_channels = int(context_channels)

    height, width, channels = self._event_shape_hwc
    if orientation in ("C", "D"):
      height, width = width, height
    half = kernel_w // 2
    with tf.name_scope(name):
      self.masked_conv = tf_keras.layers.Conv2D(
          self._hidden_channels, (kernel_h, kernel_w), padding="valid",
          name="masked_conv")
      self.masked_conv.build(
          [None, height + kernel_h - 1, width + 2 * half, channels])
      self.context_conv = None
      if self._context_channels:
        self.context_conv = tf_keras.layers.Conv2D(
            self._hidden_channels, 3, padding="same", name="context_conv")
        self.context_conv.build(
            [None, height, width, self._context_channels])
      self.output_conv = layers.zero_conv(
          channels if self._additive else 2 * channels, kernel_size=1,
          name="output_conv")
      self.output_conv.build([None, height, width, self._hidden_channels])
    super().__init__(parameters=parameters, name=name,
                     is_constant_jacobian=self._additive,
                     validate_args=validate_args)

  @property
  def orientation(self):
    return self._orientation

  @property
  def kernel_size(self):
    return self._kernel_size

  @property
  def hidden_channels(self):
    return self._hidden_channels

  @property
  def additive(self):
    return self._additive

  @property
  def context_channels(self):
    return self._context_channels

  # Maps between the image and A's frame, where every orientation reads
  # strictly earlier rows. Each is its own inverse except D's pair.
  def _to_frame(self, x):
    if self._orientation == "B":
      return tf.reverse(x, axis=[1])
    if self._orientation == "C":
      return tf.transpose(x, [0, 2, 1, 3])
    if self._orientation == "D":
      return tf.reverse(tf.transpose(x, [0, 2, 1, 3]), axis=[1])
    return x

  def _from_frame(self, x):
    if self._orientation == "B":
      return tf.reverse(x, axis=[1])
    if self._orientation == "C":
      return tf.transpose(x, [0, 2, 1, 3])
    if self._orientation == "D":
      return tf.transpose(tf.reverse(x, axis=[1]), [0, 2, 1, 3])
    return x

  def _check_inputs(self, x, context):
    """Returns the context as a tensor after static checks of both shapes.

    The checks that always run catch what would otherwise fail obscurely
    (channels); `validate_args` adds the exact event shape. An unconditional
    MCF ignores a context, as every unconditional layer of a conditional
    flow does.
    """
    if not self._context_channels:
      context = None
    if context is not None:
      context = tf.convert_to_tensor(context, dtype_hint=tf.float32)
    if self._context_channels and context is None:
      raise errors.ShapeError(
          f"{self.name} is conditional (context_channels="
          f"{self._context_channels}) but no context was given; pass "
          f"context=[N, H, W, {self._context_channels}].")
    expected = self._event_shape_hwc
    got = tuple(x.shape[1:])
    if x.shape.rank != 4 or (got[-1] is not None and got[-1] != expected[-1]):
      raise errors.ShapeError(
          f"{self.name} expects images [N, H, W, {expected[-1]}]; got shape "
          f"{x.shape}.")
    if self.validate_args and any(
        g is not None and g != e for g, e in zip(got, expected)):
      raise errors.ShapeError(
          f"{self.name}: expected event shape {expected}; got {got}.")
    if context is None:
      return None
    context_got = tuple(context.shape[1:])
    context_expected = got[:2] + (self._context_channels,)
    if self.validate_args:
      context_expected = expected[:2] + (self._context_channels,)
    if context.shape.rank != 4 or any(
        g is not None and e is not None and g != e
        for g, e in zip(context_got, context_expected)):
      raise errors.ShapeError(
          f"{self.name}: expected a context of shape [N, "
          f"{', '.join(str(d) for d in context_expected)}]; got "
          f"{context.shape}.")
    return context

  def _context_hidden(self, context):
    """The context's contribution to the hidden layer, in A's frame."""
    if context is None:
      return None
    return self.context_conv(self._to_frame(context))

  def _split_params(self, params):
    """`(mu, log_scale)`; `log_scale` is None for the additive MCF."""
    channels = self._event_shape_hwc[-1]
    if self._additive:
      return params, None
    mu, raw = tf.split(params, [channels, channels], axis=-1)
    return mu, tf.math.log_sigmoid(raw + 2.0)

  def _kernel_in_image(self, kernel):
    """A kernel of A's frame `[kh, kw, in, out]` as it acts on the image."""
    if self._orientation == "B":
      return tf.reverse(kernel, axis=[0])
    if self._orientation == "C":
      return tf.transpose(kernel, [1, 0, 2, 3])
    if self._orientation == "D":
      return tf.reverse(tf.transpose(kernel, [1, 0, 2, 3]), axis=[1])
    return kernel

  def _shifted(self, x):
    """`x` padded so a VALID conv with `_kernel_in_image` is the masked one.

    A: kH rows of zeros on top and the last row dropped, so output row i
    reads rows i-kH .. i-1; B, C, D: the same on the bottom, left, right.
    """
    kernel_h, kernel_w = self._kernel_size
    half = kernel_w // 2
    along_rows = self._orientation in ("A", "B")
    before = self._orientation in ("A", "C")
    sequential = [kernel_h, 0] if before else [0, kernel_h]
    paddings = [[0, 0], sequential if along_rows else [half, half],
                [half, half] if along_rows else sequential, [0, 0]]
    padded = tf.pad(x, paddings)
    # tf.slice, whose gradient is a pad: a strided slice's is a strided write
    # into a zeroed copy (with the parameters' indexing, 8% of MaCow's CPU
    # training step).
    axis = 1 if along_rows else 2
    begin = [0, 0, 0, 0]
    size = [-1, -1, -1, -1]
    # A static length keeps the size one constant, not a shape computation
    # (MaCow's CIFAR-10 step has 576 of these slices to trace).
    length = padded.shape[axis]
    size[axis] = (tf.shape(padded)[axis] if length is None else length) - 1
    if not before:
      begin[axis] = 1
    return tf.slice(padded, begin, size)

  def _forward_and_log_det(self, x, training, context=None):
    # The whole pass runs on the image's own layout (the kernels are mapped
    # instead of the activations): no transposes in the training path.
    context = self._check_inputs(x, context)
    hidden = tf.nn.bias_add(tf.nn.conv2d(
        self._shifted(x), self._kernel_in_image(self.masked_conv.kernel), 1,
        "VALID"), self.masked_conv.bias)
    if context is not None:
      hidden += tf.nn.bias_add(tf.nn.conv2d(
          context, self._kernel_in_image(self.context_conv.kernel), 1,
          "SAME"), self.context_conv.bias)
    mu, log_scale = self._split_params(self.output_conv(tf.nn.elu(hidden)))
    if log_scale is None:
      return x + mu, tf.zeros(tf.shape(x)[:1], x.dtype)
    return (x * tf.exp(log_scale) + mu,
            tf.reduce_sum(log_scale, axis=[1, 2, 3]))

  def _inverse_and_log_det(self, y, training, context=None):
    context = self._check_inputs(y, context)
    kernel_h, kernel_w = self._kernel_size
    half = kernel_w // 2
    frame = self._to_frame(y)
    shape = tf.shape(frame)
    batch = shape[0]
    height = frame.shape[1] if frame.shape[1] is not None else shape[1]
    width = frame.shape[2] if frame.shape[2] is not None else shape[2]
    channels = self._event_shape_hwc[-1]
    # Row-major layouts so that one step reads and writes a leading index.
    y_rows = tf.transpose(frame, [1, 0, 2, 3])
    context_hidden = self._context_hidden(context)
    context_rows = (None if context_hidden is None else
                    tf.transpose(context_hidden, [1, 0, 2, 3]))
    # Recovered rows of x, already padded as the forward pads them: row i
    # of x lives at kH + i, so rows i .. i+kH-1 are the window of row i.
    padded = tf.zeros(
        tf.stack([height + kernel_h, batch, width + 2 * half, channels]),
        dtype=y.dtype)
    window_offsets = tf.range(kernel_h)

    def step(i, padded, log_det):
      window = tf.transpose(
          tf.gather(padded, i + window_offsets), [1, 0, 2, 3])
      hidden = self.masked_conv(window)
      if context_rows is not None:
        hidden += tf.gather(context_rows, i)[:, None]
      mu, log_scale = self._split_params(
          self.output_conv(tf.nn.elu(hidden))[:, 0])
      x_row = tf.gather(y_rows, i) - mu
      if log_scale is not None:
        x_row *= tf.exp(-log_scale)
        log_det -= tf.reduce_sum(log_scale, axis=[1, 2])
      x_row = tf.pad(x_row, [[0, 0], [half, half], [0, 0]])
      padded = tf.tensor_scatter_nd_update(
          padded, tf.reshape(kernel_h + i, [1, 1]), x_row[None])
      return i + 1, padded, log_det

    _, padded, log_det = tf.while_loop(
        lambda i, *_: i < height, step,
        (tf.constant(0), padded, tf.zeros(tf.reshape(batch, [1]), y.dtype)),
        maximum_iterations=height)
    x = tf.transpose(padded[kernel_h:, :, half:half + width], [1, 0, 2, 3])
    return self._from_frame(x), log_det
