"""Tests for the pretrained models that ship with the package."""

import os
import shutil
import subprocess
import sys

import tensorflow as tf

import tfp_flows
from tfp_flows import errors
from tfp_flows.models import registry
from tfp_flows.training import evaluation
from tfp_flows.training import pretrained
from tfp_flows.training import train

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
_SUBSET = "test_bpd_subset_200"


class PretrainedTest(tf.test.TestCase):

  def _copy_of_the_shipped_files(self):
    root = os.path.join(self.create_tempdir().full_path, "pretrained")
    shutil.copytree(pretrained.ROOT, root)
    return root

  def test_every_family_ships_and_gives_its_documented_bits_per_dim(self):
    self.assertEqual(pretrained.names(), sorted(registry.family_names()))
    for name in pretrained.names():
      with self.subTest(name=name):
        entry = pretrained.entry(name)
        model = tfp_flows.load_pretrained(name)
        self.assertEqual(model.parameter_counts()["total"],
                         entry["parameters"])
        config = pretrained.read_config(name)
        self.assertEqual(config.model.name, name)
        dataset = train.load_data(config)
        subset = evaluation.evaluate(model, dataset, config.eval.batch_size,
                                     max_images=200)
        self.assertEqual(subset["num_test_images"], 200)
        self.assertAllClose(subset["test_bpd"], entry[_SUBSET], atol=0.01)
        self.assertLess(entry["test_bpd"],
                        evaluation.per_pixel_baseline(dataset))

  def test_a_damaged_file_is_refused_by_name_before_it_is_read(self):
    root = self._copy_of_the_shipped_files()
    weights = os.path.join(root, "glow", "ema.data-00000-of-00001")
    with open(weights, "r+b") as f:
      f.seek(100)
      byte = f.read(1)
      f.seek(100)
      f.write(bytes([byte[0] ^ 0xFF]))
    with self.assertRaisesRegex(
        errors.CheckpointError,
        r"Pretrained 'glow': .*ema\.data-00000-of-00001 has SHA-256 .* but "
        r"MANIFEST\.json records .*damaged or was replaced"):
      pretrained.load_pretrained("glow", root=root)
    # The other families' files are untouched and still load.
    pretrained.load_pretrained("macow", root=root)

  def test_a_missing_file_is_named(self):
    root = self._copy_of_the_shipped_files()
    os.remove(os.path.join(root, "realnvp", "ema.index"))
    with self.assertRaisesRegex(errors.CheckpointError,
                                r"Pretrained 'realnvp': .*ema\.index is "
                                r"missing"):
      pretrained.load_pretrained("realnvp", root=root)

  def test_an_unknown_name_lists_the_choices(self):
    with self.assertRaisesRegex(
        errors.ConfigError,
        r"No pretrained model 'nice'; choose one of \['flowpp', 'glow', "
        r"'macow', 'realnvp'\]"):
      tfp_flows.load_pretrained("nice")

  def test_sample_tool_writes_a_grid_per_temperature_in_the_current_dir(self):
    cwd = self.create_tempdir().full_path
    command = [sys.executable, os.path.join(_REPO, "bin", "sample.py"),
               "--pretrained=macow", "--num_samples=4"]
    env = dict(os.environ, PYTHONPATH=_REPO)
    subprocess.run(command, cwd=cwd, env=env, check=True,
                   capture_output=True)
    subprocess.run(command + ["--temperature=0.7,1.0"], cwd=cwd, env=env,
                   check=True, capture_output=True)
    self.assertCountEqual(os.listdir(cwd), ["samples_macow.png",
                                            "samples_macow_t0.7.png",
                                            "samples_macow_t1.png"])
    grid = tf.io.decode_png(tf.io.read_file(
        os.path.join(cwd, "samples_macow.png")))
    self.assertEqual(grid.dtype, tf.uint8)
    self.assertGreater(float(tf.math.reduce_std(tf.cast(grid, tf.float32))),
                       0.0)
    both = subprocess.run(command + ["--workdir=/x"], cwd=cwd, env=env,
                          capture_output=True, text=True)
    self.assertNotEqual(both.returncode, 0)
    self.assertIn("workdir", both.stderr)
    self.assertIn("pretrained", both.stderr)


if __name__ == "__main__":
  tf.test.main()
