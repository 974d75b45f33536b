"""`train.scan_repeats`: every family, scanned, is the same model unrolled.

Each family is built twice from one config, with and without scanning, the
second given the first's weights through a checkpoint (which scanning must
not change). Density, its gradients, sampling and a few training steps
must agree, and the scanned graph must be smaller.
"""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf
import tf_keras

from tests.models import model_test_util as util
from tfp_flows import graph_ops
from tfp_flows import models
from tfp_flows.training import state
from tfp_flows.training import train_step

EVENT_SHAPE = (8, 8, 1)
# Tiny presets with a few repeats of everything that repeats.
_REPEATS = {
    "glow": dict(steps_per_level=3),
    "realnvp": dict(num_blocks=2),
    "flowpp": dict(couplings_per_stage=(4, 1, 1), num_blocks=2),
    "macow": dict(levels=(2, 2), hidden_channels=(8, 8), units_per_step=2,
                  dequantization="variational"),
}


def _config(family, scan_repeats):
  config = models.get_config(family, "tiny")
  config.model.update(_REPEATS[family])
  if family == "flowpp":
    config.model.dequantizer.update(num_blocks=2, context_blocks=2)
  config.train.scan_repeats = scan_repeats
  return config


def _models(test, family):
  """(unrolled, scanned) with the same weights."""
  tf_keras.utils.set_random_seed(0)
  unrolled = models.build_model(_config(family, False), EVENT_SHAPE)
  unrolled.build()
  util.initialized_and_perturbed(test, unrolled)
  scanned = models.build_model(_config(family, True), EVENT_SHAPE)
  scanned.build()
  path = tf.train.Checkpoint(model=unrolled).write(
      test.create_tempdir().full_path + "/weights")
  tf.train.Checkpoint(model=scanned).read(path).assert_consumed()
  return unrolled, scanned


def _density_and_gradients(model):
  @tf.function
  def run(images, noise):
    with tf.GradientTape() as tape:
      log_prob = model.log_prob_with_noise(images, noise)
      loss = -tf.reduce_mean(log_prob)
    return log_prob, tape.gradient(loss, model.trainable_variables)
  return run


class ScanRepeatsTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(*models.family_names())
  def test_same_density_gradients_and_samples(self, family):
    unrolled, scanned = _models(self, family)
    images = tf.constant(util.random_images((4,) + EVENT_SHAPE, seed=2))
    noise = unrolled.dequantizer.sample_noise(tf.shape(images), (0, 1))
    density = [_density_and_gradients(model) for model in (unrolled,
                                                           scanned)]
    want_log_prob, want_gradients = density[0](images, noise)
    log_prob, gradients = density[1](images, noise)
    # Each repeated step's (or block's) convolutions once, not K times.
    convolutions = [graph_ops.op_counts(
        run.get_concrete_function(images, noise))["Conv2D"]
                    for run in density]
    self.assertLess(convolutions[1], convolutions[0])
    self.assertAllClose(want_log_prob, log_prob, rtol=1e-5, atol=1e-3)
    for variable, want, got in zip(unrolled.trainable_variables,
                                   want_gradients, gradients):
      self.assertIsNotNone(got, variable.name)
      self.assertAllClose(want, got, rtol=1e-3, atol=1e-4,
                          msg=variable.name)
    sample = tf.function(lambda model: model.sample(3, 0.5, seed=(1, 2)))
    self.assertAllEqual(sample(unrolled), sample(scanned))

  # The trainer's own step (optimizer, EMA, NaN guard) over a scanned model,
  # compiled with XLA and without; the density test covers every family.
  @parameterized.parameters(("glow", True), ("glow", False))
  def test_training_steps_match(self, family, jit_compile):
    images = util.random_images((8,) + EVENT_SHAPE, seed=3)
    losses = []
    for scan_repeats in (False, True):
      config = _config(family, scan_repeats)
      config.train.update(learning_rate=1e-3, warmup_steps=1)
      tf_keras.utils.set_random_seed(0)
      run = state.TrainState(config, EVENT_SHAPE)
      run.model.initialize(images)
      step = train_step.TrainStep(run.model, run.optimizer, run.ema,
                                  run.strategy, config.train.grad_clip_norm,
                                  jit_compile=jit_compile)
      losses.append([float(step(images, (0, k))["loss_bpd"])
                     for k in range(3)])
    # Steps 2 and 3 start from the weights steps 1 and 2 updated.
    self.assertAllClose(losses[0], losses[1], rtol=1e-4)


if __name__ == "__main__":
  tf.test.main()
