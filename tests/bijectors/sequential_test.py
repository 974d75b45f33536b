"""Tests for Sequential and composition with plain TFP."""

from unittest import mock

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows import nets
from tfp_flows import recomputation

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

  def test_keeps_layout_unless_a_layer_moves_the_grid(self):
    self.assertTrue(_glow_step().keeps_layout)
    self.assertFalse(bijectors.Squeeze().keeps_layout)
    self.assertFalse(bijectors.Sequential(
        [_glow_step(), bijectors.Unsqueeze()]).keeps_layout)

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


class RecomputeGradientsTest(tf.test.TestCase):

  def _flow(self, dropout=0.0):
    """A step, then half the channels leave and a step runs on the rest."""
    stay = SHAPE[:2] + (SHAPE[-1] // 2,)
    inner_step = bijectors.Sequential([
        bijectors.ActNorm(stay),
        bijectors.Coupling(
            stay, "checkerboard",
            nets.network_builder("flowpp", hidden_channels=8, num_blocks=1,
                                 attention=False, dropout=dropout),
            transform=bijectors.MixtureLogisticTransform(2)),
    ], name="inner_step")
    flow = bijectors.Sequential([
        _glow_step(),
        bijectors.FactorOut(SHAPE, SHAPE[-1] // 2,
                            nets.network_builder("zero_conv"),
                            inner=bijectors.Sequential([inner_step]),
                            name="split"),
    ], name="flow")
    util.build(flow, SHAPE)
    util.perturb_all_variables(self, flow)
    return flow

  def _gradients(self, flow, x, recompute):
    variables = flow.trainable_variables

    @tf.function(autograph=False)
    def gradients(x):
      with (tf.GradientTape() as tape,
            bijectors.recompute_gradients(recompute)):
        tape.watch(x)
        z, log_det = flow.forward_and_log_det(x, training=True)
        loss = tf.reduce_sum(z ** 2) - tf.reduce_sum(log_det)
      return [loss] + list(tape.gradient(loss, [x] + list(variables)))

    graph = gradients.get_concrete_function(x).graph.as_graph_def()
    return gradients(x), len(graph.node)

  def test_same_gradients_from_a_larger_graph(self):
    flow = self._flow()
    x = util.fresh(np.random.default_rng(3).normal(size=(3,) + SHAPE))
    plain, plain_ops = self._gradients(flow, x, recompute=False)
    recomputed, recomputed_ops = self._gradients(flow, x, recompute=True)
    self.assertLen(recomputed, len(flow.trainable_variables) + 2)
    for expected, actual in zip(plain, recomputed):
      self.assertAllClose(expected, actual, atol=1e-5, rtol=1e-5)
    # The recomputation is in the graph.
    self.assertGreater(recomputed_ops, plain_ops * 1.3)
    # Outside the context, nothing is recomputed.
    _, again_ops = self._gradients(flow, x, recompute=False)
    self.assertEqual(again_ops, plain_ops)

  def test_each_layer_with_weights_is_recomputed_not_the_containers(self):
    flow = self._flow()
    x = util.fresh(np.random.default_rng(5).normal(size=(2,) + SHAPE))
    wrapped = []
    real = recomputation.recomputing

    def spy(fn):
      wrapped.append(fn)
      return real(fn)

    with (mock.patch.object(recomputation, "recomputing", spy),
          bijectors.recompute_gradients()):
      flow.forward_and_log_det(x, training=True)
    # The Glow step's ActNorm, 1x1 conv and coupling, then the inner step's
    # ActNorm and coupling; never a step, the FactorOut or the flow whole,
    # whose recomputation would hold all their intermediates at once.
    self.assertLen(wrapped, 5)

  def test_dropout_is_refused_in_training_only(self):
    flow = self._flow(dropout=0.5)
    x = util.fresh(np.random.default_rng(4).normal(size=(2,) + SHAPE))
    with bijectors.recompute_gradients():
      with self.assertRaisesRegex(
          errors.ConfigError, r"coupling has dropout \(.*\), which would "
          r"draw a different mask when recomputed"):
        flow.forward_and_log_det(x, training=True)
      # Evaluation draws no mask: nothing to refuse.
      z, _ = flow.forward_and_log_det(util.fresh(x), training=False)
    self.assertAllClose(z, flow.forward(util.fresh(x)), atol=1e-5)


if __name__ == "__main__":
  tf.test.main()
