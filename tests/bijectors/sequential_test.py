"""Tests for Sequential and composition with plain TFP."""

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows import nets

tfb = tfp.bijectors
tfd = tfp.distributions
SHAPE = (4, 4, 2)


def _glow_step():
  return bijectors.Sequential([
      bijectors.ActNorm(SHAPE),
      bijectors.InvertibleConv1x1(SHAPE[-1], seed=2),
      bijectors.Coupling(SHAPE, "channels",
                         nets.network_builder("glow", hidden_channels=8)),
  ], name="glow_step")


class _AddContext(bijectors.FlowBijector):
  """`y = x + context`: a probe of the context a layer receives."""

  def __init__(self):
    super().__init__(parameters={}, name="add_context")

  def _forward_and_log_det(self, x, training, context=None):
    return x + context, tf.zeros(tf.shape(x)[:1])

  def _inverse_and_log_det(self, y, training, context=None):
    return y - context, tf.zeros(tf.shape(y)[:1])


class SequentialTest(tf.test.TestCase):

  def test_invertible_and_log_det_matches_autodiff(self):
    step = _glow_step()
    util.build(step, SHAPE)
    util.perturb_all_variables(self, step)
    x = np.random.default_rng(0).normal(size=(3,) + SHAPE)
    util.assert_invertible(self, step, x)
    util.assert_log_det_matches_autodiff(self, step, x[:2])
    util.assert_log_det_varies(self, step, x[:2])

  def test_applies_layers_in_list_order_unlike_chain(self):
    step = _glow_step()
    util.build(step, SHAPE)
    util.perturb_all_variables(self, step)
    x = np.random.default_rng(1).normal(size=(2,) + SHAPE)
    chain = tfb.Chain(list(reversed(step.layers)))
    self.assertAllClose(step.forward(util.fresh(x)),
                        chain.forward(util.fresh(x)), atol=1e-5)
    self.assertAllClose(step.forward_log_det_jacobian(util.fresh(x)),
                        chain.forward_log_det_jacobian(util.fresh(x),
                                                       event_ndims=3),
                        atol=1e-4)

  def test_trainable_variables_are_complete(self):
    step = _glow_step()
    util.build(step, SHAPE)
    # ActNorm 2, 1x1 conv 3, Glow net: 2 convs without bias + 2 ActNorms of 2
    # + zero conv kernel and bias.
    self.assertLen(step.trainable_variables, 2 + 3 + (2 + 4 + 2))
    names = {v.name for v in step.trainable_variables}
    self.assertLen(names, len(step.trainable_variables))

  def test_inside_a_transformed_distribution(self):
    step = _glow_step()
    util.build(step, SHAPE)
    util.perturb_all_variables(self, step)
    base = tfd.Sample(tfd.Normal(0.0, 1.0), SHAPE)
    distribution = tfd.TransformedDistribution(base, tfb.Invert(step))
    x = np.random.default_rng(2).normal(size=(2,) + SHAPE).astype(np.float32)
    z, log_det = step.forward_and_log_det(util.fresh(x))
    expected = base.log_prob(z) + log_det
    self.assertAllClose(distribution.log_prob(util.fresh(x)), expected,
                        rtol=1e-5)
    samples = distribution.sample(3, seed=(1, 2))
    self.assertEqual(samples.shape, (3,) + SHAPE)

  def test_the_context_follows_squeezes(self):
    # A context on the image's grid stays aligned with it through a squeeze.
    flow = bijectors.Sequential(
        [bijectors.Squeeze(), _AddContext(), bijectors.Unsqueeze()])
    rng = np.random.default_rng(4)
    x, context = rng.normal(size=(2, 2, 4, 4, 1))
    y = flow.forward(util.fresh(x), context=util.fresh(context))
    self.assertAllClose(y, x + context, atol=1e-6)
    self.assertAllClose(
        flow.inverse(util.fresh(y), context=util.fresh(context)), x,
        atol=1e-6)

  def test_rejects_plain_tfp_bijectors(self):
    with self.assertRaisesRegex(TypeError, "FlowBijector"):
      bijectors.Sequential([tfb.Identity()])


if __name__ == "__main__":
  tf.test.main()
