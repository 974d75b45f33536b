"""Tests for scanning: identical layers traced once, as one loop."""

import numpy as np
import tensorflow as tf
import tf_keras

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows import graph_ops
from tfp_flows import nets
from tfp_flows import scanning
from tfp_flows.nets import initialization

SHAPE = (4, 4, 2)


def _glow_steps(count, network="glow"):
  network_fn = (nets.network_builder("glow", hidden_channels=8)
                if network == "glow" else nets.network_builder(
                    "resnet", hidden_channels=8, num_blocks=3,
                    scan_blocks=True))
  return [bijectors.Sequential([
      bijectors.ActNorm(SHAPE),
      bijectors.InvertibleConv1x1(SHAPE[-1], seed=k),
      bijectors.Coupling(SHAPE, "channels", network_fn),
  ], name=f"step_{k}") for k in range(count)]


def _alternating_steps(count):
  """RealNVP's: ActNorm and a checkerboard coupling whose halves swap."""
  network_fn = nets.network_builder("resnet", hidden_channels=8,
                                    num_blocks=1)
  layers = []
  for k in range(count):
    layers += [bijectors.ActNorm(SHAPE, name=f"norm_{k}"),
               bijectors.Coupling(SHAPE, "checkerboard", network_fn,
                                  swap=bool(k % 2), name=f"coupling_{k}")]
  return layers


def _initialised(layers, seed=0):
  """Both flows over `layers`, data-initialised.

  Weights still at zero (output convolutions, LU triangles) are moved by
  N(0, 0.1^2), so no layer is the identity; perturbing the others too would
  make the deeper flows too badly conditioned to round-trip in float32.
  """
  plain = bijectors.Sequential(layers, name="plain")
  scanned = bijectors.Sequential(layers, scan_repeats=True, name="scanned")
  x = np.random.default_rng(seed).normal(size=(8,) + SHAPE)
  util.data_initialize(plain, x)
  rng = np.random.default_rng(seed + 1)
  for variable in plain.trainable_variables:
    if not np.any(variable.numpy()):
      variable.assign(util.PERTURBATION_SCALE * rng.normal(
          size=variable.shape).astype(np.float32))
  return plain, scanned


def _pass_and_gradients(flow, jit_compile=False):
  @tf.function(jit_compile=jit_compile)
  def run(x):
    with tf.GradientTape() as tape:
      y, log_det = flow.forward_and_log_det(x, training=True)
      loss = tf.reduce_sum(tf.square(y)) - tf.reduce_sum(log_det)
    gradients = tape.gradient(loss, flow.trainable_variables)
    x_back, inverse_log_det = flow.inverse_and_log_det(y)
    return y, log_det, gradients, x_back, inverse_log_det
  return run


class RepeatedRunsTest(tf.test.TestCase):

  def test_identical_steps_are_one_run(self):
    layers = ([bijectors.Squeeze()] + _glow_steps(3)
              + [bijectors.Unsqueeze()])
    self.assertEqual(scanning.repeated_runs(layers),
                     [(0, 1, 1), (1, 1, 3), (4, 1, 1)])

  def test_steps_that_swap_repeat_in_pairs(self):
    # Units are (norm, coupling, norm, swapped coupling); the fifth and
    # sixth layers start a pair that does not complete.
    self.assertEqual(scanning.repeated_runs(_alternating_steps(5)),
                     [(0, 4, 2), (8, 1, 1), (9, 1, 1)])

  def test_layers_without_weights_never_repeat(self):
    self.assertEqual(
        scanning.repeated_runs([bijectors.Squeeze(), bijectors.Squeeze()]),
        [(0, 1, 1), (1, 1, 1)])


