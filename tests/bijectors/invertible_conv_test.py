"""Tests for the LU-parameterised invertible 1x1 convolution."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows.bijectors import invertible_conv

SHAPE = (3, 3, 4)


class InvertibleConv1x1Test(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters("rotation", "identity")
  def test_invertible_and_log_det_matches_autodiff(self, init):
    conv = bijectors.InvertibleConv1x1(SHAPE[-1], init=init, seed=3)
    util.perturb_all_variables(self, conv)
    x = np.random.default_rng(0).normal(size=(3,) + SHAPE)
    util.assert_invertible(self, conv, x)
    util.assert_log_det_matches_autodiff(self, conv, x[:2])

  def test_log_det_is_spatial_size_times_log_abs_det_of_weight(self):
    conv = bijectors.InvertibleConv1x1(4, seed=5)
    util.perturb_all_variables(self, conv)
    _, log_abs_det = np.linalg.slogdet(np.asarray(conv.weight(), np.float64))
    log_det = conv.forward_log_det_jacobian(util.fresh(np.zeros((1, 5, 7, 4))))
    self.assertAllClose(log_det, [35 * log_abs_det], rtol=1e-5)

  def test_rotation_init_is_orthogonal(self):
    weight = np.asarray(bijectors.InvertibleConv1x1(6, seed=1).weight())
    self.assertAllClose(weight @ weight.T, np.eye(6), atol=1e-5)

  def test_trainable_count_is_channels_squared(self):
    conv = bijectors.InvertibleConv1x1(5)
    count = sum(int(np.prod(v.shape)) for v in conv.trainable_variables)
    self.assertEqual(count, 25)
    self.assertLen(conv.trainable_variables, 3)

  def test_lu_factorisation_reproduces_the_matrix(self):
    a = np.random.default_rng(7).normal(size=(6, 6))
    perm, lower, upper = invertible_conv._lu_with_partial_pivoting(a)
    self.assertAllClose((lower @ upper)[perm], a, atol=1e-10)
    self.assertAllClose(np.diag(lower), np.ones(6))
    self.assertAllClose(np.tril(upper, -1), np.zeros((6, 6)))


if __name__ == "__main__":
  tf.test.main()
