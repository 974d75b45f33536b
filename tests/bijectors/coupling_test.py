"""Tests for the coupling bijector with every partition and both scales."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as util
from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows import nets

SHAPE = (4, 4, 2)


def _coupling(partition, swap=False, scale_fn="sigmoid", network="glow"):
  hyper = ({"hidden_channels": 8} if network == "glow" else
           {"hidden_channels": 8, "num_blocks": 1})
  return bijectors.Coupling(
      SHAPE, partition, nets.network_builder(network, **hyper),
      transform=bijectors.AffineTransform(scale_fn), swap=swap)


class CouplingTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.product(
      partition=["channels", "columns", "checkerboard"],
      swap=[False, True],
      scale_fn=["sigmoid", "exp_tanh"])
  def test_invertible_and_log_det_matches_autodiff(self, partition, swap,
                                                   scale_fn):
    coupling = _coupling(partition, swap, scale_fn)
    rng = np.random.default_rng(0)
    util.data_initialize(coupling, rng.normal(size=(8,) + SHAPE))
    util.perturb_all_variables(self, coupling)
    x = rng.normal(size=(3,) + SHAPE)
    util.assert_invertible(self, coupling, x)
    util.assert_log_det_matches_autodiff(self, coupling, x[:2])
    util.assert_log_det_varies(self, coupling, x[:2])

  @parameterized.product(
      partition=["channels", "columns", "checkerboard"],
      transform=["affine", "additive", "mixture"])
  def test_gradient_has_no_strided_writes(self, partition, transform):
    coupling = bijectors.Coupling(
        SHAPE, partition, nets.network_builder("glow", hidden_channels=8),
        transform={"affine": bijectors.AffineTransform(),
                   "additive": bijectors.AdditiveTransform(),
                   "mixture": bijectors.MixtureLogisticTransform(3)}[
                       transform])
    util.assert_gradient_has_no_strided_writes(
        self, coupling, np.zeros((2,) + SHAPE))

  @parameterized.parameters("channels", "columns", "checkerboard")
  def test_conditioning_half_passes_through(self, partition):
    coupling = _coupling(partition)
    util.build(coupling, SHAPE)
    util.perturb_all_variables(self, coupling)
    x = np.random.default_rng(2).normal(size=(2,) + SHAPE)
    y = coupling.forward(util.fresh(x))
    x_cond, x_change = coupling.partition.split(util.fresh(x))
    y_cond, y_change = coupling.partition.split(y)
    self.assertAllEqual(x_cond, y_cond)
    self.assertNotAllClose(x_change, y_change)

  def test_checkerboard_halves_are_pixel_parities(self):
    partition = bijectors.get_partition("checkerboard")
    i, j = np.meshgrid(np.arange(4), np.arange(6), indexing="ij")
    parity = ((i + j) % 2).astype(np.float32)[None, :, :, None]
    first, second = partition.split(tf.constant(parity))
    self.assertAllEqual(first, tf.zeros_like(first))
    self.assertAllEqual(second, tf.ones_like(second))
    self.assertAllEqual(partition.merge(first, second), parity)

  def test_zero_initialised_network_starts_near_identity(self):
    coupling = _coupling("channels")
    x = np.random.default_rng(3).normal(size=(2,) + SHAPE)
    y = coupling.forward(util.fresh(x))
    _, x_change = coupling.partition.split(util.fresh(x))
    _, y_change = coupling.partition.split(y)
    self.assertAllClose(y_change, x_change * (1 / (1 + np.exp(-2.0))),
                        atol=1e-6)

  def test_any_network_fits_any_coupling(self):
    coupling = _coupling("checkerboard", network="resnet")
    util.build(coupling, SHAPE)
    util.perturb_all_variables(self, coupling)
    x = np.random.default_rng(4).normal(size=(2,) + SHAPE)
    util.assert_invertible(self, coupling, x)

  def test_batch_dimensions_are_flattened_and_restored(self):
    coupling = _coupling("columns")
    util.build(coupling, SHAPE)
    util.perturb_all_variables(self, coupling)
    x = np.random.default_rng(5).normal(size=(2, 3) + SHAPE)
    y, log_det = coupling.forward_and_log_det(util.fresh(x))
    self.assertEqual(y.shape, x.shape)
    self.assertEqual(log_det.shape, (2, 3))
    flat_y, flat_log_det = coupling.forward_and_log_det(
        util.fresh(x.reshape((6,) + SHAPE)))
    self.assertAllClose(np.reshape(y, flat_y.shape), flat_y, atol=1e-6)
    self.assertAllClose(np.reshape(log_det, [6]), flat_log_det, atol=1e-5)
    single, _ = coupling.forward_and_log_det(util.fresh(x[0, 0]))
    self.assertAllClose(single, y[0, 0], atol=1e-6)

  def test_partition_rejects_shapes_it_cannot_split(self):
    with self.assertRaisesRegex(ValueError, "even width"):
      _coupling("columns").__class__(
          (4, 3, 2), "columns", nets.network_builder("zero_conv"))
    with self.assertRaisesRegex(ValueError, "at least 2 channels"):
      bijectors.Coupling((4, 4, 1), "channels",
                         nets.network_builder("zero_conv"))
    with self.assertRaisesRegex(ValueError, "Unknown partition"):
      bijectors.Coupling(SHAPE, "diagonal", nets.network_builder("zero_conv"))

  def test_weights_exist_at_construction(self):
    coupling = _coupling("checkerboard")
    before = len(coupling.trainable_variables)
    self.assertEqual(before, 8)  # 3 convs (W, b), 2 ActNorms (bias, scale).
    coupling.forward(util.fresh(np.zeros((1,) + SHAPE)))
    self.assertLen(coupling.trainable_variables, before)

  def test_a_smaller_image_is_a_shape_error(self):
    coupling = _coupling("channels")
    with self.assertRaisesRegex(errors.ShapeError,
                                r"shape \(4, 4, 2\).*\(2, 2, 2\)"):
      coupling.forward(util.fresh(np.zeros((1, 2, 2, 2))))
    with self.assertRaisesRegex(errors.ShapeError, "built for events"):
      coupling.inverse_and_log_det(util.fresh(np.zeros((1, 4, 4, 3))))

  def test_validate_args_checks_dynamic_shapes_and_dtype(self):
    coupling = bijectors.Coupling(
        SHAPE, "channels", nets.network_builder("zero_conv"),
        validate_args=True)
    traced = tf.function(lambda x: coupling.forward_and_log_det(x)[0])
    unknown = traced.get_concrete_function(
        tf.TensorSpec([None, None, None, 2]))
    self.assertEqual(unknown(util.fresh(np.ones((1,) + SHAPE))).shape,
                     (1,) + SHAPE)
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError,
                                "event shape must be"):
      unknown(util.fresh(np.ones((1, 2, 4, 2))))
    with self.assertRaisesRegex(errors.InputTypeError, "float32"):
      coupling.forward_and_log_det(tf.zeros((1,) + SHAPE, tf.int32))

  def test_get_partition_swaps_an_instance(self):
    partition = bijectors.get_partition("channels")
    swapped = bijectors.get_partition(partition, swap=True)
    self.assertTrue(swapped.swap)
    self.assertFalse(partition.swap)
    self.assertFalse(bijectors.get_partition(swapped, swap=True).swap)
    x = tf.reshape(tf.range(4.0), [1, 1, 1, 4])
    self.assertAllEqual(swapped.split(x)[0], partition.split(x)[1])


if __name__ == "__main__":
  tf.test.main()
