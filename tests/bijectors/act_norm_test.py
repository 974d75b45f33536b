"""Tests for ActNorm (per channel and per position)."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows import bijectors

SHAPE = (3, 4, 2)


class ActNormTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(False, True)
  def test_invertible_and_log_det_matches_autodiff(self, per_position):
    act_norm = bijectors.ActNorm(SHAPE, per_position=per_position)
    util.perturb_all_variables(self, act_norm)
    x = np.random.default_rng(0).normal(size=(3,) + SHAPE)
    util.assert_invertible(self, act_norm, x)
    log_det = util.assert_log_det_matches_autodiff(self, act_norm, x[:2])
    # An affine map: the log-det is the same for every input.
    self.assertTrue(act_norm.is_constant_jacobian)
    self.assertAllClose(log_det[0], log_det[1])

  @parameterized.parameters(False, True)
  def test_data_dependent_init_normalises_the_batch(self, per_position):
    act_norm = bijectors.ActNorm(SHAPE, per_position=per_position)
    x = 3.0 + 2.0 * np.random.default_rng(1).normal(size=(64,) + SHAPE)
    util.data_initialize(act_norm, x)
    y = act_norm.forward(util.fresh(x))
    axes = (0,) if per_position else (0, 1, 2)
    self.assertAllClose(np.mean(y, axis=axes), np.zeros_like(
        np.mean(x, axis=axes)), atol=1e-4)
    self.assertAllClose(np.std(y, axis=axes), np.ones_like(
        np.std(x, axis=axes)), atol=1e-3)

  def test_parameter_shapes(self):
    self.assertEqual(bijectors.ActNorm(SHAPE).log_scale.shape, (2,))
    self.assertEqual(
        bijectors.ActNorm(SHAPE, per_position=True).log_scale.shape, SHAPE)

  def test_init_only_inside_the_context(self):
    act_norm = bijectors.ActNorm(SHAPE)
    act_norm.forward(util.fresh(np.ones((2,) + SHAPE)))
    self.assertAllEqual(act_norm.bias, np.zeros(2))


if __name__ == "__main__":
  tf.test.main()
