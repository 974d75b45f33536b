"""Writes testdata/golden/: checkpoints and densities that must not change.

Each fixture is a small model of a shipped family (its `tiny` preset, or a
variant named in FIXTURES), data-initialised and then moved off its
zero-initialised weights, saved as an object-based checkpoint, together with
fixed images, fixed dequantization noise and the `log_prob` the code of the
day gives for them. `tests/models/golden_test.py` restores each checkpoint
into a model built by today's code and checks the densities and parameter
counts: a refactor that renames, re-nests or re-parameterises a layer
breaks it, so old checkpoints keep loading and meaning the same.

Run once per intended format change, from the repository root:

    .venv/bin/python scripts/make_golden_fixtures.py
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # pylint: disable=g-import-not-at-top
import tensorflow as tf

import tfp_flows  # pylint: disable=unused-import
from tfp_flows import models

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "testdata", "golden")
EVENT_SHAPE = (8, 8, 1)
# name: (family, overrides of config.model)
FIXTURES = {
    "glow_tiny": ("glow", {}),
    "glow_tiny_variational": ("glow", {"dequantization": "variational"}),
    "realnvp_tiny": ("realnvp", {}),
    "flowpp_tiny": ("flowpp", {}),
}
# Parameter counts of the shipped presets at their datasets' shapes.
PRESET_COUNTS = {
    "glow": {"default": (28, 28, 1), "cifar10": (32, 32, 3)},
    "realnvp": {"default": (28, 28, 1), "cifar10": (32, 32, 3)},
}


def fixture_model(family, overrides):
  config = models.get_config(family, "tiny")
  config.model.update(overrides)
  model = models.build_model(config, EVENT_SHAPE)
  model.build()
  return model


def main():
  os.makedirs(OUT, exist_ok=True)
  rng = np.random.default_rng(2026)
  expected = {"event_shape": list(EVENT_SHAPE), "fixtures": {},
              "preset_totals": {}}
  for name, (family, overrides) in FIXTURES.items():
    model = fixture_model(family, overrides)
    images = rng.integers(0, 256, size=(4,) + EVENT_SHAPE).astype(np.uint8)
    model.initialize(rng.integers(0, 256, size=(16,) + EVENT_SHAPE)
                     .astype(np.uint8))
    for v in model.trainable_variables:
      v.assign_add(0.05 * rng.normal(size=v.shape).astype(np.float32))
    noise = model.dequantizer.sample_noise(images.shape, (7, 7)).numpy()
    log_prob = model.log_prob_with_noise(
        tf.constant(images), tf.constant(noise)).numpy()
    prefix = os.path.join(OUT, name)
    tf.train.Checkpoint(model=model).write(os.path.join(prefix, "ckpt"))
    np.savez(os.path.join(prefix, "inputs.npz"), images=images, noise=noise)
    expected["fixtures"][name] = {
        "family": family, "overrides": overrides,
        "log_prob": [float(v) for v in log_prob],
        "parameters": sum(int(np.prod(v.shape))
                          for v in model.trainable_variables)}
    print(name, log_prob)
  for family, shapes in PRESET_COUNTS.items():
    for preset, shape in shapes.items():
      model = models.build_model(models.get_config(family, preset), shape)
      model.build()
      total = sum(int(np.prod(v.shape)) for v in model.trainable_variables)
      expected["preset_totals"][f"{family}:{preset}"] = total
      print(family, preset, total)
  with open(os.path.join(OUT, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")


if __name__ == "__main__":
  main()
