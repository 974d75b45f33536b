"""A tiny Glow with Adam, EMA and a TrainStep, for training-step tests."""

import tensorflow as tf
import tf_keras

from tfp_flows import models
from tfp_flows.training import ema as ema_lib
from tfp_flows.training import train_step

EVENT_SHAPE = (28, 28, 1)


class TinyRun:
  """Model, optimizer, EMA and step, created under `strategy`'s scope.

  The Keras seed is reset before each build, so two runs start identical;
  `initialize` runs outside `strategy.run`, so replicas get the same values.
  """

  def __init__(self, init_images, strategy=None, jit_compile=False):
    self.strategy = strategy or tf.distribute.get_strategy()
    self.config = models.get_config("glow", "tiny")
    with self.strategy.scope():
      tf_keras.utils.set_random_seed(0)
      self.model = models.build_model(self.config, EVENT_SHAPE)
      self.model.build()
      self.model.initialize(init_images)
      self.optimizer = tf_keras.optimizers.Adam(1e-3)
      self.optimizer.build(self.model.trainable_variables)
      self.ema = ema_lib.ExponentialMovingAverage(
          self.model.trainable_variables, self.config.train.ema_decay)
    self.step = self.make_step(jit_compile)

  def make_step(self, jit_compile=False):
    return train_step.TrainStep(
        self.model, self.optimizer, self.ema, self.strategy,
        self.config.train.grad_clip_norm, jit_compile=jit_compile)

  def all_variables(self):
    """Weights, EMA shadows and optimizer state (slots and iterations)."""
    return (list(self.model.variables) + list(self.ema.variables)
            + list(self.optimizer.variables()))
