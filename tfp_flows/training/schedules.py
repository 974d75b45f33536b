"""Learning-rate schedule: linear warm-up, then constant (Glow, Flow++)."""

import tensorflow as tf
import tf_keras


class WarmupConstant(tf_keras.optimizers.schedules.LearningRateSchedule):
  """`lr * min(1, (step + 1) / warmup_steps)`."""

  def __init__(self, learning_rate, warmup_steps):
    self.learning_rate = float(learning_rate)
    self.warmup_steps = int(warmup_steps)

  def __call__(self, step):
    ramp = tf.cast(step + 1, tf.float32) / float(max(self.warmup_steps, 1))
    return self.learning_rate * tf.minimum(1.0, ramp)

  def get_config(self):
    return {"learning_rate": self.learning_rate,
            "warmup_steps": self.warmup_steps}
