"""MaCow's conditioning networks (Ma et al. 2019, the official code's shapes).

    coupling / prior net:  [inputs, context] -> 3x3 conv -> ELU -> 1x1 conv
                           -> ELU -> zero-initialised 3x3 conv
    dequantizer encoder:   3x3 conv -> residual block          (width F1)
                           stride-2 3x3 conv -> residual block (width F2)
                           stride-2 transposed 3x3 conv -> residual block (F1)
                           1x1 conv -> output channels (4)

The coupling net concatenates the context (when given) to its input, as the
dequantizer's couplings do with the image encoding.
"""

import tensorflow as tf
import tf_keras

from tfp_flows.nets import layers


class MacowCouplingNet(tf_keras.layers.Layer):
  """3x3 conv -> ELU -> 1x1 conv -> ELU -> zero 3x3 conv, width F.

  The last conv starts at zero, so a new coupling (or split prior) starts
  with a constant scale `sigmoid(2)` and no shift.
  """

  def __init__(self, output_channels, hidden_channels=512, name=None):
    super().__init__(name=name)
    self.hidden_in = tf_keras.layers.Conv2D(hidden_channels, 3,
                                            padding="same")
    self.hidden_mid = tf_keras.layers.Conv2D(hidden_channels, 1)
    self.out = layers.zero_conv(output_channels)

  def call(self, x, context=None, training=False):
    if context is not None:
      x = tf.concat([x, context], axis=-1)
    h = tf.nn.elu(self.hidden_in(x))
    return self.out(tf.nn.elu(self.hidden_mid(h)))


class _ResidualBlock(tf_keras.layers.Layer):
  """`x + conv(elu(conv(elu(x))))`, 3x3 convs."""

  def __init__(self, channels, name=None):
    super().__init__(name=name)
    self.conv_a = tf_keras.layers.Conv2D(channels, 3, padding="same")
    self.conv_b = tf_keras.layers.Conv2D(channels, 3, padding="same")

  def call(self, x):
    return x + self.conv_b(tf.nn.elu(self.conv_a(tf.nn.elu(x))))


class MacowEncoder(tf_keras.layers.Layer):
  """The dequantizer's image encoding `s`: down once, up again, 1x1 out.

  Needs even height and width (it downsamples by 2 and upsamples back to
  the image's grid, on which the flow's masked convs read it).
  """

  def __init__(self, output_channels=4, hidden_channels=(32, 64), name=None):
    super().__init__(name=name)
    outer, inner = (int(c) for c in hidden_channels)
    self.conv_in = tf_keras.layers.Conv2D(outer, 3, padding="same")
    self.block_in = _ResidualBlock(outer)
    self.down = tf_keras.layers.Conv2D(inner, 3, strides=2, padding="same")
    self.block_mid = _ResidualBlock(inner)
    self.up = tf_keras.layers.Conv2DTranspose(outer, 3, strides=2,
                                              padding="same")
    self.block_out = _ResidualBlock(outer)
    self.out = tf_keras.layers.Conv2D(output_channels, 1)

  def call(self, x, training=False):
    h = self.block_in(self.conv_in(x))
    h = self.block_mid(self.down(tf.nn.elu(h)))
    h = self.block_out(self.up(tf.nn.elu(h)))
    return self.out(tf.nn.elu(h))
