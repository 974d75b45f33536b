"""A tiny Glow's train state and TrainStep, for training-step tests."""

import tensorflow as tf
import tf_keras

from tfp_flows import models
from tfp_flows.training import state
from tfp_flows.training import train_step

EVENT_SHAPE = (28, 28, 1)


class TinyRun(state.TrainState):
  """The trainer's own set-up of model, optimizer and EMA, plus a step.

  The Keras seed is reset before each build, so two runs start identical;
  `initialize` runs outside `strategy.run`, so replicas get the same values.
  """

  def __init__(self, init_images, strategy=None, jit_compile=False):
    self.config = models.get_config("glow", "tiny")
    self.config.train.learning_rate = 1e-3
    tf_keras.utils.set_random_seed(0)
    super().__init__(self.config, EVENT_SHAPE, strategy)
    with self.strategy.scope():
      self.model.initialize(init_images)
    self.step = self.make_step(jit_compile)

  def make_step(self, jit_compile=False):
    return train_step.TrainStep(
        self.model, self.optimizer, self.ema, self.strategy,
        self.config.train.grad_clip_norm, jit_compile=jit_compile)

  def all_variables(self):
    """Weights, EMA shadows and optimizer state (slots and iterations)."""
    return (list(self.model.variables) + list(self.ema.variables)
            + list(self.optimizer.variables()))
