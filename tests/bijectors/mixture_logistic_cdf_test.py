"""Tests for the mixture-of-logistics CDF bijector and its root finder."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_flows import bijectors
from tfp_flows.bijectors import mixture_logistic_cdf as mlc

tfb, tfd = tfp.bijectors, tfp.distributions


def _random_mixture(rng, batch, k=32, dtype=np.float64):
  """The issue's accuracy grid: log-scales in [-7, 3], locations in [-50, 50]."""
  return (rng.normal(scale=2.0, size=batch + (k,)).astype(dtype),
          rng.uniform(-50, 50, size=batch + (k,)).astype(dtype),
          rng.uniform(-7, 3, size=batch + (k,)).astype(dtype))


def _tfp_mixture(logits, locs, log_scales):
  return tfd.MixtureSameFamily(
      tfd.Categorical(logits=logits),
      tfd.Logistic(loc=locs, scale=np.exp(log_scales)))


class LogitMixtureLogisticCDFTest(tf.test.TestCase):

  def test_matches_tfp_mixture_cdf_and_density(self):
    rng = np.random.default_rng(0)
    logits, locs, log_scales = _random_mixture(rng, (200,), k=5)
    x = rng.uniform(-50, 50, size=200)
    mixture = _tfp_mixture(logits, locs, log_scales)
    cdf = np.asarray(mixture.cdf(x))
    # The oracle's F(x) saturates in float64 far in the tails: compare where
    # it keeps the digits.
    kept = (cdf > 1e-8) & (cdf < 1 - 1e-8)
    self.assertGreater(kept.mean(), 0.5)
    logits, locs, log_scales, x, cdf = (
        a[kept] for a in (logits, locs, log_scales, x, cdf))
    bijector = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
    mixture = _tfp_mixture(logits, locs, log_scales)
    self.assertAllClose(bijector.forward(x), np.log(cdf) - np.log1p(-cdf),
                        rtol=1e-6, atol=1e-6)
    self.assertAllClose(
        bijector.forward_log_det_jacobian(x, event_ndims=0),
        mixture.log_prob(x) - np.log(cdf) - np.log1p(-cdf),
        rtol=1e-6, atol=1e-6)

  def test_log_det_matches_autodiff_and_varies(self):
    rng = np.random.default_rng(1)
    logits, locs, log_scales = _random_mixture(rng, (50,), k=4)
    x = tf.constant(rng.uniform(-60, 60, size=50))
    bijector = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
    with tf.GradientTape() as tape:
      tape.watch(x)
      y = bijector.forward(x)
    derivative = tape.gradient(y, x)
    log_det = bijector.forward_log_det_jacobian(x, event_ndims=0)
    finite = np.isfinite(np.log(derivative))
    self.assertGreater(finite.mean(), 0.9)
    self.assertAllClose(np.asarray(log_det)[finite],
                        np.log(derivative)[finite], rtol=1e-6, atol=1e-6)
    self.assertGreater(np.std(log_det), 1.0)

  def test_inverse_meets_the_accuracy_target(self):
    """|x_hat - x| <= 1e-4 max(1, |x|) where log f(x) >= -15, and
    |F(x_hat) - F(x)| <= 1e-6 elsewhere, K = 32, on 20,000 random draws."""
    rng = np.random.default_rng(2)
    logits, locs, log_scales = _random_mixture(rng, (20_000,))
    x = rng.uniform(-50, 50, size=20_000)
    bijector = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
    x_hat = np.asarray(bijector.inverse(tf.constant(bijector.forward(x))))
    log_density = np.asarray(mlc.log_pdf(x, logits, locs, log_scales))
    dense = log_density >= -15.0
    self.assertGreater(dense.mean(), 0.5)
    self.assertLess(dense.mean(), 1.0)  # Both regimes are exercised.
    relative = np.abs(x_hat - x) / np.maximum(1.0, np.abs(x))
    self.assertLessEqual(relative[dense].max(), 1e-4)
    cdf = lambda v: tf.sigmoid(mlc.logit_cdf(v, logits, locs, log_scales))
    backward = np.abs(np.asarray(cdf(x_hat)) - np.asarray(cdf(x)))
    self.assertLessEqual(backward[~dense].max(), 1e-6)

  def test_root_search_is_bounded_and_bracketed(self):
    rng = np.random.default_rng(3)
    logits, locs, log_scales = _random_mixture(rng, (2000,))
    target = tf.constant(rng.normal(scale=20.0, size=2000))
    low, high = mlc.root_bracket(target, locs, log_scales)
    # F(low) <= sigmoid(target) <= F(high): the bracket holds the root.
    self.assertAllLessEqual(
        mlc.logit_cdf(low, logits, locs, log_scales) - target, 1e-9)
    self.assertAllGreaterEqual(
        mlc.logit_cdf(high, logits, locs, log_scales) - target, -1e-9)
    x, iterations = mlc.inverse_logit_cdf_with_diagnostics(
        target, tf.constant(logits), tf.constant(locs),
        tf.constant(log_scales))
    self.assertLess(int(tf.reduce_max(iterations)), mlc.ROOT_MAX_ITERATIONS)
    self.assertAllClose(mlc.logit_cdf(x, logits, locs, log_scales), target,
                        atol=1e-6, rtol=1e-8)

  def test_float32_inputs_invert_through_a_float64_search(self):
    rng = np.random.default_rng(4)
    logits, locs, log_scales = _random_mixture(rng, (1000,), k=8,
                                               dtype=np.float32)
    locs /= 25.0
    log_scales = np.clip(log_scales, -2, 1)
    x = rng.uniform(-3, 3, size=1000).astype(np.float32)
    bijector = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
    y = bijector.forward(x)
    self.assertEqual(y.dtype, tf.float32)
    x_hat = bijector.inverse(tf.identity(y))
    self.assertEqual(x_hat.dtype, tf.float32)
    self.assertAllClose(x_hat, x, atol=1e-3, rtol=1e-4)

  def test_composes_with_tfp_into_the_mixture_distribution(self):
    """`logit F(X)` is standard logistic when X follows the mixture, so
    inverting the bijector onto a standard logistic gives the mixture."""
    rng = np.random.default_rng(5)
    logits, locs, log_scales = _random_mixture(rng, (), k=3)
    locs /= 10.0
    log_scales = np.clip(log_scales, -1, 1)
    bijector = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
    distribution = tfd.TransformedDistribution(
        tfd.Logistic(np.float64(0), np.float64(1)), tfb.Invert(bijector))
    x = rng.uniform(-5, 5, size=64)
    self.assertAllClose(distribution.log_prob(x),
                        _tfp_mixture(logits, locs, log_scales).log_prob(x),
                        rtol=1e-7)
    samples = distribution.sample(4000, seed=(1, 2))
    self.assertAllClose(np.mean(samples),
                        _tfp_mixture(logits, locs, log_scales).mean(),
                        atol=0.15)

  def test_inverse_works_in_a_compiled_function(self):
    rng = np.random.default_rng(6)
    logits, locs, log_scales = _random_mixture(rng, (64,), k=4,
                                               dtype=np.float32)
    bijector = bijectors.LogitMixtureLogisticCDF(logits, locs, log_scales)
    y = tf.constant(rng.normal(scale=5.0, size=64).astype(np.float32))
    compiled = tf.function(bijector.inverse, jit_compile=True)
    self.assertAllClose(compiled(y), bijector.inverse(tf.identity(y)),
                        atol=1e-5, rtol=1e-6)


