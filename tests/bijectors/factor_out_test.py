"""Tests for FactorOut (multi-scale split with a folded conditional prior)."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows import nets


def _factor_out(shape, leaving, inner=None, **kwargs):
  return bijectors.FactorOut(shape, leaving,
                             nets.network_builder("zero_conv"), inner=inner,
                             **kwargs)


class FactorOutTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.product(leaving=[2, 1, 3],
                         prior_scale=["exp", "sigmoid", "none"],
                         mix=[False, True])
  def test_invertible_and_log_det_matches_autodiff(self, leaving, prior_scale,
                                                   mix):
    shape = (2, 2, 4)
    factor_out = _factor_out(
        shape, leaving, prior_scale=prior_scale,
        mix=bijectors.Sequential([
            bijectors.ActNorm(shape), bijectors.InvertibleConv1x1(4)])
        if mix else None)
    self.assertEqual(factor_out.leaving_channels, leaving)
    util.build(factor_out, shape)
    util.perturb_all_variables(self, factor_out)
    x = np.random.default_rng(0).normal(size=(3,) + shape)
    util.assert_invertible(self, factor_out, x)
    util.assert_log_det_matches_autodiff(self, factor_out, x[:2])
    if prior_scale == "none":  # Volume-preserving but for the mix.
      _, log_det = factor_out.forward_and_log_det(util.fresh(x[:2]))
      self.assertAllClose(log_det[0], log_det[1])
    else:
      util.assert_log_det_varies(self, factor_out, x[:2])

  @parameterized.parameters("exp", "sigmoid", "none")
  def test_gradient_has_no_strided_writes(self, prior_scale):
    factor_out = _factor_out((2, 2, 4), 1, prior_scale=prior_scale)
    util.assert_gradient_has_no_strided_writes(
        self, factor_out, np.zeros((2, 2, 2, 4)))

  def test_nested_multi_scale(self):
    # Glow's two levels: squeeze, step, half leaves; the rest is squeezed again.
    shape = (4, 4, 1)
    inner = bijectors.Sequential([
        bijectors.Squeeze(), bijectors.ActNorm((1, 1, 8)),
        bijectors.Unsqueeze()])
    flow = bijectors.Sequential([
        bijectors.Squeeze(), bijectors.ActNorm((2, 2, 4)),
        _factor_out((2, 2, 4), 2, inner=inner), bijectors.Unsqueeze()])
    util.build(flow, shape)
    util.perturb_all_variables(self, flow)
    x = np.random.default_rng(1).normal(size=(2,) + shape)
    y, _ = util.assert_invertible(self, flow, x)
    self.assertEqual(y.shape, x.shape)
    util.assert_log_det_matches_autodiff(self, flow, x)

  def test_eps_is_standardised_leaving_part(self):
    shape = (2, 2, 4)
    factor_out = _factor_out(shape, 2)
    util.build(factor_out, shape)
    util.perturb_all_variables(self, factor_out)
    x = np.random.default_rng(2).normal(size=(1,) + shape)
    y = np.asarray(factor_out.forward(util.fresh(x)))
    h = factor_out.prior_network(util.fresh(x[..., :2]))
    mean, log_scale = h[..., :2], h[..., 2:]
    self.assertAllClose(y[..., 2:], (x[..., 2:] - mean) / np.exp(log_scale),
                        atol=1e-5)
    self.assertAllClose(y[..., :2], x[..., :2])

  def test_weights_exist_at_construction(self):
    factor_out = _factor_out((2, 2, 4), 1, inner=bijectors.ActNorm((2, 2, 3)))
    self.assertLen(factor_out.trainable_variables, 4)

  @parameterized.parameters(0, 4, 5)
  def test_rejects_a_split_that_leaves_nothing_or_everything(self, leaving):
    with self.assertRaisesRegex(errors.ConfigError, "at least one"):
      _factor_out((2, 2, 4), leaving)

  def test_sigmoid_prior_scale_starts_at_sigmoid_two(self):
    factor_out = _factor_out((2, 2, 4), 1, prior_scale="sigmoid")
    x = np.random.default_rng(3).normal(size=(1, 2, 2, 4))
    y, log_det = factor_out.forward_and_log_det(util.fresh(x))
    sigmoid_two = 1.0 / (1.0 + np.exp(-2.0))
    self.assertAllClose(y[..., 3], x[..., 3] * sigmoid_two, atol=1e-6)
    self.assertAllClose(log_det, [4 * np.log(sigmoid_two)], atol=1e-5)


if __name__ == "__main__":
  tf.test.main()
