"""Small tf_keras building blocks shared by the conditioning networks."""

import tf_keras
import tensorflow as tf

from tfp_flows.nets import initialization


class ActNorm(tf_keras.layers.Layer):
  """Per-channel `(x + bias) * exp(log_scale)` inside a network (Glow's NN).

  Initialised from the first batch under
  `initialization.data_dependent_init()`, like the ActNorm bijector; it is
  not invertible-by-contract here, only a normaliser of activations.
  """

  def build(self, input_shape):
    channels = int(input_shape[-1])
    self.bias = self.add_weight(name="bias", shape=[channels],
                                initializer="zeros")
    self.log_scale = self.add_weight(name="log_scale", shape=[channels],
                                     initializer="zeros")

  def call(self, x):
    if initialization.is_initializing():
      bias, log_scale = initialization.standardizing_affine(x, [0, 1, 2])
      self.bias.assign(bias)
      self.log_scale.assign(log_scale)
    return (x + self.bias) * tf.exp(self.log_scale)

  def after_conv(self, conv, x):
    """`self(conv(x))` as one convolution, for a `tf_keras` `Conv2D`.

    `(x * W + c + b) * s = x * (W s) + (c + b) s` (`c` the conv's own bias,
    if any): the scale is folded into the kernel
    (a few thousand multiplies) instead of applied to every activation: the
    graph optimiser fuses the bias and a following ReLU into the
    convolution, and the backward pass has no activation-sized products.
    """
    if initialization.is_initializing() or not (self.built and conv.built):
      # The data-dependent init reads conv(x); a first call builds both.
      return self(conv(x))
    scale = tf.exp(self.log_scale)
    outputs = tf.nn.conv2d(x, conv.kernel * scale, strides=conv.strides,
                           padding=conv.padding.upper(),
                           dilations=conv.dilation_rate)
    bias = self.bias + conv.bias if conv.use_bias else self.bias
    # An add, not tf.nn.bias_add: after a BiasAdd the optimiser fuses the
    # bias gradient into the kernel's (oneDNN's Conv2DBackpropFilterWithBias),
    # 5-12% slower than the two apart for Glow's hidden convolutions here.
    return outputs + bias * scale


def zero_conv(filters, kernel_size=3, name=None):
  """A zero-initialised conv: a new coupling or prior starts as the identity."""
  return tf_keras.layers.Conv2D(
      filters, kernel_size, padding="same", kernel_initializer="zeros",
      bias_initializer="zeros", name=name)


def concat_elu(x):
  """`elu([x, -x])` on channels: PixelCNN++'s and Flow++'s nonlinearity."""
  return tf.nn.elu(tf.concat([x, -x], axis=-1))


class DataInitConv2D(tf_keras.layers.Conv2D):
  """A 'same' conv whose W and b are set from the first batch, in place.

  Under `initialization.data_dependent_init()`, with `y = conv(x; W) + b` per
  output channel of mean `m` and variance `v` over the batch,

      W <- W * init_scale / sqrt(v),   b <- (b - m) * init_scale / sqrt(v),

  so the output starts with zero mean and standard deviation `init_scale`
  (Salimans & Kingma 2016's data-dependent init, without the weight-norm
  variables: Flow++'s parameter count has only W and b per conv).
  """

  def __init__(self, filters, kernel_size, init_scale=1.0, name=None):
    super().__init__(
        filters, kernel_size, padding="same", name=name,
        kernel_initializer=tf_keras.initializers.RandomNormal(stddev=0.05))
    self.init_scale = float(init_scale)

  def call(self, inputs):
    outputs = super().call(inputs)
    if initialization.is_initializing():
      shift, log_scale = initialization.standardizing_affine(outputs,
                                                             [0, 1, 2])
      scale = self.init_scale * tf.exp(log_scale)
      self.kernel.assign(self.kernel * scale)
      self.bias.assign((self.bias + shift) * scale)
      outputs = (outputs + shift) * scale
    return outputs
