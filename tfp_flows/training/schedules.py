"""Learning-rate schedules, chosen by config data (`config.train`).

Every schedule ramps up linearly over `warmup_steps`, then decays as
`config.train.lr_decay` says:

    lr(step) = learning_rate * min(1, (step + 1) / warmup_steps) * decay(n),
    n = max(0, step + 1 - warmup_steps)

- "exponential": `decay(n) = lr_decay_per_step ** n`. A rate of 1 is warm-up
  then constant (Glow, Flow++); below 1 it decays per step (MaCow: 0.999997).
- "cosine": `decay(n) = (1 + cos(pi * min(1, n / N))) / 2` with
  `N = max(1, steps - warmup_steps)`: the rate reaches 0 at the run's last
  step (a run within its warm-up never decays). A
  short run spends its last steps at a small rate instead of stopping at the
  peak one (the CPU defaults).
"""

import math

import tensorflow as tf
import tf_keras

from tfp_flows import errors

DECAYS = ("exponential", "cosine")


class _Warmup(tf_keras.optimizers.schedules.LearningRateSchedule):
  """Linear warm-up to `learning_rate`, then `_decay(steps after it)`."""

  def __init__(self, learning_rate, warmup_steps):
    self.learning_rate = float(learning_rate)
    self.warmup_steps = max(int(warmup_steps), 1)

  def __call__(self, step):
    steps_done = tf.cast(step + 1, tf.float32)
    ramp = tf.minimum(1.0, steps_done / float(self.warmup_steps))
    decayed = tf.maximum(0.0, steps_done - float(self.warmup_steps))
    return self.learning_rate * ramp * self._decay(decayed)

  def _decay(self, steps_after_warmup):
    raise NotImplementedError

  def get_config(self):
    return {"learning_rate": self.learning_rate,
            "warmup_steps": self.warmup_steps}


class WarmupExponentialDecay(_Warmup):
  """Linear warm-up, then multiplied by `decay_per_step` at every step."""

  def __init__(self, learning_rate, warmup_steps, decay_per_step=1.0):
    if not 0.0 < float(decay_per_step) <= 1.0:
      raise errors.ConfigError(
          f"train.lr_decay_per_step must be in (0, 1]; got {decay_per_step}.")
    super().__init__(learning_rate, warmup_steps)
    self.decay_per_step = float(decay_per_step)

  def _decay(self, steps_after_warmup):
    if self.decay_per_step == 1.0:
      return 1.0
    # exp(n log d) with log d from float64: float32's d = 0.999997 is off by
    # 1e-8, which pow() would compound to 0.3% after 100k steps.
    return tf.exp(steps_after_warmup * math.log(self.decay_per_step))

  def get_config(self):
    return dict(super().get_config(), decay_per_step=self.decay_per_step)


class WarmupCosineDecay(_Warmup):
  """Linear warm-up, then half a cosine down to 0 at `total_steps`."""

  def __init__(self, learning_rate, warmup_steps, total_steps):
    super().__init__(learning_rate, warmup_steps)
    self.total_steps = int(total_steps)

  def _decay(self, steps_after_warmup):
    # A run no longer than its warm-up (a short test run) never decays.
    decay_steps = max(self.total_steps - self.warmup_steps, 1)
    progress = tf.minimum(1.0, steps_after_warmup / float(decay_steps))
    return 0.5 * (1.0 + tf.cos(math.pi * progress))

  def get_config(self):
    return dict(super().get_config(), total_steps=self.total_steps)


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
  # Configs saved by runs from before `lr_decay` existed decay exponentially.
  decay = train_config.get("lr_decay", "exponential")
  if decay == "exponential":
    return WarmupExponentialDecay(train_config.learning_rate,
                                  train_config.warmup_steps,
                                  train_config.lr_decay_per_step)
  if decay == "cosine":
    return WarmupCosineDecay(train_config.learning_rate,
                             train_config.warmup_steps, train_config.steps)
  raise errors.ConfigError(
      f"train.lr_decay={decay!r}: must be one of {DECAYS}.")
