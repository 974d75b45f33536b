"""RealNVP's residual coupling network (ActNorm in place of batch norm)."""

import tensorflow as tf
import tf_keras

from tfp_flows import scanning
from tfp_flows.nets import layers


class _ResidualBlock(tf_keras.layers.Layer):
  """`x + conv(relu(norm(conv(relu(norm(x))))))`, pre-activation style."""

  def __init__(self, channels, name=None):
    super().__init__(name=name)
    self.norm_a = layers.ActNorm()
    self.conv_a = tf_keras.layers.Conv2D(channels, 3, padding="same",
                                         use_bias=False)
    self.norm_b = layers.ActNorm()
    self.conv_b = tf_keras.layers.Conv2D(channels, 3, padding="same")

  def call(self, x):
    h = self.norm_b.after_conv(self.conv_a,
                               tf.nn.relu(self.norm_a(x)))
    return x + self.conv_b(tf.nn.relu(h))


class ResNet(tf_keras.layers.Layer):
  """3x3 conv in -> `num_blocks` residual blocks -> ReLU -> zero 3x3 conv out.

  Dinh et al. (2017) use batch norm; batch statistics would make the density
  of an image depend on its batch-mates and break replica equality, so this
  network uses data-initialised ActNorm instead. `scan_blocks` runs the
  identical blocks as one traced loop (`scanning.run_repeated`).
  """

  def __init__(self, output_channels, hidden_channels=64, num_blocks=2,
               scan_blocks=False, name=None):
    super().__init__(name=name)
    self.scan_blocks = bool(scan_blocks)
    self.conv_in = tf_keras.layers.Conv2D(hidden_channels, 3, padding="same")
    self.blocks = [_ResidualBlock(hidden_channels, name=f"block_{i}")
                   for i in range(num_blocks)]
    self.norm_out = layers.ActNorm()
    self.out = layers.zero_conv(output_channels)

  def call(self, x, training=False):
    h = scanning.run_repeated(self.blocks, lambda block, h: block(h),
                              self.conv_in(x), scan=self.scan_blocks)
    return self.out(tf_keras.activations.relu(self.norm_out(h)))
