"""Pretrained models that ship with the package: `tfp_flows.load_pretrained`.

Each family's CPU default, trained on the embedded digits, ships as package
data under `tfp_flows/pretrained/<family>/`: its config (`config.json`) and
its EMA weights (a `tf.train.Checkpoint` of the model alone, `ema.index` and
`ema.data-00000-of-00001`). `tfp_flows/pretrained/MANIFEST.json` records, per
family, the SHA-256 of every file, the event shape, the run that made it and
its test bits/dim; every load checks the checksums before reading a byte of
the weights, so a damaged or replaced file is an error that names it, never a
silently different model.

`scripts/make_pretrained.py` writes a family's files from a finished run.
"""

import json
import os
import pathlib

import ml_collections
import tensorflow as tf

from tfp_flows import errors
from tfp_flows import models
from tfp_flows.data import embedded
from tfp_flows.training import workdir as workdir_lib

ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))), "pretrained")
MANIFEST = "MANIFEST.json"
CONFIG_FILE = "config.json"
WEIGHTS_PREFIX = "ema"


def read_manifest(root=ROOT):
  with open(os.path.join(root, MANIFEST)) as f:
    return json.load(f)


def names(root=ROOT):
  """The families with pretrained weights."""
  return sorted(read_manifest(root))


def entry(name, root=ROOT):
  """`name`'s manifest entry; a `ConfigError` naming the choices if none."""
  manifest = read_manifest(root)
  if name not in manifest:
    raise errors.ConfigError(
        f"No pretrained model {name!r}; choose one of {sorted(manifest)}.")
  return manifest[name]


def verify(name, root=ROOT):
  """Checks every file of `name` against the manifest's SHA-256."""
  for filename, expected in entry(name, root)["sha256"].items():
    path = os.path.join(root, name, filename)
    if not os.path.isfile(path):
      raise errors.CheckpointError(
          f"Pretrained {name!r}: {path} is missing; reinstall tfp_flows.")
    actual = embedded.file_sha256(pathlib.Path(path))
    if actual != expected:
      raise errors.CheckpointError(
          f"Pretrained {name!r}: {path} has SHA-256 {actual}, but {MANIFEST} "
          f"records {expected}; the file is damaged or was replaced. "
          f"Reinstall tfp_flows.")


def read_config(name, root=ROOT):
  """The config `name` was trained with."""
  with open(os.path.join(root, name, CONFIG_FILE)) as f:
    return ml_collections.ConfigDict(json.load(f))


def load_pretrained(name, root=ROOT):
  """`name`'s shipped model (`FlowModel`) with its EMA weights.

  Raises `ConfigError` for an unknown name and `CheckpointError` when a file
  is missing or fails its checksum.
  """
  verify(name, root)
  config = read_config(name, root)
  model = models.build_model(config, tuple(entry(name, root)["event_shape"]))
  model.build()
  status = tf.train.Checkpoint(model=model).read(
      os.path.join(root, name, WEIGHTS_PREFIX))
  status.assert_consumed()
  status.assert_existing_objects_matched()
  return model


def write(name, model, config, event_shape, record, root=ROOT):
  """Writes `model`'s weights and `config` as `name`, and its manifest entry.

  `record` (the run that made it) is stored beside the checksums.
  """
  directory = os.path.join(root, name)
  os.makedirs(directory, exist_ok=True)
  for stale in os.listdir(directory):
    os.remove(os.path.join(directory, stale))
  workdir_lib.write_json(os.path.join(directory, CONFIG_FILE),
                         config.to_dict())
  tf.train.Checkpoint(model=model).write(
      os.path.join(directory, WEIGHTS_PREFIX))
  sha256 = {filename: embedded.file_sha256(pathlib.Path(directory, filename))
            for filename in sorted(os.listdir(directory))}
  manifest_path = os.path.join(root, MANIFEST)
  manifest = read_manifest(root) if os.path.isfile(manifest_path) else {}
  manifest[name] = dict(record, event_shape=list(event_shape), sha256=sha256)
  workdir_lib.write_json(manifest_path, manifest)
  return manifest[name]


def add_figures(name, figures, root=ROOT):
  """Adds `figures` (measured on the shipped files) to `name`'s entry."""
  manifest = read_manifest(root)
  manifest[name].update(figures)
  workdir_lib.write_json(os.path.join(root, MANIFEST), manifest)
  return manifest[name]