class RunRepeatedTest(tf.test.TestCase):

  def _assert_same_as_unrolled(self, layers, jit_compile=False, atol=1e-5):
    plain, scanned = _initialised(layers)
    x = tf.constant(np.random.default_rng(3).normal(
        size=(4,) + SHAPE).astype(np.float32))
    expected = _pass_and_gradients(plain)(x)
    got = _pass_and_gradients(scanned, jit_compile)(x)
    self.assertAllClose(expected[0], got[0], atol=atol)
    self.assertAllClose(expected[1], got[1], atol=atol)
    self.assertLen(got[2], len(plain.trainable_variables))
    for variable, want, have in zip(plain.trainable_variables, expected[2],
                                    got[2]):
      self.assertIsNotNone(have, variable.name)
      self.assertAllClose(want, have, atol=1e-4, rtol=1e-4,
                          msg=variable.name)
    self.assertAllClose(x, got[3], atol=1e-4)
    self.assertAllClose(-got[1], got[4], atol=1e-3)
    return plain, scanned, x

  def test_identical_steps_match_unrolled(self):
    self._assert_same_as_unrolled(_glow_steps(3))

  def test_pairs_of_mirrored_steps_match_unrolled(self):
    self._assert_same_as_unrolled(_alternating_steps(4))

  def test_network_blocks_scanned_inside_scanned_steps(self):
    # The steps' loop body holds the first step's network, whose blocks
    # run in a loop of their own over weights the outer body replaced.
    self._assert_same_as_unrolled(_glow_steps(3, network="resnet"))

  def test_under_xla(self):
    self._assert_same_as_unrolled(_glow_steps(3), jit_compile=True,
                                  atol=1e-4)

  def test_graph_holds_one_step(self):
    plain, scanned = _initialised(_glow_steps(4))
    spec = tf.TensorSpec((2,) + SHAPE, tf.float32)

    def convolutions(flow):
      forward = tf.function(lambda x: flow.forward_and_log_det(x)[0])
      return graph_ops.op_counts(
          forward.get_concrete_function(spec))["Conv2D"]
    # A Glow network has 3 convolutions.
    self.assertEqual(convolutions(plain), 12)
    self.assertEqual(convolutions(scanned), 3)
    with scanning.unrolled():
      self.assertEqual(convolutions(scanned), 12)

  def test_eager_calls_run_each_layer(self):
    plain, scanned = _initialised(_glow_steps(2))
    x = np.random.default_rng(4).normal(size=(2,) + SHAPE)
    self.assertAllClose(plain.forward_and_log_det(util.fresh(x)),
                        scanned.forward_and_log_det(util.fresh(x)))

  def test_scanned_flow_is_a_bijector(self):
    _, scanned = _initialised(_alternating_steps(4))
    x = np.random.default_rng(5).normal(size=(3,) + SHAPE)
    util.assert_invertible(self, scanned, x)
    util.assert_log_det_matches_autodiff(self, scanned, x[:2])

  def test_same_variables_and_checkpoints(self):
    layers = _glow_steps(3)
    plain, scanned = _initialised(layers)
    self.assertEqual([v.name for v in plain.trainable_variables],
                     [v.name for v in scanned.trainable_variables])
    path = tf.train.Checkpoint(flow=plain).write(
        self.get_temp_dir() + "/plain")
    other_plain, other_scanned = _initialised(_glow_steps(3), seed=7)
    del other_plain
    tf.train.Checkpoint(flow=other_scanned).read(path).assert_consumed()
    for want, have in zip(plain.variables, other_scanned.variables):
      self.assertAllEqual(want, have)

  def test_attributes_restored_after_tracing(self):
    layers = _glow_steps(2)
    _, scanned = _initialised(layers)
    before = [(id(v), v.name) for v in scanned.trainable_variables]
    tf.function(lambda x: scanned.forward_and_log_det(x)).get_concrete_function(
        tf.TensorSpec((1,) + SHAPE, tf.float32))
    self.assertEqual(before,
                     [(id(v), v.name) for v in scanned.trainable_variables])
    self.assertIsInstance(layers[0].layers[0].log_scale, tf.Variable)
    self.assertIsInstance(layers[0].layers[2].network.out.kernel, tf.Variable)

  def test_recompute_gradients_refused(self):
    _, scanned = _initialised(_glow_steps(2))
    with bijectors.recompute_gradients():
      with self.assertRaisesRegex(errors.ConfigError, "recompute_gradients"):
        tf.function(lambda x: scanned.forward_and_log_det(x),
                    autograph=False).get_concrete_function(
                        tf.TensorSpec((1,) + SHAPE, tf.float32))


class IdentityChecksTest(tf.test.TestCase):

  def test_different_settings_are_not_identical(self):
    layers = _alternating_steps(2)
    with self.assertRaisesRegex(errors.ConfigError, "coupling_1 differs"):
      scanning.check_identical([layers[1], layers[3]])

  def test_different_widths_are_not_identical(self):
    a = nets.GlowNet(4, hidden_channels=8)
    b = nets.GlowNet(4, hidden_channels=16)
    for net in (a, b):
      net(tf.zeros((1,) + SHAPE))
    with self.assertRaisesRegex(errors.ConfigError, "differs"):
      scanning.check_identical([a, b])

  def test_variable_in_a_container_is_refused(self):

    class Listed(tf_keras.layers.Layer):

      def build(self, input_shape):
        self.scales = [self.add_weight(name="scale", shape=())]

      def call(self, x):
        return x * self.scales[0]

    layer = Listed(name="listed")
    layer(tf.zeros((1, 2)))
    with self.assertRaisesRegex(errors.ConfigError, "listed.*container"):
      scanning.weight_slots(layer)

  def test_data_dependent_init_runs_each_layer(self):
    layers = _glow_steps(3)
    scanned = bijectors.Sequential(layers, scan_repeats=True)
    x = np.random.default_rng(6).normal(size=(16,) + SHAPE)
    with initialization.data_dependent_init():
      scanned.forward_and_log_det(util.fresh(x))
    biases = [np.asarray(step.layers[0].bias) for step in layers]
    self.assertNotAllClose(biases[0], biases[1])


if __name__ == "__main__":
  tf.test.main()
