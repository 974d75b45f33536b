"""Flow++: the paper's parameter count, the presets and the ablations."""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tests import bijector_test_util as bijector_util
from tests.models import model_test_util as util
from tfp_flows import bijectors
from tfp_flows import models


def _count(module):
  return sum(v.shape.num_elements() for v in module.trainable_variables)


class HybridTest(tf.test.TestCase):

  def test_masked_conv_units_precede_every_coupling(self):
    config = models.get_config("flowpp", "tiny")
    config.model.masked_conv_units = (1, 0, 2)
    model = util.initialized_and_perturbed(
        self, models.build_model(config, (4, 4, 1)))
    stages = model.normalizing_flow.layers[-1].layers
    masked = [[m.orientation for m in stage.submodules
               if isinstance(m, bijectors.MaskedConvFlow)]
              for stage in (stages[0], stages[2], stages[3])]
    self.assertEqual(masked, [list("ABCD"), [], list("ABCDABCD")])
    x = np.random.default_rng(0).normal(size=(2, 4, 4, 1))
    flow = model.normalizing_flow.layers[-1]
    bijector_util.assert_invertible(self, flow, x, atol=2e-4)
    bijector_util.assert_log_det_matches_autodiff(self, flow, x)

  def test_hybrid_preset_is_the_default_with_units(self):
    hybrid = models.get_config("flowpp", "hybrid")
    default = models.get_config("flowpp", "default")
    self.assertEqual(tuple(hybrid.model.masked_conv_units), (1, 1, 1))
    hybrid.model.masked_conv_units = default.model.masked_conv_units
    self.assertEqual(hybrid.to_dict(), default.to_dict())


class PaperModelTest(tf.test.TestCase):

  def test_cifar10_preset_has_the_authors_parameter_count(self):
    model = models.build_model(models.get_config("flowpp", "cifar10"),
                               (32, 32, 3))
    model.build()  # Creates the variables on a batch of one; no training.
    self.assertEqual(model.parameter_counts(), {
        "dequantization": 3_466_976,
        "stage_1": 11_248_608,
        "stage_2": 6_089_064,
        "stage_3": 10_638_792,
        "total": 31_443_440,
    })
    self.assertEqual(_count(model.dequantizer.context_net), 167_936)

  def test_imagenet_presets_follow_the_paper(self):
    imagenet32 = models.get_config("flowpp", "imagenet32")
    self.assertEqual((imagenet32.model.hidden_channels,
                      imagenet32.model.num_blocks,
                      imagenet32.model.num_components,
                      imagenet32.model.dropout,
                      imagenet32.train.learning_rate), (128, 20, 32, 0.0, 1e-3))
    self.assertEqual(imagenet32.data.dataset, "imagenet_resized/32x32")
    imagenet64 = models.get_config("flowpp", "imagenet64")
    self.assertEqual((imagenet64.model.hidden_channels,
                      imagenet64.model.num_blocks,
                      imagenet64.model.num_components), (96, 16, 4))
    self.assertEqual(imagenet64.data.dataset, "imagenet_resized/64x64")


  def test_cifar10_narrow_preset_is_the_issues_benchmark_model(self):
    config = models.get_config("flowpp", "cifar10_narrow")
    model, dequantizer = config.model, config.model.dequantizer
    self.assertEqual(
        (tuple(model.couplings_per_stage), model.hidden_channels,
         model.num_blocks, model.num_components, model.attention, model.heads,
         model.dropout, config.train.batch_size),
        ((4, 2, 3), 32, 2, 8, True, 4, 0.2, 16))
    self.assertEqual(
        (dequantizer.num_couplings, dequantizer.hidden_channels,
         dequantizer.num_blocks, dequantizer.num_components,
         dequantizer.context_channels, dequantizer.context_blocks),
        (4, 32, 2, 32, 32, 3))
    self.assertEqual(config.data.dataset, "cifar10")


class AblationTest(tf.test.TestCase, parameterized.TestCase):

  def _model(self, **overrides):
    return util.tiny_model("flowpp", event_shape=(4, 4, 1), **overrides)

  def test_affine_coupling_is_the_mixture_coupling_without_the_cdf(self):
    mixture = self._model(num_components=3)
    affine = self._model(coupling="affine", num_components=3)
    # proj_out reads 2 + 3K parameters per channel; affine keeps the 2.
    def out_channels(model):
      return sorted(layer.filters for layer in util.conv_layers(model)
                    if layer.name == "proj_out"
                    and "dequant" not in layer.kernel.name)
    self.assertEqual(set(out_channels(mixture)), {11, 22, 44})
    self.assertEqual(set(out_channels(affine)), {2, 4, 8})

  def test_attention_switch(self):
    def embeddings(model):
      return [v for v in model.normalizing_flow.trainable_variables
              if "position_embedding" in v.name]
    self.assertNotEmpty(embeddings(self._model()))
    self.assertEmpty(embeddings(self._model(attention=False)))

  @parameterized.parameters("uniform", "variational")
  def test_dequantization_switch(self, name):
    model = self._model(dequantization=name)
    self.assertEqual(_count(model.dequantizer) > 0, name == "variational")
    images = util.random_images((2, 4, 4, 1))
    self.assertEqual(model.log_prob(images, seed=(1, 2)).shape, (2,))

  def test_every_ablation_inverts(self):
    for overrides in ({}, {"coupling": "affine"}, {"attention": False},
                      {"dequantization": "uniform"}):
      model = util.initialized_and_perturbed(self, self._model(**overrides))
      images = util.random_images((2, 4, 4, 1), seed=3)
      self.assertAllEqual(model.decode(model.encode(images)), images,
                          msg=str(overrides))

  def test_unknown_coupling_is_refused(self):
    with self.assertRaisesRegex(ValueError, "Unknown coupling 'spline'"):
      self._model(coupling="spline")

  def test_shapes_it_cannot_take(self):
    with self.assertRaisesRegex(models.IncompatibleShapeError,
                                r"even width.*\(4, 6, 1\)"):
      models.build_model(models.get_config("flowpp", "tiny"), (4, 6, 1))


if __name__ == "__main__":
  tf.test.main()
