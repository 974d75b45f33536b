"""`train.recompute_gradients` through whole models: the same gradients.

Flow++'s and MaCow's variational dequantizers condition their flows on the
image (a context tensor), whose gradient must pass the recomputed layers.
"""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tfp_flows import bijectors
from tfp_flows import data
from tfp_flows import errors
from tfp_flows import models


def _gradients(model, images, noise, recompute):

  @tf.function(autograph=False)
  def gradients():
    with (tf.GradientTape() as tape,
          bijectors.recompute_gradients(recompute)):
      loss = -tf.reduce_mean(model.log_prob_with_noise(images, noise,
                                                       training=True))
    return [loss] + list(tape.gradient(loss, model.trainable_variables))

  return gradients()


class RecomputeGradientsTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters("flowpp", "macow")
  def test_same_loss_and_gradients(self, family):
    config = models.get_config(family, "tiny")
    config.model.dequantization = "variational"
    images = next(iter(data.load_dataset("embedded").train(4, seed=0)))
    model = models.build_model(config, images.shape[1:])
    model.build()
    model.initialize(images)
    noise = model.dequantizer.sample_noise(tf.shape(images), (0, 1))
    plain = _gradients(model, images, noise, recompute=False)
    recomputed = _gradients(model, images, noise, recompute=True)
    self.assertLen(recomputed, len(model.trainable_variables) + 1)
    for variable, expected, actual in zip(
        [None] + list(model.trainable_variables), plain, recomputed):
      self.assertTrue(np.all(np.isfinite(actual)))
      self.assertAllClose(expected, actual, atol=1e-4, rtol=1e-4,
                          msg="loss" if variable is None else variable.name)

  def test_flowpp_with_dropout_is_a_config_error(self):
    config = models.get_config("flowpp", "tiny")
    config.model.dropout = 0.2
    images = next(iter(data.load_dataset("embedded").train(2, seed=0)))
    model = models.build_model(config, images.shape[1:])
    model.build()
    noise = model.dequantizer.sample_noise(tf.shape(images), (0, 1))
    with self.assertRaisesRegex(errors.ConfigError,
                                r"has dropout .* train without "
                                r"train.recompute_gradients"):
      _gradients(model, images, noise, recompute=True)


if __name__ == "__main__":
  tf.test.main()
