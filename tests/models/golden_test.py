"""Checkpoints and exports written by earlier versions load and mean the same.

The fixtures under testdata/golden/ (see scripts/make_golden_fixtures.py)
hold small models' checkpoints and SavedModels, fixed images and noise, and
the `log_prob` and seeded samples they gave when written. A refactor that
renames, re-nests or re-parameterises a layer, or changes what a seed
samples, fails here.
"""

import json
import os
import shutil

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tfp_flows import models

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "testdata", "golden")

with open(os.path.join(GOLDEN, "expected.json")) as f:
  EXPECTED = json.load(f)

# Another host's vector width sums float32 in another order, which moves
# these densities of about -400 nats a little; 1e-4 relative (0.04 nats)
# allows that, and a change of meaning moves them by nats.
_RTOL = 1e-4
_FIXTURES = [(name, name) for name in sorted(EXPECTED["fixtures"])]


class GoldenTest(tf.test.TestCase, parameterized.TestCase):

  def _restored(self, name):
    fixture = EXPECTED["fixtures"][name]
    config = models.get_config(fixture["family"], "tiny")
    config.model.update(fixture["overrides"])
    model = models.build_model(config, EXPECTED["event_shape"])
    model.build()
    status = tf.train.Checkpoint(model=model).read(
        os.path.join(GOLDEN, name, "ckpt"))
    status.assert_consumed()
    status.assert_existing_objects_matched()
    return model

  @parameterized.named_parameters(*_FIXTURES)
  def test_checkpoint_restores_with_the_same_log_prob(self, name):
    fixture = EXPECTED["fixtures"][name]
    model = self._restored(name)
    inputs = np.load(os.path.join(GOLDEN, name, "inputs.npz"))
    log_prob = model.log_prob_with_noise(tf.constant(inputs["images"]),
                                         tf.constant(inputs["noise"]))
    self.assertAllClose(log_prob, fixture["log_prob"], rtol=_RTOL, atol=1e-3)
    self.assertEqual(
        sum(int(np.prod(v.shape)) for v in model.trainable_variables),
        fixture["parameters"])

  @parameterized.named_parameters(*_FIXTURES)
  def test_seeded_samples_are_unchanged(self, name):
    model = self._restored(name)
    samples = model.sample(EXPECTED["num_samples"],
                           seed=EXPECTED["sample_seed"]).numpy()
    expected = np.load(os.path.join(GOLDEN, name, "samples.npy"))
    self.assertEqual(samples.dtype, expected.dtype)
    self.assertEqual(samples.shape, expected.shape)
    # Sampling floors a continuous value: where another host's rounding
    # moves one that lies within round-off of a level boundary across it,
    # that pixel changes by exactly one level, rarely (1% is 2 of these 256
    # pixels). A changed flow or seed stream moves most pixels by many.
    diff = np.abs(samples.astype(np.int32) - expected.astype(np.int32))
    self.assertLessEqual(int(diff.max()), 1)
    self.assertLessEqual(float(np.mean(diff != 0)), 0.01)

  @parameterized.named_parameters(*_FIXTURES)
  def test_saved_model_gives_the_same_log_prob(self, name):
    export_dir = self.create_tempdir().full_path
    shutil.unpack_archive(os.path.join(GOLDEN, name, "saved_model.zip"),
                          export_dir)
    loaded = tf.saved_model.load(export_dir)
    inputs = np.load(os.path.join(GOLDEN, name, "inputs.npz"))
    # The seed that drew the fixture's noise: the same noise, in the graph.
    log_prob = loaded.log_prob(
        tf.constant(inputs["images"]),
        tf.constant(EXPECTED["noise_seed"], tf.int64))
    self.assertAllClose(log_prob, EXPECTED["fixtures"][name]["log_prob"],
                        rtol=_RTOL, atol=1e-3)

  @parameterized.named_parameters(
      (key.replace(":", "_"), key) for key in sorted(EXPECTED["preset_totals"]))
  def test_preset_parameter_count_is_unchanged(self, key):
    family, preset = key.split(":")
    shape = {"default": (28, 28, 1), "cifar10": (32, 32, 3)}[preset]
    model = models.build_model(models.get_config(family, preset), shape)
    model.build()
    self.assertEqual(model.parameter_counts()["total"],
                     EXPECTED["preset_totals"][key])


if __name__ == "__main__":
  tf.test.main()
