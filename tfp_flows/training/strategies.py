"""Distribution strategies by name: default, mirrored, multi_worker."""

import tensorflow as tf

from tfp_flows import errors

STRATEGIES = ("default", "mirrored", "multi_worker")


def make_strategy(name):
  """`default` (one device), `mirrored` (all local devices) or `multi_worker`.

  `multi_worker` reads the cluster from the `TF_CONFIG` environment variable,
  as `tf.distribute.MultiWorkerMirroredStrategy` does.
  """
  if name == "default":
    return tf.distribute.get_strategy()
  if name == "mirrored":
    return tf.distribute.MirroredStrategy()
  if name == "multi_worker":
    return tf.distribute.MultiWorkerMirroredStrategy()
  raise errors.ConfigError(
      f"Unknown strategy {name!r} (--strategy); choose one of {STRATEGIES}.")
