"""Tests for Squeeze and Unsqueeze."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tests import bijector_test_util as util
from tfp_flows import bijectors


class SqueezeTest(tf.test.TestCase):

  def test_invertible_and_log_det_matches_autodiff(self):
    x = np.random.default_rng(0).normal(size=(2, 4, 2, 1))
    for bijector in (bijectors.Squeeze(),):
      y, log_det = util.assert_invertible(self, bijector, x)
      self.assertEqual(y.shape, (2, 2, 1, 4))
      self.assertAllEqual(log_det, [0.0, 0.0])
      util.assert_log_det_matches_autodiff(self, bijector, x)

  def test_unsqueeze_is_the_inverse(self):
    x = np.random.default_rng(1).normal(size=(2, 2, 3, 8))
    y, _ = util.assert_invertible(self, bijectors.Unsqueeze(), x)
    self.assertEqual(y.shape, (2, 4, 6, 2))
    self.assertAllClose(bijectors.Squeeze().forward(util.fresh(y)), x)

  def test_moves_each_two_by_two_block_into_channels(self):
    x = np.arange(16, dtype=np.float32).reshape(1, 4, 4, 1)
    y = bijectors.Squeeze().forward(util.fresh(x))
    self.assertAllEqual(y[0, 0, 0], [0, 1, 4, 5])

  def test_event_shapes(self):
    squeeze = bijectors.Squeeze()
    self.assertEqual(squeeze.forward_event_shape([8, 6, 3]), [4, 3, 12])
    self.assertEqual(squeeze.inverse_event_shape([4, 3, 12]), [8, 6, 3])
    self.assertAllEqual(squeeze.forward_event_shape_tensor([5, 8, 6, 3]),
                        [5, 4, 3, 12])
    distribution = tfp.distributions.TransformedDistribution(
        tfp.distributions.Sample(tfp.distributions.Normal(0.0, 1.0),
                                 [4, 4, 1]), squeeze)
    self.assertEqual(distribution.event_shape, [2, 2, 4])

  def test_odd_size_is_rejected_with_the_shape(self):
    with self.assertRaisesRegex(ValueError, r"divisible by 2.*\(7, 4, 1\)"):
      bijectors.Squeeze().forward(util.fresh(np.zeros((1, 7, 4, 1))))


if __name__ == "__main__":
  tf.test.main()
