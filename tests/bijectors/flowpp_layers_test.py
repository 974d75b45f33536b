"""Tests for Flow++'s layers: mixture coupling, per-half 1x1, sigmoid, step."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows import nets
from tfp_flows.nets import initialization

SHAPE = (4, 4, 2)


def _flowpp_net(**overrides):
  hyper = dict(hidden_channels=8, num_blocks=1, heads=2, dropout=0.0)
  hyper.update(overrides)
  return nets.network_builder("flowpp", **hyper)


# The context of a conditional coupling on SHAPE with a column split.
CONTEXT_SHAPE = (4, 2, 5)


def _mixture_coupling(partition="columns", swap=False, num_components=3,
                      **net_overrides):
  context_shape = CONTEXT_SHAPE if net_overrides.get("use_context") else None
  return bijectors.Coupling(
      SHAPE, partition, _flowpp_net(**net_overrides),
      transform=bijectors.MixtureLogisticTransform(num_components), swap=swap,
      context_shape=context_shape)


def _checked(test, bijector, seed=0, context=None):
  """Data-initialises and perturbs `bijector`; returns test inputs."""
  rng = np.random.default_rng(seed)
  with initialization.data_dependent_init():
    bijector.forward_and_log_det(util.fresh(rng.normal(size=(8,) + SHAPE)),
                                 context=context)
  util.perturb_all_variables(test, bijector, seed=seed + 1)
  return rng.normal(size=(3,) + SHAPE)


class MixtureCouplingTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.product(partition=["channels", "columns", "checkerboard"],
                         swap=[False, True])
  def test_invertible_and_log_det_matches_autodiff(self, partition, swap):
    coupling = _mixture_coupling(partition, swap)
    x = _checked(self, coupling)
    util.assert_invertible(self, coupling, x)
    util.assert_log_det_matches_autodiff(self, coupling, x[:2])
    util.assert_log_det_varies(self, coupling, x[:2])

  @parameterized.parameters(True, False)
  def test_without_attention(self, attention):
    coupling = _mixture_coupling(attention=attention)
    x = _checked(self, coupling)
    util.assert_invertible(self, coupling, x)
    util.assert_log_det_matches_autodiff(self, coupling, x[:2])
    has_embedding = any("position_embedding" in v.name
                        for v in coupling.trainable_variables)
    self.assertEqual(has_embedding, attention)

  def test_zero_components_is_the_affine_coupling(self):
    params = tf.constant(np.random.default_rng(1).normal(size=(2, 4, 2, 2, 2)),
                         tf.float32)
    x = tf.constant(np.random.default_rng(2).normal(size=(2, 4, 2, 2)),
                    tf.float32)
    mixture = bijectors.MixtureLogisticTransform(0)
    affine = bijectors.AffineTransform("exp_tanh")
    self.assertEqual(mixture.params_per_dim, 2)
    for got, want in zip(mixture.forward(x, params), affine.forward(x, params)):
      self.assertAllClose(got, want)
    for got, want in zip(mixture.inverse(x, params), affine.inverse(x, params)):
      self.assertAllClose(got, want)

  def test_parameters_per_dimension(self):
    self.assertEqual(bijectors.MixtureLogisticTransform(32).params_per_dim, 98)
    with self.assertRaisesRegex(ValueError, "num_components"):
      bijectors.MixtureLogisticTransform(-1)


class ConditionalCouplingTest(tf.test.TestCase):

  def test_context_conditions_and_inverts(self):
    coupling = _mixture_coupling(use_context=True)
    rng = np.random.default_rng(3)
    context = util.fresh(rng.normal(size=(8, 4, 2, 5)))
    _checked(self, coupling, context=context)
    x = rng.normal(size=(2,) + SHAPE)
    context_a = util.fresh(rng.normal(size=(2, 4, 2, 5)))
    context_b = util.fresh(rng.normal(size=(2, 4, 2, 5)))
    y_a, log_det_a = coupling.forward_and_log_det(util.fresh(x),
                                                  context=context_a)
    y_b, _ = coupling.forward_and_log_det(util.fresh(x), context=context_b)
    self.assertNotAllClose(y_a, y_b)
    x_back, inverse_log_det = coupling.inverse_and_log_det(
        tf.identity(y_a), context=context_a)
    self.assertAllClose(x_back, x, atol=1e-4)
    self.assertAllClose(log_det_a, -inverse_log_det, atol=1e-3)
    # The TFP API takes the context as a keyword, as for TFP's own
    # conditional bijectors.
    self.assertAllClose(coupling.forward(util.fresh(x), context=context_a),
                        y_a, atol=1e-5)

  def test_missing_context_is_reported(self):
    coupling = _mixture_coupling(use_context=True)
    with self.assertRaisesRegex(ValueError, "conditional: pass a context"):
      coupling.forward(util.fresh(np.zeros((1,) + SHAPE)))
    with self.assertRaisesRegex(ValueError, "conditional: pass a context"):
      bijectors.Coupling(SHAPE, "columns", _flowpp_net(use_context=True))


class PerHalfTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters("channels", "columns", "checkerboard")
  def test_invertible_and_log_det_matches_autodiff(self, partition):
    split = bijectors.get_partition(partition)
    first, second = split.half_shapes(SHAPE)
    per_half = bijectors.PerHalf(
        split, bijectors.InvertibleConv1x1(first[-1], init="identity", seed=1),
        bijectors.ActNorm(second, per_position=True))
    x = _checked(self, per_half)
    util.assert_invertible(self, per_half, x)
    util.assert_log_det_matches_autodiff(self, per_half, x[:2])

  def test_each_half_is_transformed_by_its_own_bijector(self):
    split = bijectors.get_partition("columns")
    half = split.half_shapes(SHAPE)[0]
    first, second = bijectors.ActNorm(half), bijectors.ActNorm(half)
    first.bias.assign([1.0, 2.0])
    per_half = bijectors.PerHalf(split, first, second)
    x = np.zeros((1,) + SHAPE, np.float32)
    a, b = split.split(per_half.forward(util.fresh(x)))
    self.assertAllEqual(a, np.broadcast_to([1.0, 2.0], a.shape))
    self.assertAllEqual(b, np.zeros(b.shape))


class SigmoidTest(tf.test.TestCase):

  def test_invertible_and_log_det_matches_autodiff(self):
    sigmoid = bijectors.Sigmoid()
    x = np.random.default_rng(4).normal(scale=2.0, size=(3,) + SHAPE)
    util.assert_invertible(self, sigmoid, x, atol=1e-3)
    util.assert_log_det_matches_autodiff(self, sigmoid, x[:2])
    util.assert_log_det_varies(self, sigmoid, x[:2])


class FlowppStepTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters("channels", "columns")
  def test_step_is_invertible_with_autodiff_log_det(self, partition):
    step = bijectors.steps.flowpp_step(
        SHAPE, partition, _flowpp_net(),
        bijectors.MixtureLogisticTransform(2), swap=True)
    x = _checked(self, step)
    util.assert_invertible(self, step, x)
    util.assert_log_det_matches_autodiff(self, step, x[:2])
    util.assert_log_det_varies(self, step, x[:2])

  def test_parameter_count_of_norm_and_pointwise(self):
    step = bijectors.steps.flowpp_step(
        SHAPE, "channels", nets.network_builder("zero_conv"),
        bijectors.MixtureLogisticTransform(0), swap=False)
    util.build(step, SHAPE)
    norm, pointwise, _ = step.layers
    # Per-position scale and bias; a C/2 x C/2 matrix per half.
    self.assertEqual(sum(v.shape.num_elements()
                         for v in norm.trainable_variables), 2 * 4 * 4 * 2)
    self.assertEqual(sum(v.shape.num_elements()
                         for v in pointwise.trainable_variables), 2 * 1 * 1)


if __name__ == "__main__":
  tf.test.main()