def _moderate_mixture(rng, batch, k=4):
  """Well-conditioned parameters, so finite differences keep their digits."""
  return (rng.normal(size=batch + (k,)),
          rng.uniform(-4, 4, size=batch + (k,)),
          rng.uniform(-1.5, 0.5, size=batch + (k,)))


def _central_difference(f, x, h=1e-5):
  return (f(x + h) - f(x - h)) / (2 * h)


class InverseGradientTest(tf.test.TestCase):
  """The inverse's gradients are the implicit function theorem's.

  With `G(x; theta) = logit F(x; theta) - y` and `G(x*; theta) = 0`:
  `dx*/dy = 1 / G'(x*)`, `dx*/dtheta = -(dG/dtheta)(x*) / G'(x*)`.
  """

  def _inverse_and_gradients(self, y, params):
    y, params = tf.constant(y), [tf.constant(p) for p in params]
    with tf.GradientTape(persistent=True) as tape:
      tape.watch([y] + params)
      x = mlc.inverse_logit_cdf(y, *params)
    return x, tape.gradient(x, y), tape.gradient(x, params)

  def test_match_the_implicit_function_formula(self):
    rng = np.random.default_rng(7)
    params = _moderate_mixture(rng, (64,))
    x, dx_dy, dx_dparams = self._inverse_and_gradients(
        rng.normal(scale=3.0, size=64), params)
    tensors = [tf.constant(p) for p in params]
    with tf.GradientTape() as tape:
      tape.watch(tensors)
      g, log_det = mlc.logit_cdf_and_log_det(x, *tensors)
    dg_dparams = tape.gradient(g, tensors)
    slope = np.exp(-np.asarray(log_det))
    self.assertAllClose(dx_dy, slope, rtol=1e-12)
    for got, dg in zip(dx_dparams, dg_dparams):
      self.assertAllClose(got, -np.asarray(dg) * slope[:, None], rtol=1e-12)
      self.assertGreater(np.abs(got).max(), 1e-2)  # Not trivially zero.

  def test_match_finite_differences(self):
    rng = np.random.default_rng(8)
    params = _moderate_mixture(rng, (64,))
    y = rng.normal(scale=3.0, size=64)
    _, dx_dy, dx_dparams = self._inverse_and_gradients(y, params)
    inverse = lambda y, *p: np.asarray(mlc.inverse_logit_cdf(
        tf.constant(y), *(tf.constant(q) for q in p)))
    self.assertAllClose(
        dx_dy, _central_difference(lambda v: inverse(v, *params), y),
        rtol=1e-5, atol=1e-6)
    # Every scalar's x depends on its own row only: moving component k of
    # every row at once gives the whole column of derivatives.
    for index, got in enumerate(dx_dparams):
      for k in range(params[index].shape[-1]):
        def moved(h, index=index, k=k):
          shifted = [p.copy() for p in params]
          shifted[index][:, k] += h
          return inverse(y, *shifted)
        self.assertAllClose(got[:, k], _central_difference(moved, 0.0),
                            rtol=1e-5, atol=1e-6)

  def test_parameters_computed_from_a_variable(self):
    """The Flow++ coupling's case: the parameters come from a network."""
    rng = np.random.default_rng(9)
    logits, locs, log_scales = _moderate_mixture(rng, (32,))
    y = tf.constant(rng.normal(scale=3.0, size=32))
    weights = tf.Variable([1.0, 0.5, -0.3], dtype=tf.float64)

    def total(w):
      bijector = bijectors.LogitMixtureLogisticCDF(
          logits * w[0], locs + tf.sin(w[1]) * log_scales,
          log_scales * tf.exp(w[2]))
      return tf.reduce_sum(bijector.inverse(tf.identity(y)))

    with tf.GradientTape() as tape:
      value = total(weights)
    gradient = np.asarray(tape.gradient(value, weights))
    self.assertTrue(np.all(np.isfinite(gradient)))
    for i in range(3):
      step = np.eye(3)[i]
      expected = _central_difference(
          lambda h, step=step: float(total(weights + h * step)), 0.0)
      self.assertAllClose(gradient[i], expected, rtol=1e-5, atol=1e-6)

  def test_float32_and_compiled_gradients_are_finite_and_agree(self):
    rng = np.random.default_rng(10)
    params = [p.astype(np.float32) for p in _moderate_mixture(rng, (64,))]
    y = tf.constant(rng.normal(scale=3.0, size=64).astype(np.float32))

    def gradients(y, *params):
      with tf.GradientTape() as tape:
        tape.watch([y] + list(params))
        x = mlc.inverse_logit_cdf(y, *params)
      return tape.gradient(x, [y] + list(params))

    params = [tf.constant(p) for p in params]
    eager = gradients(y, *params)
    compiled = tf.function(gradients, jit_compile=True)(y, *params)
    for got, expected in zip(compiled, eager):
      self.assertEqual(got.dtype, tf.float32)
      self.assertTrue(np.all(np.isfinite(got)))
      self.assertAllClose(got, expected, rtol=1e-4, atol=1e-5)

  def test_second_derivatives_are_finite(self):
    rng = np.random.default_rng(11)
    params = [tf.constant(p) for p in _moderate_mixture(rng, (16,))]
    y = tf.constant(rng.normal(scale=3.0, size=16))
    with tf.GradientTape(persistent=True) as outer:
      outer.watch([y] + params)
      with tf.GradientTape() as inner:
        inner.watch([y] + params)
        loss = tf.reduce_sum(mlc.inverse_logit_cdf(y, *params) ** 2)
      first = inner.gradient(loss, [y] + params)
      total = sum(tf.reduce_sum(g) for g in first)
    for second in outer.gradient(total, [y] + params):
      self.assertTrue(np.all(np.isfinite(second)))

  def test_finite_where_the_density_all_but_vanishes(self):
    """Between two far, narrow components x* barely depends on y: the
    slope 1 / G' overflows, yet the value and gradients stay finite."""
    logits = tf.constant([[0.0, 0.0]])
    locs = tf.constant([[-50.0, 50.0]])
    log_scales = tf.constant([[-7.0, -7.0]])
    y = tf.constant([0.0])
    params = [logits, locs, log_scales]
    with tf.GradientTape() as tape:
      tape.watch([y] + params)
      x = mlc.inverse_logit_cdf(y, *params)
    self.assertAllLess(tf.abs(x), 50.0)
    for gradient in tape.gradient(x, [y] + params):
      self.assertFalse(np.any(np.isnan(gradient)))


if __name__ == "__main__":
  tf.test.main()
