"""Tests for the Centering and LogitPreprocess bijectors."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows import bijectors

SHAPE = (2, 3, 2)


class PreprocessingTest(tf.test.TestCase, parameterized.TestCase):

  def _pixels(self, n_bits, seed=0):
    return np.random.default_rng(seed).uniform(
        0, 2 ** n_bits, size=(3,) + SHAPE)

  @parameterized.parameters(8, 5)
  def test_centering(self, n_bits):
    centering = bijectors.Centering(n_bits)
    x = self._pixels(n_bits)
    y, log_det = util.assert_invertible(self, centering, x)
    self.assertAllClose(y, x / 2 ** n_bits - 0.5, atol=1e-6)
    self.assertAllClose(log_det, [-12 * n_bits * np.log(2)] * 3, rtol=1e-6)
    util.assert_log_det_matches_autodiff(self, centering, x[:2])

  @parameterized.parameters(8, 5)
  def test_logit(self, n_bits):
    logit = bijectors.LogitPreprocess(n_bits)
    x = self._pixels(n_bits, seed=1)
    y, _ = util.assert_invertible(self, logit, x, atol=2e-3 * 2 ** n_bits / 256)
    p = 0.05 + 0.9 * x / 2 ** n_bits
    self.assertAllClose(y, np.log(p / (1 - p)), atol=1e-5)
    util.assert_log_det_matches_autodiff(self, logit, x[:2])
    util.assert_log_det_varies(self, logit, x[:2])

  def test_logit_is_finite_at_the_ends_of_the_range(self):
    logit = bijectors.LogitPreprocess(8)
    ends = np.stack([np.zeros(SHAPE), np.full(SHAPE, 256.0 - 1e-3)])
    y, log_det = logit.forward_and_log_det(util.fresh(ends))
    self.assertTrue(np.all(np.isfinite(y)))
    self.assertTrue(np.all(np.isfinite(log_det)))


if __name__ == "__main__":
  tf.test.main()
