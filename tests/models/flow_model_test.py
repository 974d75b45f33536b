"""End-to-end tests of every model family as a distribution over images."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

from tests import bijector_test_util as bijector_util
from tests.models import model_test_util as util
from tfp_flows import errors
from tfp_flows import graph_ops
from tfp_flows import models

FAMILIES = ("glow", "realnvp", "flowpp", "macow")


class FlowModelTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(*FAMILIES)
  def test_whole_flow_is_invertible_with_autodiff_log_det(self, family):
    tf_keras.utils.set_random_seed(0)
    model = util.initialized_and_perturbed(self, util.tiny_model(family))
    flow = model.normalizing_flow
    y = np.random.default_rng(3).uniform(0, 256, size=(2, 4, 4, 1))
    # In pixel units (y spans [0, 256)); each layer alone inverts to float32
    # round-off (tests/bijectors).
    bijector_util.assert_invertible(self, flow, y, atol=1e-2)
    bijector_util.assert_log_det_matches_autodiff(self, flow, y, atol=5e-3)
    bijector_util.assert_log_det_varies(self, flow, y)

  @parameterized.parameters(*FAMILIES)
  def test_encode_decode_round_trip(self, family):
    model = util.initialized_and_perturbed(self, util.tiny_model(family))
    images = util.random_images((3, 4, 4, 1), seed=4)
    latents = model.encode(images)
    self.assertEqual(latents.shape, images.shape)
    self.assertAllEqual(model.decode(latents), images)

  @parameterized.parameters(*FAMILIES)
  def test_log_prob_matches_the_transformed_distribution(self, family):
    model = util.initialized_and_perturbed(self, util.tiny_model(family))
    images = util.random_images((2, 4, 4, 1), seed=5)
    noise = model.dequantizer.sample_noise(images.shape, (1, 2))
    expected = model.log_prob_with_noise(images, noise)
    # log p(x) >= log p_continuous(x + u) - log q(u | x); q = 1 if uniform.
    y, log_q = model.dequantizer.dequantize_with_noise(images, noise)
    distribution = model.continuous_distribution()
    self.assertIn("TransformedDistribution", type(distribution).__name__)
    self.assertAllClose(distribution.log_prob(bijector_util.fresh(y)) - log_q,
                        expected, rtol=1e-4)
    self.assertAllClose(model.log_prob(images, seed=(1, 2)), expected)

  @parameterized.parameters(*FAMILIES)
  def test_bits_per_dim_and_importance_weighting(self, family):
    model = util.initialized_and_perturbed(self, util.tiny_model(family))
    images = util.random_images((2, 4, 4, 1), seed=6)
    log_prob = model.log_prob(images, seed=(3, 4))
    self.assertAllClose(model.bits_per_dim(images, seed=(3, 4)),
                        -log_prob / (16 * np.log(2)), rtol=1e-6)
    elbo, iw = model.importance_weighted_log_prob(images, 8, seed=(5, 6))
    self.assertAllGreaterEqual(iw - elbo, -1e-4)  # Jensen: iw >= mean ELBO.
    single_elbo, single_iw = model.importance_weighted_log_prob(
        images, 1, seed=(5, 6))
    self.assertAllClose(single_elbo, single_iw)

  @parameterized.parameters(*FAMILIES)
  def test_seeded_sampling(self, family):
    model = util.initialized_and_perturbed(self, util.tiny_model(family))
    samples = model.sample(5, seed=(7, 8))
    self.assertEqual(samples.dtype, tf.uint8)
    self.assertEqual(samples.shape, (5, 4, 4, 1))
    self.assertAllEqual(samples, model.sample(5, seed=(7, 8)))
    self.assertNotAllEqual(samples, model.sample(5, seed=(7, 9)))
    # Temperature 0 is the mode of every prior: the decoded zero latent.
    self.assertAllEqual(model.sample(2, temperature=0.0, seed=(1, 1)),
                        model.decode(tf.zeros((2, 4, 4, 1))))

  def test_decode_names_the_latent_shape_and_dtype_it_takes(self):
    model = util.tiny_model("glow")
    with self.assertRaisesRegex(errors.ShapeError,
                                r"Latents must have shape \[N, 4, 4, 1\] .*"
                                r"got \(2, 2, 2, 4\)"):
      model.decode(tf.zeros((2, 2, 2, 4)))
    with self.assertRaisesRegex(errors.InputTypeError, "dtype int32"):
      model.decode(tf.zeros((2, 4, 4, 1), tf.int32))

  @parameterized.parameters(*FAMILIES)
  def test_each_network_runs_once_in_log_prob(self, family):
    model = util.initialized_and_perturbed(self, util.tiny_model(family))
    traced = tf.function(model.log_prob_with_noise).get_concrete_function(
        tf.TensorSpec([None, 4, 4, 1], tf.uint8),
        tf.TensorSpec([None, 4, 4, 1], tf.float32))
    layers = util.conv_layers(model)
    self.assertNotEmpty(layers)
    self.assertEqual(graph_ops.op_counts(traced)["Conv2D"], len(layers))

  @parameterized.product(family=FAMILIES,
                         dequantization=["uniform", "variational"])
  def test_weights_exist_when_the_model_is_built(self, family,
                                                 dequantization):
    config = models.get_config(family, "tiny")
    config.model.dequantization = dequantization
    model = models.build_model(config, (4, 4, 1))
    before = len(model.trainable_variables)
    model.build()
    self.assertLen(model.trainable_variables, before)
    self.assertNotEmpty(model.dequantizer.trainable_variables
                        if dequantization == "variational" else [0])

  @parameterized.parameters(*FAMILIES)
  def test_trainable_variables_are_complete(self, family):
    model = util.tiny_model(family)
    flow_variables = {id(v) for v in model.normalizing_flow.trainable_variables
                      + model.dequantizer.trainable_variables}
    model_variables = {id(v) for v in model.trainable_variables}
    self.assertEqual(flow_variables, model_variables)
    layer_variables = {id(v) for layer in util.conv_layers(model)
                       for v in layer.trainable_variables}
    self.assertTrue(layer_variables <= flow_variables)

  def test_initialize_runs_once_and_normalises(self):
    model = util.tiny_model("glow", event_shape=(4, 4, 1))
    images = util.random_images((32, 4, 4, 1), seed=7)
    self.assertTrue(model.initialize(images))
    self.assertFalse(model.initialize(util.random_images((32, 4, 4, 1), 8, 9)))
    first_act_norm = model.normalizing_flow.layers[1].layers[1].layers[0]
    self.assertNotAllClose(first_act_norm.log_scale,
                           np.zeros(first_act_norm.log_scale.shape))
    self.assertTrue(bool(model.initialized.numpy()))


class BadInputTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.model = util.tiny_model("glow")

  def test_float_images(self):
    with self.assertRaisesRegex(TypeError, "integer pixel values.*float32"):
      self.model.log_prob(np.zeros((1, 4, 4, 1), np.float32))

  def test_wrong_rank(self):
    with self.assertRaisesRegex(ValueError, r"rank 4.*\(4, 4, 1\)"):
      self.model.log_prob(np.zeros((4, 4, 1), np.uint8))

  def test_wrong_shape(self):
    with self.assertRaisesRegex(ValueError, r"\[N, 4, 4, 1\].*\(1, 8, 8, 1\)"):
      self.model.log_prob(np.zeros((1, 8, 8, 1), np.uint8))

  def test_values_out_of_range(self):
    with self.assertRaisesRegex(ValueError, r"\[0, 256\).*300"):
      self.model.log_prob(np.full((1, 4, 4, 1), 300, np.int32))
    with self.assertRaisesRegex(ValueError, r"\[0, 256\).*-1"):
      self.model.bits_per_dim(tf.constant(np.full((1, 4, 4, 1), -1, np.int32)))

  def test_values_out_of_range_for_fewer_bits(self):
    config = models.get_config("glow", "tiny")
    config.data.n_bits = 5
    model = models.build_model(config, (4, 4, 1))
    with self.assertRaisesRegex(ValueError, r"\[0, 32\) for n_bits=5"):
      model.log_prob(np.full((1, 4, 4, 1), 40, np.uint8))

  def test_spatial_size_the_squeezes_cannot_divide(self):
    with self.assertRaisesRegex(
        models.IncompatibleShapeError,
        r"divisible by 4.*\(6, 6, 1\).*Presets of 'glow'.*none"):
      models.build_model(models.get_config("glow", "default"), (6, 6, 1))
    with self.assertRaisesRegex(
        models.IncompatibleShapeError,
        r"\(28, 28, 1\).*Presets of 'glow' that can take this shape: "
        r"\['default', 'tiny'\]"):
      models.build_model(models.get_config("glow", "cifar10"), (28, 28, 1))

  def test_unknown_and_pending_models(self):
    with self.assertRaisesRegex(ValueError, "Unknown model 'nice'"):
      models.get_config("nice")
    with self.assertRaisesRegex(ValueError, "Unknown preset 'huge'.*tiny"):
      models.get_config("glow", "huge")
    self.assertEqual(models.family_names(),
                     ["flowpp", "glow", "macow", "realnvp"])


if __name__ == "__main__":
  tf.test.main()
