"""Learning-rate schedules, chosen by config data (`config.train`).

    lr(step) = learning_rate * min(1, (step + 1) / warmup_steps)
                             * lr_decay_per_step ** max(0, step + 1 - warmup_steps)

`lr_decay_per_step = 1` is warm-up then constant (Glow, Flow++); below 1 it
is warm-up then per-step exponential decay (MaCow: 0.999997).
"""

import math

import tensorflow as tf
import tf_keras

from tfp_flows import errors


class WarmupExponentialDecay(tf_keras.optimizers.schedules.LearningRateSchedule):
  """Linear warm-up, then multiplied by `decay_per_step` at every step."""

  def __init__(self, learning_rate, warmup_steps, decay_per_step=1.0):
    if not 0.0 < float(decay_per_step) <= 1.0:
      raise errors.ConfigError(
          f"train.lr_decay_per_step must be in (0, 1]; got {decay_per_step}.")
    self.learning_rate = float(learning_rate)
    self.warmup_steps = max(int(warmup_steps), 1)
    self.decay_per_step = float(decay_per_step)

  def __call__(self, step):
    steps_done = tf.cast(step + 1, tf.float32)
    ramp = tf.minimum(1.0, steps_done / float(self.warmup_steps))
    if self.decay_per_step == 1.0:
      return self.learning_rate * ramp
    decayed = tf.maximum(0.0, steps_done - float(self.warmup_steps))
    # exp(n log d) with log d from float64: float32's d = 0.999997 is off by
    # 1e-8, which pow() would compound to 0.3% after 100k steps.
    return self.learning_rate * ramp * tf.exp(
        decayed * math.log(self.decay_per_step))

  def get_config(self):
    return {"learning_rate": self.learning_rate,
            "warmup_steps": self.warmup_steps,
            "decay_per_step": self.decay_per_step}


class Scaled(tf_keras.optimizers.schedules.LearningRateSchedule):
  """`scale * schedule(step)`; `scale` is a variable the trainer may lower.

  The trainer halves it when training diverges (`train.on_divergence`); as
  a variable it is saved in the checkpoint, so the lower rate survives a
  resume.
  """

  def __init__(self, schedule, scale):
    self.schedule = schedule
    self.scale = scale

  def __call__(self, step):
    return self.schedule(step) * self.scale

  def get_config(self):
    return {"schedule": self.schedule.get_config(),
            "scale": float(self.scale.numpy())}


def from_config(train_config):
  """The schedule that `config.train` describes."""
  return WarmupExponentialDecay(train_config.learning_rate,
                                train_config.warmup_steps,
                                train_config.lr_decay_per_step)
