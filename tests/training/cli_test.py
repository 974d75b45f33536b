"""Tests for the flag plumbing of the bin/ tools."""

import os
from unittest import mock

import tensorflow as tf

from tfp_flows import errors
from tfp_flows.training import cli


class RewriteConfigArgsTest(tf.test.TestCase):

  def test_model_selects_its_packaged_default_preset_first(self):
    argv = cli.rewrite_config_args(
        ["train", "--model=realnvp", "--config.train.steps=5"], log=print)
    self.assertEqual(argv[0], "train")
    self.assertTrue(argv[1].startswith("--config="))
    self.assertTrue(argv[1].endswith(
        os.path.join("tfp_flows", "configs", "realnvp.py") + ":default"))
    # Overrides must follow --config, whose parsing defines them.
    self.assertEqual(argv[2:], ["--model=realnvp", "--config.train.steps=5"])

  def test_glow_is_the_default_family(self):
    argv = cli.rewrite_config_args(["train"], log=print)
    self.assertIn(os.path.join("configs", "glow.py"), argv[1])

  def test_config_wins_over_model_and_says_so(self):
    messages = []
    # Not found where bazel ran: left for the runfiles folder.
    with mock.patch.dict(os.environ,
                         {"BUILD_WORKING_DIRECTORY": self.get_temp_dir()}):
      argv = cli.rewrite_config_args(
          ["train", "--model=realnvp", "--config=configs/glow.py:tiny"],
          log=messages.append)
    self.assertIn("--config=configs/glow.py:tiny", argv)
    self.assertLen(messages, 1)
    self.assertIn("--config wins", messages[0])

  def test_relative_config_resolves_where_bazel_was_run(self):
    user_dir = self.get_temp_dir()
    with open(os.path.join(user_dir, "mine.py"), "w") as f:
      f.write("")
    with mock.patch.dict(os.environ, {"BUILD_WORKING_DIRECTORY": user_dir}):
      argv = cli.rewrite_config_args(["train", "--config", "mine.py:big"],
                                     log=print)
    self.assertEqual(argv[1], f"--config={os.path.join(user_dir, 'mine.py')}:big")
    self.assertNotIn("mine.py:big", argv)

  def test_pending_and_unknown_models(self):
    with self.assertRaisesRegex(errors.ConfigError, "MaCow"):
      cli.rewrite_config_args(["train", "--model=macow"], log=print)
    with self.assertRaisesRegex(ValueError, "Unknown model 'vae'"):
      cli.rewrite_config_args(["train", "--model", "vae"], log=print)


class PathsTest(tf.test.TestCase):

  def test_user_paths_and_dataset_specs(self):
    with mock.patch.dict(os.environ, {"BUILD_WORKING_DIRECTORY": "/home/u"}):
      self.assertEqual(cli.user_path("runs/a"), "/home/u/runs/a")
      self.assertEqual(cli.user_path("/abs"), "/abs")
      config = cli.apply_overrides(
          __import__("tfp_flows").models.get_config("glow"), steps=7,
          dataset="npz:data/x.npz", data_dir="tfds")
    self.assertEqual(config.train.steps, 7)
    self.assertEqual(config.data.dataset, "npz:/home/u/data/x.npz")
    self.assertEqual(config.data.data_dir, "/home/u/tfds")

  def test_user_errors_exit_with_their_message(self):
    def bad():
      raise ValueError("dataset 'svhn' is unknown")
    with self.assertRaisesRegex(SystemExit, "error: dataset 'svhn'"):
      cli.exit_on_user_error(bad)


if __name__ == "__main__":
  tf.test.main()
