"""tfp_flows: flow-based generative models of images as TFP bijectors.

Networks are built from `tf_keras` (Keras 2), which TFP uses internally and
whose weights `tf.Module` tracking sees; the variable below makes TensorFlow
and TFP pick it, and must be set before TensorFlow is imported.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

# pylint: disable=g-import-not-at-top
from tfp_flows import bijectors
from tfp_flows import data
from tfp_flows import dequantization
from tfp_flows import models
from tfp_flows import nets


def load(workdir):
  """The model trained in `workdir` (by `bin/train`), with its EMA weights."""
  from tfp_flows.training import export  # Training code only when needed.
  return export.load(workdir)


__all__ = ["bijectors", "data", "dequantization", "load", "models", "nets"]
