"""Every family differentiates through its sampling direction, latent -> data.

Sampling-side losses and the TFP `TransformedDistribution` built on
`model.flow` differentiate through the inverse of the normalizing flow:
Flow++'s through a root search, MaCow's through a row-by-row solve.
"""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf
import tf_keras

from tests import bijector_test_util
from tests.models import model_test_util as util
from tfp_flows import models

EVENT_SHAPE = (8, 8, 1)


def sampling_jacobian_and_gradients(model, z):
  """`(J, log_det, variable_gradients)` of `x = model.flow.forward(z)`.

  `z` is one latent `[1, H, W, C]`; `J = dx/dz` is `[D, D]` (D = HWC) and
  `log_det` the flow's own log|det J|. The variable gradients are those of
  `sum(x) + log_det`. The batch of D copies `z_b` of `z` gives the whole
  Jacobian in one backward pass: `d/dz_b sum_b x_b(z_b) = grad x_b(z)`, row
  b of J, because images in a batch are transformed independently. A
  per-row `tape.jacobian` of MaCow's row-by-row inverse takes minutes.
  """
  d = int(np.prod(z.shape))
  copies = tf.repeat(z, d, axis=0)
  with tf.GradientTape(persistent=True) as tape:
    tape.watch(copies)
    x = model.flow.forward(copies)
    log_det = model.flow.forward_log_det_jacobian(copies, event_ndims=3)
    diagonal = tf.reduce_sum(tf.reshape(x, [d, d]) * tf.eye(d))
    sampled = tf.reduce_sum(x[0]) + log_det[0]
  jacobian = tf.reshape(tape.gradient(diagonal, copies), [d, d])
  gradients = tape.gradient(sampled,
                            model.normalizing_flow.trainable_variables)
  return jacobian, log_det[0], gradients


class SamplingDirectionTest(tf.test.TestCase, parameterized.TestCase):

  def setUp(self):
    super().setUp()
    tf_keras.utils.set_random_seed(0)

  @parameterized.parameters(*models.family_names())
  def test_jacobian_is_finite_and_its_log_det_is_the_flows(self, family):
    model = util.initialized_and_perturbed(
        self, util.tiny_model(family, EVENT_SHAPE))
    # The round-trip point: the latent of a dequantized image.
    images = util.random_images((1,) + EVENT_SHAPE, seed=1)
    y = bijector_test_util.fresh(images + 0.5)
    z, forward_log_det = model.normalizing_flow.forward_and_log_det(y)
    jacobian, log_det, gradients = sampling_jacobian_and_gradients(
        model, bijector_test_util.fresh(z))
    self.assertTrue(np.all(np.isfinite(jacobian)))
    _, autodiff_log_det = np.linalg.slogdet(np.asarray(jacobian, np.float64))
    self.assertAllClose(log_det, autodiff_log_det, atol=2e-3, rtol=1e-5)
    self.assertAllClose(log_det, -forward_log_det[0], atol=1e-3, rtol=1e-5)
    for variable, gradient in zip(
        model.normalizing_flow.trainable_variables, gradients):
      self.assertIsNotNone(gradient, msg=variable.name)
      self.assertTrue(np.all(np.isfinite(gradient)), msg=variable.name)


if __name__ == "__main__":
  tf.test.main()
