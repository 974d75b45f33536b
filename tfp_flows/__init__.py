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


def load_pretrained(name):
  """A model that ships with the package (`glow`, `realnvp`, `flowpp`,
  `macow`: each family's CPU default trained on the embedded digits), with
  its EMA weights; its files' checksums are verified first."""
  from tfp_flows.training import pretrained  # pylint: disable=g-import-not-at-top
  return pretrained.load_pretrained(name)


__all__ = ["bijectors", "data", "dequantization", "load", "load_pretrained",
           "models", "nets"]
