"""Tests for the networks' ActNorm, and its folding into a convolution."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf
import tf_keras

from tfp_flows.nets import initialization
from tfp_flows.nets import layers


def _built(kernel_size, seed=0, **conv_kwargs):
  """A conv (bias-free by default) and an ActNorm after it, with
  non-trivial weights."""
  rng = np.random.default_rng(seed)
  conv_kwargs = dict(dict(padding="same", use_bias=False), **conv_kwargs)
  conv = tf_keras.layers.Conv2D(5, kernel_size, **conv_kwargs)
  norm = layers.ActNorm()
  norm(conv(tf.zeros((1, 6, 6, 3))))
  if conv.use_bias:
    conv.bias.assign(rng.normal(size=5))
  norm.bias.assign(rng.normal(size=5))
  norm.log_scale.assign(rng.normal(scale=0.5, size=5))
  x = tf.constant(rng.normal(size=(4, 6, 6, 3)), tf.float32)
  return conv, norm, x


class ActNormAfterConvTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(1, 3)
  def test_equals_the_norm_of_the_conv(self, kernel_size):
    conv, norm, x = _built(kernel_size)
    self.assertAllClose(norm.after_conv(conv, x), norm(conv(x)),
                        rtol=1e-5, atol=1e-5)

  @parameterized.parameters(
      dict(use_bias=True), dict(strides=2), dict(padding="valid"),
      dict(dilation_rate=2))
  def test_equals_the_norm_of_any_conv(self, **conv_kwargs):
    conv, norm, x = _built(3, seed=3, **conv_kwargs)
    self.assertAllClose(norm.after_conv(conv, x), norm(conv(x)),
                        rtol=1e-5, atol=1e-5)

  @parameterized.parameters(False, True)
  def test_gradients_equal_the_unfolded_ones(self, graph):
    conv, norm, x = _built(3, seed=1)
    weights = [conv.kernel, norm.bias, norm.log_scale]

    def gradients(fold):
      with tf.GradientTape() as tape:
        tape.watch(x)
        y = norm.after_conv(conv, x) if fold else norm(conv(x))
        loss = tf.reduce_sum(tf.nn.relu(y) * x[..., :1])
      return tape.gradient(loss, weights + [x])

    run = tf.function(gradients) if graph else gradients
    for folded, unfolded in zip(run(True), run(False)):
      self.assertAllClose(folded, unfolded, rtol=1e-4, atol=1e-5)

  def test_scales_the_kernel_not_the_activations(self):
    conv, norm, x = _built(3)
    folded = tf.function(lambda x: norm.after_conv(conv, x))
    graph = folded.get_concrete_function(x).graph
    products = [op for op in graph.get_operations() if op.type == "Mul"]
    # kernel * scale and bias * scale: no product of activation size.
    self.assertLen(products, 2)
    for op in products:
      self.assertLess(op.outputs[0].shape.num_elements(),
                      x.shape.num_elements())

  def test_data_dependent_init_standardises_the_conv_output(self):
    conv, norm, x = _built(3, seed=2)
    with initialization.data_dependent_init():
      initial = norm.after_conv(conv, x)
    mean, variance = tf.nn.moments(initial, axes=[0, 1, 2])
    self.assertAllClose(mean, np.zeros(5), atol=1e-5)
    self.assertAllClose(variance, np.ones(5), rtol=1e-3)
    # The initialised weights give the same output folded.
    self.assertAllClose(norm.after_conv(conv, x), initial, atol=1e-4)

  def test_first_call_builds_both_layers(self):
    conv = tf_keras.layers.Conv2D(4, 3, padding="same", use_bias=False)
    norm = layers.ActNorm()
    y = norm.after_conv(conv, tf.ones((2, 5, 5, 3)))
    self.assertEqual(y.shape, (2, 5, 5, 4))
    self.assertTrue(conv.built and norm.built)


if __name__ == "__main__":
  tf.test.main()
