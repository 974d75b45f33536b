"""Tests for the multi-scale builder and the per-level parameter subtotals."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows import models
from tfp_flows import nets
from tfp_flows.models import multiscale

Stage = multiscale.Stage
# MaCow's CIFAR-10 layout, steps [1, [1, 1], [1, 1], 1] on a 16x16x3 image.
MACOW_LIKE = [Stage(1, level=0),
              Stage(1, squeeze=True, leave=3, level=1),
              Stage(1, leave=3, level=1),
              Stage(1, squeeze=True, leave=6, level=2),
              Stage(1, leave=6, level=2),
              Stage(1, squeeze=True, level=3)]


def _act_norm_step(shape, name, stage, k):
  del stage, k
  return [bijectors.ActNorm(shape, name=name)]


def _record_splits(calls):
  def split(shape, leave, name, level):
    calls.append((shape, leave, name, level))
    return dict(prior_network_fn=nets.network_builder("zero_conv"))
  return split


class MultiScaleTest(tf.test.TestCase, parameterized.TestCase):

  def test_fine_grained_splits_leave_the_stated_channels(self):
    splits = []
    flow = multiscale.build((16, 16, 3), MACOW_LIKE, _act_norm_step,
                            _record_splits(splits))
    self.assertEqual(splits, [
        ((8, 8, 12), 3, "level_1_split_0", 1),
        ((8, 8, 9), 3, "level_1_split_1", 1),
        ((4, 4, 24), 6, "level_2_split_0", 2),
        ((4, 4, 18), 6, "level_2_split_1", 2)])
    util.perturb_all_variables(self, flow)
    x = np.random.default_rng(0).normal(size=(2, 16, 16, 3))
    y, _ = util.assert_invertible(self, flow, x)
    self.assertEqual(y.shape, x.shape)
    sections = dict(multiscale.parameter_sections(flow))
    self.assertEqual(list(sections), [
        "level_0", "level_1", "level_1_split_0", "level_1_split_1",
        "level_2", "level_2_split_0", "level_2_split_1", "level_3"])

  def test_log_det_of_a_small_multi_scale_flow_matches_autodiff(self):
    stages = [Stage(1, squeeze=True, leave=2, level=0),
              Stage(1, leave=1, level=0), Stage(1, squeeze=True, level=1)]
    flow = multiscale.build((4, 4, 1), stages, _act_norm_step,
                            _record_splits([]))
    util.perturb_all_variables(self, flow)
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 1))
    util.assert_log_det_matches_autodiff(self, flow, x)

  @parameterized.parameters("glow", "realnvp")
  def test_subtotals_name_every_level_and_split(self, family):
    model = models.build_model(models.get_config(family, "default"),
                               (28, 28, 1))
    counts = model.parameter_counts()
    self.assertEqual(list(counts), [
        "dequantization", "level_0", "level_0_split_0", "level_1", "total"])
    self.assertEqual(sum(counts.values()) - counts["total"], counts["total"])
    self.assertGreater(counts["level_1"], 0)

  def test_glow_levels_hold_the_configured_steps(self):
    config = models.get_config("glow", "default")
    self.assertEqual(
        models.glow.stages(config.model, 1),
        [Stage(8, squeeze=True, leave=2, level=0),
         Stage(8, squeeze=True, level=1)])

  @parameterized.parameters(
      ([Stage(1, leave=1)], errors.ConfigError, "last stage"),
      ([Stage(1, leave=3), Stage(1)], errors.ConfigError, "3 of 3"),
      ([], errors.ConfigError, "at least one stage"),
      ([Stage(1, squeeze=True), Stage(1, squeeze=True)], errors.ShapeError,
       "divisible by 4"))
  def test_bad_stage_lists_are_clear_errors(self, stages, error, message):
    with self.assertRaisesRegex(error, message):
      multiscale.build((6, 6, 3), stages, _act_norm_step, _record_splits([]))


if __name__ == "__main__":
  tf.test.main()
