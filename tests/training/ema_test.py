"""Tests for the exponential moving average of a model's weights."""

import numpy as np
import tensorflow as tf

from tfp_flows.training import ema as ema_lib


def _variables():
  rng = np.random.default_rng(0)
  return [tf.Variable(rng.normal(size=shape).astype(np.float32))
          for shape in ((3, 3, 2, 4), (4,))]


class ExponentialMovingAverageTest(tf.test.TestCase):

  def test_averages_with_the_warming_up_decay(self):
    variables = _variables()
    ema = ema_lib.ExponentialMovingAverage(variables, decay=0.9)
    expected = [v.numpy().astype(np.float64) for v in variables]
    graph_update = tf.function(ema.update)
    rng = np.random.default_rng(1)
    for t in range(40):
      for v in variables:
        v.assign_add(rng.normal(size=v.shape).astype(np.float32))
      decay = min(0.9, (1 + t) / (10 + t))
      expected = [decay * e + (1 - decay) * v.numpy()
                  for e, v in zip(expected, variables)]
      # Eager and traced updates alternate: both are the same average.
      (graph_update if t % 2 else ema.update)(variables)
    self.assertEqual(int(ema.num_updates), 40)
    for want, shadow in zip(expected, ema.shadows):
      self.assertAllClose(want, shadow, rtol=1e-5, atol=1e-5)

  def test_copy_to_writes_the_average(self):
    variables = _variables()
    ema = ema_lib.ExponentialMovingAverage(variables, decay=0.5)
    for v in variables:
      v.assign(v + 1.0)
    ema.update(variables)
    ema.copy_to(variables)
    for v, shadow in zip(variables, ema.shadows):
      self.assertAllEqual(v, shadow)

  def test_update_traces_a_few_nodes_per_variable(self):
    many = [tf.Variable(tf.zeros([2])) for _ in range(50)]
    ema = ema_lib.ExponentialMovingAverage(many, decay=0.9)
    graph = tf.function(ema.update).get_concrete_function(many).graph
    nodes = [op for op in graph.get_operations() if op.type != "Placeholder"]
    # Two reads, subtract, scale and assign per variable; the decay once.
    self.assertLessEqual(len(nodes), 5 * len(many) + 20)

  def test_false_condition_changes_nothing_true_is_an_update(self):
    variables = _variables()
    ema = ema_lib.ExponentialMovingAverage(variables, decay=0.9)
    plain = ema_lib.ExponentialMovingAverage(variables, decay=0.9)
    update = tf.function(ema.update)
    for t in range(6):
      for v in variables:
        v.assign_add(tf.ones_like(v) * (t + 1))
      before = [s.numpy() for s in ema.shadows]
      update(variables, tf.constant(False))
      for want, shadow in zip(before, ema.shadows):
        self.assertAllEqual(want, shadow)
      update(variables, tf.constant(True))
      plain.update(variables)
    self.assertEqual(int(ema.num_updates), 6)
    for want, shadow in zip(plain.shadows, ema.shadows):
      self.assertAllEqual(want, shadow)


if __name__ == "__main__":
  tf.test.main()
