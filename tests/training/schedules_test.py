"""Tests for the learning-rate schedules chosen by config data."""

import tensorflow as tf

from tfp_flows import errors
from tfp_flows import models
from tfp_flows.training import schedules


class SchedulesTest(tf.test.TestCase):

  def test_warmup_then_constant(self):
    schedule = schedules.WarmupExponentialDecay(1e-3, 4)
    self.assertAllClose([schedule(s) for s in range(6)],
                        [2.5e-4, 5e-4, 7.5e-4, 1e-3, 1e-3, 1e-3])

  def test_warmup_then_per_step_exponential_decay(self):
    schedule = schedules.WarmupExponentialDecay(1e-3, 50, 0.999997)
    self.assertAllClose(schedule(0), 1e-3 / 50)
    self.assertAllClose(schedule(49), 1e-3)
    self.assertAllClose(schedule(50), 1e-3 * 0.999997)
    self.assertAllClose(schedule(100_049), 1e-3 * 0.999997 ** 100_000,
                        rtol=1e-4)

  def test_the_config_chooses_the_schedule(self):
    config = models.get_config("glow", "default").train
    self.assertEqual(config.lr_decay_per_step, 1.0)
    config.lr_decay_per_step = 0.5
    schedule = schedules.from_config(config)
    step = config.warmup_steps + 1
    self.assertAllClose(schedule(step), config.learning_rate * 0.25)
    for bad in (0.0, 1.5):
      config.lr_decay_per_step = bad
      with self.assertRaisesRegex(errors.ConfigError, "lr_decay_per_step"):
        schedules.from_config(config)


if __name__ == "__main__":
  tf.test.main()
