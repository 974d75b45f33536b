"""Checkpoints written by earlier versions restore and mean the same.

The fixtures under testdata/golden/ (see scripts/make_golden_fixtures.py)
hold small models' checkpoints, fixed images and noise, and the `log_prob`
they had when written. A refactor that renames, re-nests or
re-parameterises a layer fails here.
"""

import json
import os

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tfp_flows import models

GOLDEN = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "testdata", "golden")

with open(os.path.join(GOLDEN, "expected.json")) as f:
  EXPECTED = json.load(f)


class GoldenTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(
      (name, name) for name in sorted(EXPECTED["fixtures"]))
  def test_checkpoint_restores_with_the_same_log_prob(self, name):
    fixture = EXPECTED["fixtures"][name]
    config = models.get_config(fixture["family"], "tiny")
    config.model.update(fixture["overrides"])
    model = models.build_model(config, EXPECTED["event_shape"])
    model.build()
    status = tf.train.Checkpoint(model=model).read(
        os.path.join(GOLDEN, name, "ckpt"))
    status.assert_consumed()
    status.assert_existing_objects_matched()
    inputs = np.load(os.path.join(GOLDEN, name, "inputs.npz"))
    log_prob = model.log_prob_with_noise(tf.constant(inputs["images"]),
                                         tf.constant(inputs["noise"]))
    self.assertAllClose(log_prob, fixture["log_prob"], rtol=1e-5, atol=1e-3)
    self.assertEqual(
        sum(int(np.prod(v.shape)) for v in model.trainable_variables),
        fixture["parameters"])

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
