"""Tests for the learning-rate schedules chosen by config data."""

import math

import tensorflow as tf

from tfp_flows import errors
from tfp_flows import models
from tfp_flows.configs import common
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

  def test_warmup_then_cosine_to_zero_at_the_last_step(self):
    schedule = schedules.WarmupCosineDecay(1e-3, 10, 110)
    self.assertAllClose(schedule(0), 1e-4)
    self.assertAllClose(schedule(9), 1e-3)
    # n steps after warm-up: (1 + cos(pi n / 100)) / 2 of the peak.
    self.assertAllClose(schedule(59), 0.5e-3)
    self.assertAllClose(schedule(34), 1e-3 * (1 + math.cos(math.pi / 4)) / 2)
    self.assertAllClose(schedule(109), 0.0)
    self.assertAllClose(schedule(500), 0.0)
    values = [float(schedule(s)) for s in range(9, 110)]
    self.assertTrue(all(a >= b for a, b in zip(values, values[1:])))

  def test_a_run_within_its_warmup_never_decays(self):
    schedule = schedules.WarmupCosineDecay(1e-3, 10, 5)
    self.assertAllClose([schedule(s) for s in range(5)],
                        [1e-4, 2e-4, 3e-4, 4e-4, 5e-4])

  def test_the_config_chooses_the_schedule(self):
    config = models.get_config("glow", "cifar10").train
    self.assertEqual(config.lr_decay, "exponential")
    config.lr_decay_per_step = 0.5
    schedule = schedules.from_config(config)
    step = config.warmup_steps + 1
    self.assertAllClose(schedule(step), config.learning_rate * 0.25)
    for bad in (0.0, 1.5):
      config.lr_decay_per_step = bad
      with self.assertRaisesRegex(errors.ConfigError, "lr_decay_per_step"):
        schedules.from_config(config)
    config.lr_decay = "cosine"
    schedule = schedules.from_config(config)
    self.assertIsInstance(schedule, schedules.WarmupCosineDecay)
    self.assertAllClose(schedule(config.steps - 1), 0.0)

  def test_a_config_saved_before_lr_decay_existed_decays_exponentially(self):
    config = models.get_config("macow", "cifar10").train
    del config["lr_decay"]
    schedule = schedules.from_config(config)
    self.assertIsInstance(schedule, schedules.WarmupExponentialDecay)
    self.assertEqual(schedule.decay_per_step, 0.999997)

  def test_an_unknown_decay_is_refused_before_any_work(self):
    config = models.get_config("glow", "default")
    config.train.lr_decay = "linear"
    with self.assertRaisesRegex(errors.ConfigError,
                                "train.lr_decay='linear'.*'cosine'"):
      common.validate(config)



if __name__ == "__main__":
  tf.test.main()
