"""Tests for gradients that recompute a function's intermediates."""

from unittest import mock

import numpy as np
import tensorflow as tf
from tensorflow.python.ops import op_selector  # pylint: disable=g-direct-tensorflow-import

from tfp_flows import recomputation
from tfp_flows.nets import flowpp_net

_MODES = (("eager", None), ("graph", False), ("xla", True))


def _qkv():
  rng = np.random.default_rng(3)
  return [tf.constant(rng.normal(size=(2, 2, 9, 4)), tf.float32)
          for _ in range(3)]


def _gradients(f, inputs, upstream, variables=()):
  """`f(*inputs)` and its gradients for `inputs` and `variables`."""
  with tf.GradientTape() as tape:
    tape.watch(inputs)
    outputs = f(*inputs)
  return [outputs] + tape.gradient(outputs, list(inputs) + list(variables),
                                   output_gradients=upstream)


class RecomputingTest(tf.test.TestCase):

  def _assert_same_in_every_mode(self, f, inputs, upstream, variables=()):
    expected = _gradients(f, inputs, upstream, variables)
    for mode, jit in _MODES:
      with self.subTest(mode):
        compute = lambda x, u: _gradients(  # pylint: disable=cell-var-from-loop
            recomputation.recomputing(f), x, u, variables)
        if jit is not None:
          compute = tf.function(compute, jit_compile=jit)
        got = compute(inputs, upstream)
        for have, want in zip(tf.nest.flatten(got),
                              tf.nest.flatten(expected)):
          self.assertAllClose(have, want, rtol=1e-5, atol=1e-6)

  def test_attention_same_values_and_gradients(self):
    q, k, v = _qkv()
    upstream = tf.constant(np.random.default_rng(4).normal(size=q.shape),
                           tf.float32)
    self._assert_same_in_every_mode(flowpp_net._attend, [q, k, v], upstream)

  def test_variables_and_several_outputs(self):
    rng = np.random.default_rng(5)
    kernel = tf.Variable(rng.normal(size=(4, 4)).astype(np.float32))
    scale = tf.Variable(rng.normal(size=(4,)).astype(np.float32))

    def layer(x):
      y = tf.tanh(x @ kernel) * scale
      return y, tf.reduce_sum(tf.math.log(tf.abs(scale)) + 0.0 * x, -1)

    x = tf.constant(rng.normal(size=(3, 4)), tf.float32)
    upstream = [tf.constant(rng.normal(size=(3, 4)), tf.float32),
                tf.constant(rng.normal(size=(3,)), tf.float32)]
    self._assert_same_in_every_mode(layer, [x], upstream, [kernel, scale])

  def test_backward_pass_replays_the_function(self):
    q, k, v = _qkv()

    def softmaxes(attend):
      graph = tf.function(lambda *a: _gradients(attend, list(a), q)
                          ).get_concrete_function(q, k, v).graph
      return sum(op.type == "Softmax" for op in graph.get_operations())

    self.assertEqual(softmaxes(flowpp_net._attend), 1)
    self.assertEqual(
        softmaxes(recomputation.recomputing(flowpp_net._attend)), 2)

  def test_tracing_never_walks_the_graph_before_the_call(self):
    """So a model with one call per layer traces in linear time (with
    `tf.recompute_grad` this walk covers 433 ops here)."""
    walked = []
    real_walk = op_selector.get_backward_walk_ops

    def spy(*args, **kwargs):
      result = real_walk(*args, **kwargs)
      walked.append(len(result))
      return result

    def deep(q, k, v):
      for _ in range(200):  # A large graph ahead of the call.
        q = tf.sin(q) + k
      return _gradients(recomputation.recomputing(flowpp_net._attend),
                        [q, k, v], tf.ones(q.shape))

    with mock.patch.object(op_selector, "get_backward_walk_ops", spy):
      tf.function(deep).get_concrete_function(*_qkv())
    self.assertNotEmpty(walked)
    self.assertLess(max(walked), 50)


if __name__ == "__main__":
  tf.test.main()
