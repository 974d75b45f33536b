"""Writes testdata/golden/: checkpoints, exports and outputs that must not change.

Each fixture is a small model of a shipped family (its `tiny` preset at 8x8x1,
or a variant named in FIXTURES), data-initialised and then moved off its
zero-initialised weights. Its folder holds:

- `ckpt.*`: the model as an object-based checkpoint;
- `inputs.npz`: fixed images and dequantization noise (drawn with
  NOISE_SEED);
- `samples.npy`: `model.sample(NUM_SAMPLES, seed=SAMPLE_SEED)`, uint8;
- `saved_model.zip`: the model exported by `export.export`, zipped (a
  SavedModel's graph does not shrink with the image, and unzipped the five
  would take 12 MB);

and `expected.json` records the `log_prob` the code of the day gives for the
images and noise, and parameter counts. `tests/models/golden_test.py`
restores each checkpoint into a model built by today's code and checks the
densities, samples and parameter counts, and loads each SavedModel and checks
its densities: a refactor that renames, re-nests or re-parameterises a layer,
or changes what a seed samples, breaks it, so old checkpoints and exports
keep loading and meaning the same.

Regenerating the fixtures is a deliberate step, for an intended format change
only (say why in the commit): it rewrites every fixture. From the repository
root, on a clean checkout:

    PYTHONPATH=. .venv/bin/python scripts/make_golden_fixtures.py
"""

import json
import os
import shutil
import tempfile

import numpy as np

# First: it selects tf_keras (Keras 2) before TensorFlow loads.
import tfp_flows  # pylint: disable=unused-import,g-bad-import-order
import tensorflow as tf  # pylint: disable=g-bad-import-order
import tf_keras

from tfp_flows import models
from tfp_flows.training import export

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                   "testdata", "golden")
EVENT_SHAPE = (8, 8, 1)
NOISE_SEED = (7, 7)
SAMPLE_SEED = (5, 6)
NUM_SAMPLES = 4
# name: (family, overrides of config.model)
FIXTURES = {
    "glow_tiny": ("glow", {}),
    "glow_tiny_variational": ("glow", {"dequantization": "variational"}),
    "realnvp_tiny": ("realnvp", {}),
    "flowpp_tiny": ("flowpp", {}),
    "macow_tiny": ("macow", {}),
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


def write_saved_model(model, prefix):
  """`export.export(model)`, zipped to `prefix/saved_model.zip`."""
  with tempfile.TemporaryDirectory() as tmp:
    export_dir = export.export(model, os.path.join(tmp, "saved_model"))
    shutil.make_archive(os.path.join(prefix, "saved_model"), "zip",
                        root_dir=export_dir)


def main():
  os.makedirs(OUT, exist_ok=True)
  # The layers' initializers too: a run on unchanged code rewrites the same
  # checkpoints, samples and numbers (a SavedModel carries a random UUID).
  tf_keras.utils.set_random_seed(2026)
  rng = np.random.default_rng(2026)
  expected = {"event_shape": list(EVENT_SHAPE), "noise_seed": NOISE_SEED,
              "sample_seed": SAMPLE_SEED, "num_samples": NUM_SAMPLES,
              "fixtures": {}, "preset_totals": {}}
  for name, (family, overrides) in FIXTURES.items():
    model = fixture_model(family, overrides)
    images = rng.integers(0, 256, size=(4,) + EVENT_SHAPE).astype(np.uint8)
    model.initialize(rng.integers(0, 256, size=(16,) + EVENT_SHAPE)
                     .astype(np.uint8))
    for v in model.trainable_variables:
      v.assign_add(0.05 * rng.normal(size=v.shape).astype(np.float32))
    noise = model.dequantizer.sample_noise(images.shape, NOISE_SEED).numpy()
    log_prob = model.log_prob_with_noise(
        tf.constant(images), tf.constant(noise)).numpy()
    prefix = os.path.join(OUT, name)
    tf.train.Checkpoint(model=model).write(os.path.join(prefix, "ckpt"))
    np.savez(os.path.join(prefix, "inputs.npz"), images=images, noise=noise)
    np.save(os.path.join(prefix, "samples.npy"),
            model.sample(NUM_SAMPLES, seed=SAMPLE_SEED).numpy())
    write_saved_model(model, prefix)
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
