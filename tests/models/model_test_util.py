"""Tiny models for end-to-end checks (shapes small enough for dense Jacobians)."""

import numpy as np
import tensorflow as tf

from tests import bijector_test_util
from tfp_flows import models


def tiny_model(family, event_shape=(4, 4, 1), **model_overrides):
  config = models.get_config(family, "tiny")
  for key, value in model_overrides.items():
    config.model[key] = value
  model = models.build_model(config, event_shape)
  model.build()
  return model


def random_images(shape, n_bits=8, seed=0):
  return np.random.default_rng(seed).integers(
      0, 2 ** n_bits, size=shape).astype(np.uint8)


def initialized_and_perturbed(test, model, seed=0):
  """Data-initialises, then moves every weight still at zero by N(0, 0.1^2).

  Zero-initialised output convolutions, priors and LU triangles would make
  the whole model an identity-like map. Weights with random or data-derived
  values keep them: perturbing those as well (as the per-bijector tests do)
  made a random RealNVP, ten stacked exp(tanh(.)) scales behind the logit
  preprocessing, so badly conditioned that its float32 round trip was off by
  several pixel bins, a property of the random network, not of the code.
  """
  model.initialize(random_images((16,) + model.event_shape, seed=seed))
  rng = np.random.default_rng(seed + 1)
  zero = [v for v in model.trainable_variables
          if not np.any(v.numpy())]
  test.assertNotEmpty(zero)
  for v in zero:
    v.assign(bijector_test_util.PERTURBATION_SCALE *
             rng.normal(size=v.shape).astype(np.float32))
  return model


def conv_layers(module):
  import tf_keras  # pylint: disable=g-import-not-at-top
  return [m for m in module.submodules
          if isinstance(m, tf_keras.layers.Conv2D)]


