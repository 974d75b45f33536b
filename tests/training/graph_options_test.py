"""Tests for the training step's grappler options (`graph_options`)."""

import numpy as np
import tensorflow as tf
from tensorflow.core.protobuf import rewriter_config_pb2
# pylint: disable=g-direct-tensorflow-import
from tensorflow.python.eager import context
# pylint: enable=g-direct-tensorflow-import

from tests.training import tiny_run
from tfp_flows.training import graph_options
from tfp_flows.training import train_step

RewriterConfig = rewriter_config_pb2.RewriterConfig


def _config(options):
  config = tf.compat.v1.ConfigProto()
  config.ParseFromString(options.config_proto_serialized)
  return config


class LeanCallOptionsTest(tf.test.TestCase):

  def test_turns_off_the_six_passes_and_keeps_the_rest(self):
    caller = _config(context.context().function_call_options)
    lean = _config(graph_options.lean_call_options())
    rewrite = lean.graph_options.rewrite_options
    self.assertEqual(rewrite.memory_optimization, RewriterConfig.NO_MEM_OPT)
    self.assertEqual(rewrite.dependency_optimization, RewriterConfig.OFF)
    self.assertEqual(rewrite.meta_optimizer_iterations, RewriterConfig.ONE)
    self.assertEqual(rewrite.layout_optimizer, RewriterConfig.OFF)
    self.assertEqual(rewrite.implementation_selector, RewriterConfig.OFF)
    self.assertTrue(rewrite.disable_tfg_optimizer)
    # Everything else is the caller's: constant folding, the remapper's
    # fusions, the loop optimiser, soft placement.
    for field in ("constant_folding", "remapping", "arithmetic_optimization",
                  "common_subgraph_elimination", "loop_optimization"):
      self.assertEqual(getattr(rewrite, field),
                       getattr(caller.graph_options.rewrite_options, field))
    self.assertEqual(lean.allow_soft_placement, caller.allow_soft_placement)


class CallingWithTest(tf.test.TestCase):

  def test_sets_the_options_inside_and_restores_them_after(self):
    eager = context.context()
    before = eager.function_call_options
    lean = graph_options.lean_call_options()
    with graph_options.calling_with(lean):
      self.assertIs(eager.function_call_options, lean)
    self.assertIs(eager.function_call_options, before)

  def test_restores_them_after_an_error(self):
    eager = context.context()
    before = eager.function_call_options
    with self.assertRaises(ValueError):
      with graph_options.calling_with(graph_options.lean_call_options()):
        raise ValueError("inside")
    self.assertIs(eager.function_call_options, before)

  def test_none_keeps_the_callers(self):
    before = context.context().function_call_options
    with graph_options.calling_with(None):
      self.assertIs(context.context().function_call_options, before)

  def test_a_function_computes_the_same_under_them(self):
    @tf.function
    def f(x):
      return tf.reduce_sum(tf.nn.relu(x * 2.0 + 1.0) * x)

    x = tf.random.stateless_normal([64], seed=[1, 2])
    expected = float(f(x))
    with graph_options.calling_with(graph_options.lean_call_options()):
      self.assertEqual(float(f(x)), expected)


class TrainStepTest(tf.test.TestCase):

  def test_lean_and_default_optimization_train_alike(self):
    images = tf.constant(np.random.default_rng(0).integers(
        0, 256, (8,) + tiny_run.EVENT_SHAPE), tf.uint8)
    results = []
    for lean in (True, False):
      run = tiny_run.TinyRun(images)
      step = train_step.TrainStep(
          run.model, run.optimizer, run.ema, run.strategy,
          run.config.train.grad_clip_norm, lean_graph_optimization=lean)
      losses = [float(step(images, [0, k])["loss_bpd"]) for k in range(2)]
      results.append((losses, [v.numpy() for v in run.all_variables()]))
    (lean_losses, lean_variables), (losses, variables) = results
    self.assertAllClose(lean_losses, losses, rtol=1e-6)
    for lean_value, value in zip(lean_variables, variables):
      self.assertAllClose(lean_value, value, rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
  tf.test.main()
