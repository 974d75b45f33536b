"""Properties of every bijector on valid input, eagerly and in tf.function.

For random inputs in a case's range and random batch shapes: the inverse
undoes the forward pass, the two log-dets are opposite, the log-det equals
log|det| of the autodiff Jacobian, every value is finite, and the traced
pass gives what the eager one does.
"""

import hypothesis
from hypothesis import strategies as st
import numpy as np
import tensorflow as tf

from tests.bijector_test_util import fresh
from tests.property import bijector_cases as cases
from tests.property import strategies
from tfp_flows import bijectors

# Mixtures of 1 to MAX_COMPONENTS logistics for LogitMixtureLogisticCDF.
MAX_COMPONENTS = 4
_SCALARS = tf.TensorSpec([None], tf.float32)
_MIXTURE_PARAMETERS = tf.TensorSpec([None, None], tf.float32)
# float32 log-dets are sums of up to 256 terms; the autodiff one goes through
# a float32 Jacobian.
LOG_DET_ATOL = 2e-3
LOG_DET_RTOL = 1e-4


@tf.function(input_signature=[_SCALARS] + [_MIXTURE_PARAMETERS] * 3,
             autograph=False)
def _traced_mixture_cdf(x, logits, locs, log_scales):
  """`(y, log_det, inverse(y), log|dy/dx| by autodiff)`, elementwise."""
  flow = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = flow.forward(x)
  slope = tape.gradient(y, x)  # Elementwise: the Jacobian's diagonal.
  return (y, flow.forward_log_det_jacobian(x), flow.inverse(tf.identity(y)),
          tf.math.log(tf.abs(slope)))


class BijectorRoundTripTest(tf.test.TestCase):

  def _assert_finite(self, *values):
    for value in values:
      self.assertTrue(np.all(np.isfinite(value)), value)

  def _check(self, data, names):
    name = data.draw(st.sampled_from(names), label="case")
    case = cases.CASES[name]
    shape = data.draw(case.shapes, label="event shape")
    batch_shape = data.draw(strategies.batch_shapes, label="batch shape")
    x = strategies.uniform(data.draw(strategies.seeds),
                           batch_shape + shape, case.low, case.high)
    flow = cases.bijector(name, shape)

    y, log_det = flow.forward_and_log_det(fresh(x))
    self.assertEqual(log_det.shape, batch_shape)
    self._assert_finite(y, log_det)
    flat = x.reshape((-1,) + shape)
    y_traced, log_det_traced, *inverse_traced, autodiff = (
        t.numpy() for t in cases.traced_pass(name, shape)(fresh(flat)))
    self.assertAllClose(y_traced, np.reshape(y, y_traced.shape),
                        atol=1e-5, rtol=1e-5)
    self.assertAllClose(log_det_traced, np.reshape(log_det, [-1]),
                        atol=1e-4, rtol=1e-5)
    self.assertAllClose(log_det_traced[0], autodiff, atol=LOG_DET_ATOL,
                        rtol=LOG_DET_RTOL)
    inverses = [inverse_traced]
    if case.eager_inverse:
      inverses.append(flow.inverse_and_log_det(fresh(y)))
    for x_back, inverse_log_det in inverses:
      self._assert_finite(x_back, inverse_log_det)
      self.assertAllClose(np.reshape(x_back, x.shape), x, atol=case.atol,
                          rtol=1e-4)
      self.assertAllClose(np.reshape(inverse_log_det, batch_shape), -log_det,
                          atol=LOG_DET_ATOL, rtol=LOG_DET_RTOL)

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_bijectors_with_weights(self, data):
    self._check(data, cases.WEIGHTED)

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_bijectors_without_weights(self, data):
    self._check(data, cases.WEIGHTLESS)


  @strategies.SETTINGS
  @hypothesis.given(st.integers(1, 6), st.integers(1, MAX_COMPONENTS),
                    strategies.seeds)
  def test_logit_mixture_logistic_cdf(self, size, components, seed):
    # A scalar bijector with its parameters as tensors: one trace serves
    # every mixture. Its inverse is a root search, traced only (see
    # bijector_cases.Case.eager_inverse).
    rng = np.random.default_rng(seed)
    logits, locs, log_scales = (
        fresh(rng.uniform(low, high, (size, components)))
        for low, high in ((-2, 2), (-3, 3), (-2, 1)))
    x = rng.uniform(-5, 5, size).astype(np.float32)
    flow = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
    y = flow.forward(fresh(x))
    log_det = flow.forward_log_det_jacobian(fresh(x))
    y_traced, log_det_traced, x_back, autodiff = (
        t.numpy() for t in _traced_mixture_cdf(fresh(x), logits, locs,
                                               log_scales))
    self._assert_finite(y, log_det, x_back)
    self.assertAllClose(y_traced, y, atol=1e-5, rtol=1e-5)
    self.assertAllClose(log_det_traced, log_det, atol=1e-5, rtol=1e-5)
    self.assertAllClose(log_det, autodiff, atol=1e-4, rtol=1e-4)
    self.assertAllClose(x_back, x, atol=1e-4, rtol=1e-4)


if __name__ == "__main__":
  tf.test.main()
