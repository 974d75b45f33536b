"""What sampling at temperature T means, shown on small continuous models.

Sampling the latent from N(0, T^2 I) and mapping it through the flow gives
the density `log p_T(x) = log N(f(x); 0, T^2 I) + log|det J_f(x)|`, so

    log p_T(x) - log p(x) / T^2
        = const(T) + (1 - 1 / T^2) * log|det J_f(x)|.

It is exactly `p(x)^(1/T^2) / Z` when `log|det J_f|` is constant in x
(additive couplings and masked convs, centring preprocessing, priors with
no learned scale: MaCow's additive preset); otherwise the tempered density
is `p^(1/T^2)` reweighted by `|det J_f(x)|^(1 - 1/T^2)`.
"""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tests.models import model_test_util
from tfp_flows import models

tfd = tfp.distributions
SHAPE = (4, 4, 1)
TEMPERATURE = 0.7


def tempered_gap(model, x, temperature):
  """`log p_T(x) - log p(x) / T^2` of the continuous flow, per image."""
  def density(t):
    base = tfd.Sample(tfd.Normal(0.0, t), SHAPE)
    return tfd.TransformedDistribution(base, model.flow)
  log_p = density(1.0).log_prob(tf.constant(x))
  log_p_t = density(temperature).log_prob(tf.constant(x))
  return np.asarray(log_p_t - log_p / temperature ** 2)


def _model(family, **overrides):
  config = models.get_config(family, "tiny")
  config.model.update(overrides)
  model = models.build_model(config, SHAPE)
  return model


class TemperatureTest(tf.test.TestCase, parameterized.TestCase):

  def _images(self):
    # Pixel values in [0, 256), spread out so log-dets differ if they can.
    return np.random.default_rng(0).uniform(
        1.0, 255.0, size=(6,) + SHAPE).astype(np.float32)

  def test_volume_preserving_flow_tempers_exactly(self):
    model = model_test_util.initialized_and_perturbed(
        self, _model("macow", additive=True, preprocessing="centering"))
    gap = tempered_gap(model, self._images(), TEMPERATURE)
    self.assertLess(np.ptp(gap), 1e-3, gap)
    # The constant is -D log T + (D/2) log(2 pi) (1/T^2 - 1) + (1 - 1/T^2) c.
    self.assertTrue(np.all(np.isfinite(gap)))

  @parameterized.parameters(("macow", {"additive": False}),
                            ("glow", {}), ("realnvp", {}))
  def test_affine_flows_reweight_by_the_jacobian(self, family, overrides):
    model = model_test_util.initialized_and_perturbed(
        self, _model(family, preprocessing="centering", **overrides))
    images = self._images()
    gap = tempered_gap(model, images, TEMPERATURE)
    self.assertGreater(np.ptp(gap), 1e-2, gap)
    # ... and the spread is exactly (1 - 1/T^2) times the log-det's.
    _, log_det = model.normalizing_flow.forward_and_log_det(
        tf.constant(images))
    log_det = np.asarray(log_det, np.float64)
    self.assertAllClose(gap - gap[0],
                        (1.0 - TEMPERATURE ** -2) * (log_det - log_det[0]),
                        atol=1e-2, rtol=1e-3)


if __name__ == "__main__":
  tf.test.main()
