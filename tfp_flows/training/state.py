"""The trainable state of a run, set up in one place: model, optimizer, EMA."""

import tensorflow as tf

from tfp_flows import models
from tfp_flows.training import ema as ema_lib
from tfp_flows.training import optimizers
from tfp_flows.training import schedules


class TrainState:
  """Model (weights created), Adam on the configured schedule, and EMA.

  Adam is `optimizers.FusedAdam`: tf_keras's, one fused kernel per variable.

  Everything is created under `strategy.scope()` (default: the current
  strategy), so variables are mirrored when training on several replicas;
  the optimizer is built on the model's variables at once, so its slots
  exist before a checkpoint is restored into it. The learning rate is the
  configured schedule times `lr_scale` (1 until training diverges; see
  `train.on_divergence`).
  """

  def __init__(self, config, event_shape, strategy=None):
    self.strategy = strategy or tf.distribute.get_strategy()
    with self.strategy.scope():
      self.model = models.build_model(config, event_shape)
      self.model.build()
      self.lr_scale = tf.Variable(1.0, trainable=False, name="lr_scale")
      self.schedule = schedules.Scaled(schedules.from_config(config.train),
                                       self.lr_scale)
      self.optimizer = optimizers.FusedAdam(self.schedule)
      self.optimizer.build(self.model.trainable_variables)
      self.ema = ema_lib.ExponentialMovingAverage(
          self.model.trainable_variables, config.train.ema_decay)
