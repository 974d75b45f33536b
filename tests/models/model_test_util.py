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
  """Data-initialises, then perturbs every weight so nothing is an identity."""
  model.initialize(random_images((16,) + model.event_shape, seed=seed))
  bijector_test_util.perturb_all_variables(test, model.normalizing_flow,
                                           seed=seed + 1)
  return model


def conv2d_ops(concrete_function):
  """Conv2D ops in a traced graph, including nested function bodies."""
  graph_def = concrete_function.graph.as_graph_def()
  nodes = list(graph_def.node)
  for function in graph_def.library.function:
    nodes.extend(function.node_def)
  return [n for n in nodes if n.op == "Conv2D"]


def conv_layers(module):
  import tf_keras  # pylint: disable=g-import-not-at-top
  return [m for m in module.submodules
          if isinstance(m, tf_keras.layers.Conv2D)]


