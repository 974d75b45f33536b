"""Tests for MaCow: the official structure and counts, shapes, dequantizer."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tests.models import model_test_util
from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows import models
from tfp_flows.models import macow
from tfp_flows.models import multiscale

Stage = multiscale.Stage
OFFICIAL_CIFAR10_FLOW = 37_197_547


class MacowStructureTest(tf.test.TestCase, parameterized.TestCase):

  def test_cifar10_levels_are_the_fine_grained_multi_scale(self):
    config = models.get_config("macow", "cifar10").model
    self.assertEqual(
        macow.stages(config.levels, 3, config.split_factor),
        [Stage(4, level=0),
         Stage(12, squeeze=True, leave=3, level=1), Stage(12, leave=3, level=1),
         Stage(12, squeeze=True, leave=6, level=2), Stage(12, leave=6, level=2),
         Stage(12, squeeze=True, level=3)])

  def test_imagenet64_dequantizer_splits_half_once(self):
    config = models.get_config("macow", "imagenet64").model.dequantizer
    self.assertEqual(
        macow.stages(config.levels, 3, config.split_factor),
        [Stage(6, level=0), Stage(6, squeeze=True, leave=6, level=1),
         Stage(4, squeeze=True, level=2)])

  @parameterized.parameters((3, 12), (96, 384), (128, 256), (384, 512))
  def test_masked_conv_width(self, channels, width):
    self.assertEqual(macow.masked_conv_width(channels), width)

  def test_cifar10_flow_has_the_official_parameter_count(self):
    # The official convs are weight-normalised (one more gain per output
    # channel); this port's have W and b only, so it counts slightly fewer.
    model = models.build_model(models.get_config("macow", "cifar10"),
                               (32, 32, 3))
    counts = model.parameter_counts()
    flow = counts["total"] - counts["dequantization"]
    self.assertAllClose(flow, OFFICIAL_CIFAR10_FLOW, rtol=0.01)
    self.assertEqual(list(counts), [
        "dequantization", "level_0", "level_1", "level_1_split_0",
        "level_1_split_1", "level_2", "level_2_split_0", "level_2_split_1",
        "level_3", "total"])

  @parameterized.product(preset=["default", "tiny"], height=[16, 32, 64])
  def test_cpu_presets_build_at_any_height(self, preset, height):
    config = models.get_config("macow", preset)
    config.model.dequantization = "uniform"  # Sizes the flow alone.
    model = models.build_model(config, (height, 32, 1))
    self.assertGreater(model.parameter_counts()["total"], 0)

  def test_the_official_presets_fit_their_datasets(self):
    for preset, shape in [("imagenet64", (64, 64, 3)),
                          ("celeba256", (256, 256, 3))]:
      config = models.get_config("macow", preset)
      macow.check_event_shape(config.model, shape)
      macow.check_event_shape(config.model.dequantizer, shape)
    self.assertEqual(models.get_config("macow", "celeba256").data.n_bits, 5)
    self.assertTrue(models.get_config("macow", "celeba256").model.additive)

  def test_a_width_per_level_is_required(self):
    config = models.get_config("macow", "tiny")
    config.model.hidden_channels = (8, 8)
    with self.assertRaisesRegex(errors.ConfigError, "one width per level"):
      models.build_model(config, (16, 16, 1))


class MacowModelTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(False, True)
  def test_tiny_flow_is_invertible_with_autodiff_log_det(self, additive):
    config = models.get_config("macow", "tiny")
    config.model.additive = additive
    model = models.build_model(config, (4, 4, 1))
    model_test_util.initialized_and_perturbed(self, model)
    flow = model.normalizing_flow.layers[-1]
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 1))
    util.assert_invertible(self, flow, x, atol=2e-4)
    log_det = util.assert_log_det_matches_autodiff(self, flow, x)
    if additive:  # Volume-preserving: the same log-det for every x.
      self.assertAllClose(log_det[0], log_det[1], atol=1e-4)

  def test_variational_dequantizer_is_conditioned_on_the_image(self):
    config = models.get_config("macow", "tiny")
    config.model.dequantization = "variational"
    model = models.build_model(config, (8, 8, 1))
    model_test_util.initialized_and_perturbed(self, model)
    dequantizer = model.dequantizer
    images = model_test_util.random_images((2, 8, 8, 1))
    noise = dequantizer.sample_noise((2, 8, 8, 1), (1, 2))
    y, log_q = dequantizer.dequantize_with_noise(images, noise)
    u = np.asarray(y) - images
    self.assertTrue(np.all((u > 0) & (u < 1)))
    self.assertTrue(np.all(np.isfinite(log_q)))
    # Another image, the same noise: another u (q depends on x).
    other, _ = dequantizer.dequantize_with_noise(images[::-1], noise)
    self.assertNotAllClose(np.asarray(other) - images[::-1], u)
    # log q is the change of variables of the whole conditional flow.
    context = dequantizer.context(images[:1])
    flow = dequantizer.flow
    x = tf.constant(np.asarray(noise)[:1])
    with tf.GradientTape() as tape:
      tape.watch(x)
      out = flow.forward(x, context=context)
    jacobian = tf.reshape(tape.jacobian(out, x), [64, 64])
    _, log_abs_det = np.linalg.slogdet(np.asarray(jacobian, np.float64))
    _, log_det = flow.forward_and_log_det(x, context=context)
    self.assertAllClose(log_det[0], log_abs_det, atol=2e-3)

  def test_masked_convs_run_in_the_flow(self):
    model = models.build_model(models.get_config("macow", "tiny"), (8, 8, 1))
    masked = [m for m in model.submodules
              if isinstance(m, bijectors.MaskedConvFlow)]
    # Levels (1, (1, 1), 1), one unit per step: 4 steps x 4 MCFs.
    self.assertLen(masked, 16)
    self.assertEqual({m.orientation for m in masked}, set("ABCD"))


if __name__ == "__main__":
  tf.test.main()
