"""Glow's coupling network."""

import tensorflow as tf
import tf_keras

from tfp_flows.nets import layers


class GlowNet(tf_keras.layers.Layer):
  """3x3 conv -> ActNorm -> ReLU -> 1x1 conv -> ActNorm -> ReLU -> zero 3x3.

  Kingma & Dhariwal (2018), section 3.3. The convolutions before an ActNorm
  have no bias (the ActNorm's bias replaces it); the last conv starts at zero
  so each coupling starts near the identity.
  """

  def __init__(self, output_channels, hidden_channels=512, name=None):
    super().__init__(name=name)
    self.hidden_in = tf_keras.layers.Conv2D(
        hidden_channels, 3, padding="same", use_bias=False)
    self.norm_in = layers.ActNorm()
    self.hidden_mid = tf_keras.layers.Conv2D(
        hidden_channels, 1, padding="same", use_bias=False)
    self.norm_mid = layers.ActNorm()
    self.out = layers.zero_conv(output_channels)

  def call(self, x, training=False):
    h = tf.nn.relu(self.norm_in.after_conv(self.hidden_in, x))
    h = tf.nn.relu(self.norm_mid.after_conv(self.hidden_mid, h))
    return self.out(h)
