"""Tests for Flow++'s conditioning networks and data-initialised convs."""

import numpy as np
import tensorflow as tf
import tf_keras

from tfp_flows import nets
from tfp_flows.nets import initialization
from tfp_flows.nets import layers


def _count(layer):
  return sum(v.shape.num_elements() for v in layer.trainable_variables)


class DataInitConv2DTest(tf.test.TestCase):

  def test_first_batch_sets_zero_mean_and_init_scale_std(self):
    conv = layers.DataInitConv2D(6, 3, init_scale=0.1)
    x = tf.constant(np.random.default_rng(0).normal(
        2.0, 3.0, size=(16, 5, 5, 4)), tf.float32)
    with initialization.data_dependent_init():
      initial = conv(x)
    mean, variance = tf.nn.moments(initial, axes=[0, 1, 2])
    self.assertAllClose(mean, np.zeros(6), atol=1e-5)
    self.assertAllClose(tf.sqrt(variance), np.full(6, 0.1), rtol=1e-3)
    # In place: the rescaled W and b give the same output afterwards, and
    # the layer has only W and b (no weight-norm variables).
    self.assertAllClose(conv(x), initial, atol=1e-5)
    self.assertLen(conv.trainable_variables, 2)


class FlowppNetTest(tf.test.TestCase):

  def test_block_parameter_count_matches_the_reference(self):
    # Reference (F = 96): 165,984 + 37,056 + 384 + 27,936 + 18,624.
    network = nets.FlowppNet(6, hidden_channels=96, num_blocks=1)
    network(tf.zeros((1, 4, 4, 3)))
    (block,) = network.blocks
    self.assertEqual(_count(block), 249_984)
    self.assertEqual(_count(network.proj_in), 9 * 3 * 96 + 96)
    self.assertEqual(network.position_embedding.shape, (4, 4, 96))

  def test_context_adds_one_projection_per_block(self):
    network = nets.FlowppNet(6, hidden_channels=96, num_blocks=2,
                             use_context=True)
    network(tf.zeros((1, 4, 4, 3)), context=tf.zeros((1, 4, 4, 32)))
    plain = nets.FlowppNet(6, hidden_channels=96, num_blocks=2)
    plain(tf.zeros((1, 4, 4, 3)))
    self.assertEqual(_count(network) - _count(plain), 2 * 6_240)

  def test_attention_sees_every_position(self):
    """One changed pixel moves the output at distant positions only with
    attention (the convs' receptive field is local)."""
    def far_change(attention):
      tf_keras.utils.set_random_seed(0)
      network = nets.FlowppNet(2, hidden_channels=8, num_blocks=1, heads=2,
                               attention=attention, dropout=0.0)
      x = np.random.default_rng(1).normal(size=(1, 12, 12, 1))
      with initialization.data_dependent_init():
        network(tf.constant(x, tf.float32))
      moved = x.copy()
      moved[0, 0, 0, 0] += 5.0
      delta = network(tf.constant(moved, tf.float32)) - network(
          tf.constant(x, tf.float32))
      return float(tf.reduce_max(tf.abs(delta[0, 8:, 8:])))
    self.assertGreater(far_change(True), 1e-4)
    self.assertEqual(far_change(False), 0.0)

  def test_dropout_only_in_training(self):
    network = nets.FlowppNet(2, hidden_channels=8, num_blocks=1, heads=2,
                             dropout=0.5)
    x = tf.constant(np.random.default_rng(2).normal(size=(2, 4, 4, 1)),
                    tf.float32)
    with initialization.data_dependent_init():
      network(x)
    self.assertAllEqual(network(x), network(x))
    self.assertNotAllClose(network(x, training=True),
                           network(x, training=True))

  def test_heads_must_divide_channels(self):
    with self.assertRaisesRegex(ValueError, "heads"):
      nets.FlowppNet(2, hidden_channels=10, heads=4)


class ContextNetTest(tf.test.TestCase):

  def test_parameter_count_matches_the_reference(self):
    # Reference: 167,936 on a [32, 16, 6] column-split CIFAR-10 image.
    network = nets.ContextNet(32, 3)
    out = network(tf.zeros((1, 32, 16, 6)))
    self.assertEqual(out.shape, (1, 32, 16, 32))
    self.assertEqual(_count(network), 167_936)


if __name__ == "__main__":
  tf.test.main()
