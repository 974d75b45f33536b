"""Tests for FusedAdam: tf_keras's Adam, one kernel per variable."""

import numpy as np
import tensorflow as tf
import tf_keras

from tfp_flows import graph_ops
from tfp_flows.training import optimizers
from tfp_flows.training import schedules

SHAPES = [(3, 3, 2, 4), (4,), (5, 5)]


def _variables(seed=0):
  rng = np.random.default_rng(seed)
  return [tf.Variable(rng.normal(size=shape).astype(np.float32))
          for shape in SHAPES]


def _gradients(step):
  rng = np.random.default_rng(100 + step)
  return [tf.constant(rng.normal(size=shape).astype(np.float32))
          for shape in SHAPES]


def _schedule():
  return schedules.WarmupCosineDecay(1e-2, warmup_steps=2, total_steps=6)


class FusedAdamTest(tf.test.TestCase):

  def _train(self, optimizer_class, compile_mode):
    variables = _variables()
    optimizer = optimizer_class(_schedule())
    optimizer.build(variables)

    def apply(gradients):
      optimizer.apply_gradients(zip(gradients, variables))
    if compile_mode is not None:
      apply = tf.function(apply, jit_compile=compile_mode == "xla")
    for step in range(5):
      apply(_gradients(step))
    return variables, optimizer

  def test_same_updates_as_tf_keras_adam(self):
    expected, _ = self._train(tf_keras.optimizers.Adam, None)
    for mode in (None, "graph", "xla"):
      got, optimizer = self._train(optimizers.FusedAdam, mode)
      self.assertEqual(int(optimizer.iterations), 5)
      for want, have in zip(expected, got):
        self.assertAllClose(want, have, rtol=1e-6, atol=1e-6, msg=mode)

  def test_checkpoints_interchange_with_tf_keras_adam(self):
    _, fused = self._train(optimizers.FusedAdam, "graph")
    path = tf.train.Checkpoint(optimizer=fused).write(
        self.get_temp_dir() + "/fused")
    plain = tf_keras.optimizers.Adam(_schedule())
    plain.build(_variables(seed=1))
    tf.train.Checkpoint(optimizer=plain).read(path).assert_consumed()
    for want, have in zip(fused.variables(), plain.variables()):
      self.assertAllEqual(want, have)

  def test_one_update_op_per_variable(self):
    def nodes(optimizer_class):
      variables = _variables()
      optimizer = optimizer_class(_schedule())
      optimizer.build(variables)
      apply = tf.function(lambda gradients: optimizer.apply_gradients(
          zip(gradients, variables)))
      counts = graph_ops.op_counts(apply.get_concrete_function(
          [tf.TensorSpec(shape, tf.float32) for shape in SHAPES]))
      return counts, sum(counts.values())
    fused, fused_total = nodes(optimizers.FusedAdam)
    plain, plain_total = nodes(tf_keras.optimizers.Adam)
    self.assertEqual(fused["ResourceApplyAdam"], len(SHAPES))
    self.assertLess(fused_total, plain_total / 2)

  def test_false_condition_changes_nothing_true_is_plain_adam(self):
    for mode in ("graph", "xla"):
      variables = _variables()
      optimizer = optimizers.FusedAdam(_schedule())
      optimizer.build(variables)
      apply = tf.function(
          lambda gradients, condition: optimizer.apply_gradients(
              zip(gradients, variables), condition=condition),
          jit_compile=mode == "xla")
      reference, plain = self._train(optimizers.FusedAdam, "graph")
      for step in range(5):
        before = [v.numpy() for v in variables + optimizer.variables()]
        zeros = [tf.zeros(shape) for shape in SHAPES]
        apply(zeros, tf.constant(False))
        after = [v.numpy() for v in variables + optimizer.variables()]
        for want, have in zip(before, after):
          self.assertAllEqual(want, have, msg=f"{mode}, skipped step {step}")
        apply(_gradients(step), tf.constant(True))
      self.assertEqual(int(optimizer.iterations), 5)
      self.assertEqual(int(plain.iterations), 5)
      for want, have in zip(reference, variables):
        self.assertAllClose(want, have, rtol=1e-6, atol=1e-6, msg=mode)

  def test_condition_refuses_sparse_gradients(self):
    variable = tf.Variable(tf.zeros([4, 2]))
    optimizer = optimizers.FusedAdam(1e-3)
    optimizer.build([variable])
    sparse = tf.IndexedSlices(tf.ones([1, 2]), tf.constant([1]),
                              tf.constant([4, 2]))
    with self.assertRaisesRegex(NotImplementedError, "dense gradients"):
      optimizer.apply_gradients([(sparse, variable)],
                                condition=tf.constant(True))


if __name__ == "__main__":
  tf.test.main()
