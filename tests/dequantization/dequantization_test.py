"""Dequantization bounds against log P(x) computed by quadrature.

`P(x) = integral over [0, 1)^D of p(x + u) du` for the continuous density p
of a tiny Flow++-style model over 2x2x1 images (D = 4): tensor-product
Gauss-Legendre quadrature gives it to ~1e-6 nats, so the importance-weighted
bound (K = 4096) must come within 0.01 nats of it and the ELBO must lie below.
"""

from absl.testing import parameterized
import ml_collections
import numpy as np
import tensorflow as tf
import tf_keras

from tests import bijector_test_util
from tfp_flows import bijectors
from tfp_flows import dequantization
from tfp_flows import nets
from tfp_flows.models import flow_model
from tfp_flows.models import flowpp

EVENT_SHAPE = (2, 2, 1)


def _tiny_model(dequantization_name):
  tf_keras.utils.set_random_seed(0)
  network_fn = nets.network_builder("flowpp", hidden_channels=8,
                                    num_blocks=1, heads=2, dropout=0.0)
  core = bijectors.Sequential(bijectors.steps.flowpp_steps(
      EVENT_SHAPE, "columns", 2, network_fn,
      bijectors.MixtureLogisticTransform(3), name="step"))
  config = ml_collections.ConfigDict(dict(
      num_couplings=2, hidden_channels=8, num_blocks=1, num_components=3,
      attention=True, heads=2, dropout=0.0, context_channels=4,
      context_blocks=1))
  dequantizer = (dequantization.UniformDequantizer()
                 if dequantization_name == "uniform" else
                 flowpp.build_dequantizer(config, EVENT_SHAPE, 8))
  model = flow_model.FlowModel(
      EVENT_SHAPE, 8, bijectors.LogitPreprocess(8), core, dequantizer)
  model.build()
  return model


def _log_marginal_by_quadrature(model, image, points_per_dim):
  nodes, weights = np.polynomial.legendre.leggauss(points_per_dim)
  nodes, weights = (nodes + 1.0) / 2.0, weights / 2.0  # To [0, 1].
  grid = np.stack(np.meshgrid(*[nodes] * 4, indexing="ij"), -1).reshape(-1, 4)
  log_w = np.log(np.stack(np.meshgrid(*[weights] * 4, indexing="ij"),
                          -1).reshape(-1, 4)).sum(-1)
  y = image.astype(np.float32)[None] + grid.reshape((-1,) + EVENT_SHAPE)
  z, log_det = model.normalizing_flow.forward_and_log_det(
      bijector_test_util.fresh(y))
  log_p = np.asarray(flow_model.standard_normal_log_prob(z) + log_det,
                     np.float64)
  return float(np.logaddexp.reduce(log_p + log_w))


def _fit_dequantizer(model, images, steps=300):
  """Fits q(u | x) to p on `images` (the ELBO, q's weights only)."""
  optimizer = tf_keras.optimizers.Adam(3e-3)
  variables = model.dequantizer.trainable_variables
  batch = tf.repeat(tf.constant(images), 16, axis=0)

  @tf.function
  def step(seed):
    with tf.GradientTape() as tape:
      loss = -tf.reduce_mean(model.log_prob(batch, seed=seed))
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

  for i in range(steps):
    step(tf.constant([0, i]))


class DequantizationBoundsTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters("uniform", "variational")
  def test_bounds_against_quadrature(self, name):
    model = _tiny_model(name)
    images = np.array([[[[3], [250]], [[128], [17]]],
                       [[[0], [0]], [[255], [90]]]], np.uint8)
    # Initialised on near copies of the images, so the flow's first layers
    # stretch each unit cube and p(x + u) varies across it (on widely spread
    # images it is nearly constant there, and every bound is trivially tight).
    rng = np.random.default_rng(0)
    near = np.repeat(images, 32, axis=0).astype(np.int32) + rng.integers(
        -4, 5, size=(64,) + EVENT_SHAPE)
    model.initialize(np.clip(near, 0, 255).astype(np.uint8))
    bijector_test_util.perturb_all_variables(self, model.normalizing_flow,
                                             seed=1)
    exact = []
    for image in images:
      coarse = _log_marginal_by_quadrature(model, image, 10)
      fine = _log_marginal_by_quadrature(model, image, 14)
      self.assertAllClose(coarse, fine, atol=1e-4)  # Quadrature converged.
      exact.append(fine)
    exact = np.array(exact)
    if name == "variational":
      _fit_dequantizer(model, images)
    # Measured: |iw - exact| <= 0.005 nats; elbo - exact = -0.07 and -0.001
    # (uniform), -0.06 and -0.07 (variational).
    elbo, iw = model.importance_weighted_log_prob(images, 4096, seed=(1, 2))
    self.assertAllClose(iw, exact, atol=0.01)
    self.assertTrue(np.all(np.asarray(elbo) < exact), (elbo, exact))


if __name__ == "__main__":
  tf.test.main()
