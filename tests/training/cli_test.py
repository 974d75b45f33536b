"""Tests for the flag plumbing of the bin/ tools."""

import os
from unittest import mock

from absl import flags
from ml_collections import config_flags
import tensorflow as tf

from tfp_flows import configs
from tfp_flows import errors
from tfp_flows import models
from tfp_flows.configs import common
from tfp_flows.training import cli
from tfp_flows.training import preemption

_GLOW_CONFIG = os.path.join(os.path.dirname(configs.__file__), "glow.py")


def _train_flags():
  """Fresh flags shaped like bin/train's (`--model`, `--config`)."""
  flag_values = flags.FlagValues()
  flags.DEFINE_string("model", None, "Model family.", flag_values=flag_values)
  config_flags.DEFINE_config_file("config", None, "Config file and preset.",
                                  flag_values=flag_values)
  return flag_values


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

  def test_every_family_has_a_default_and_unknown_models_are_named(self):
    for family in models.family_names():
      argv = cli.rewrite_config_args(["train", f"--model={family}"],
                                     log=print)
      self.assertTrue(argv[1].endswith(f"{family}.py:default"), argv)
    with self.assertRaisesRegex(errors.ConfigError, "Unknown model 'vae'"):
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



class ExitOnUserErrorTest(tf.test.TestCase):

  def test_user_errors_exit_with_one_line(self):
    def bad():
      raise errors.DataError("dataset 'svhn' is unknown")
    with self.assertRaises(SystemExit) as caught:
      cli.exit_on_user_error(bad)
    self.assertEqual(caught.exception.code, "error: dataset 'svhn' is unknown")

  def test_other_errors_keep_their_traceback(self):
    # A plain ValueError or a TensorFlow error is a bug, not a user error.
    def shape_bug():
      raise tf.errors.InvalidArgumentError(None, None, "Incompatible shapes")
    for error in (ValueError("a bug"), NotImplementedError("a bug")):
      def bug(error=error):
        raise error
      with self.assertRaises(type(error)):
        cli.exit_on_user_error(bug)
    with self.assertRaises(tf.errors.InvalidArgumentError):
      cli.exit_on_user_error(shape_bug)


class RunTest(tf.test.TestCase):
  """`cli.run`, in-process: argv list, trivial main, fresh flags."""

  def setUp(self):
    super().setUp()
    self.flag_values = _train_flags()

  def _run(self, *args, main=None):
    """Runs `train ARGS`; returns the exit code and the argvs main got."""
    calls = []
    def record(argv):
      calls.append(argv)
      if main:
        main()
    with self.assertRaises(SystemExit) as caught:
      cli.run(record, ["train", *args], flag_values=self.flag_values)
    return caught.exception.code, calls

  def _assert_one_line_error(self, code, *parts):
    # A string code: Python prints it to stderr and exits with status 1.
    self.assertIsInstance(code, str)
    self.assertTrue(code.startswith("error: "), code)
    self.assertNotIn("\n", code)
    self.assertNotIn("Traceback", code)
    for part in parts:
      self.assertIn(part, code)

  def test_unknown_model(self):
    code, calls = self._run("--model=nope")
    self._assert_one_line_error(code, "'nope'", "--model", "flowpp", "glow",
                                "realnvp")
    self.assertEmpty(calls)

  def test_unknown_preset(self):
    code, calls = self._run(f"--config={_GLOW_CONFIG}:huge")
    self._assert_one_line_error(
        code, f"--config={_GLOW_CONFIG}:huge", "Unknown preset 'huge'",
        "cifar10", "default", "tiny")
    self.assertEmpty(calls)

  def test_unknown_config_key(self):
    code, calls = self._run("--config.train.bogus=3")
    self._assert_one_line_error(
        code, "--config.train.bogus", "no such key in config.train",
        "batch_size", "checkpoint_every", "steps")
    self.assertEmpty(calls)
    code, _ = self._run(f"--config={_GLOW_CONFIG}:tiny", "--config.nope.x=1")
    self._assert_one_line_error(code, "--config.nope.x", "model, train")

  def test_missing_config_file_and_bad_values(self):
    code, _ = self._run("--config=/no/such/file.py:tiny")
    self._assert_one_line_error(code, "--config=/no/such/file.py:tiny",
                                "no such config file")
    code, _ = self._run("--config.train.steps=many")
    self._assert_one_line_error(code, "--config.train.steps=many")
    code, _ = self._run("--stepz=3")
    self._assert_one_line_error(code, "Unknown command line flag 'stepz'")

  def test_good_flags_reach_main_with_overrides_applied(self):
    code, calls = self._run("--model=realnvp", "--config.train.steps=5",
                            "--noconfig.train.jit_compile")
    self.assertIn(code, (None, 0))
    self.assertEqual(calls, [["train"]])
    config = self.flag_values.config
    self.assertEqual(config.model.name, "realnvp")
    self.assertEqual(config.train.steps, 5)
    self.assertFalse(config.train.jit_compile)

  def test_errors_in_main(self):
    def user_error():
      raise errors.WorkdirError("No config.json in '/x'")
    code, _ = self._run(main=user_error)
    self._assert_one_line_error(code, "No config.json in '/x'")
    def bug():
      raise ValueError("a bug")
    with self.assertRaisesRegex(ValueError, "a bug"):
      cli.run(lambda argv: bug(), ["train"], flag_values=self.flag_values)

  def test_help_lists_every_config_field_of_the_preset(self):
    # absl prints each flag's help; the real tools define --help in app.run.
    flags.DEFINE_bool("help", False, "Show help.",
                      flag_values=self.flag_values)
    cli.parse_flags(["train", "--model=macow", "--help"], self.flag_values)
    shown = self.flag_values["config"].help
    steps = models.get_config("macow", "default").train.steps
    for field in (f"--config.train.steps={steps}",
                  "--config.train.on_divergence='restore'",
                  "--config.model.dequantizer.encoder_channels="):
      self.assertIn(field, shown)

  def test_interrupted_and_ctrl_c_exit_with_one_line(self):
    def interrupted():
      raise preemption.Interrupted("SIGTERM at step 3/9: saved x", 15)
    with mock.patch("sys.stderr") as stderr:
      code, _ = self._run(main=interrupted)
    self.assertEqual(code, 143)
    stderr.write.assert_any_call("SIGTERM at step 3/9: saved x")
    def ctrl_c():
      raise KeyboardInterrupt
    with mock.patch("sys.stderr") as stderr:
      code, _ = self._run(main=ctrl_c)
    self.assertEqual(code, 130)
    stderr.write.assert_any_call("Interrupted (Ctrl-C).")

  def test_every_preset_passes_the_value_checks(self):
    for family in models.registry.family_names():
      for preset in models.registry.family(family).presets:
        common.validate(models.get_config(family, preset))

  def test_a_value_no_run_can_use_names_its_flag(self):
    # bin/train's main starts with apply_overrides.
    code, _ = self._run(
        "--config.train.learning_rate=-1",
        main=lambda: cli.apply_overrides(self.flag_values.config))
    self._assert_one_line_error(
        code, "--config.train.learning_rate=-1.0: must be positive")

  def test_a_bug_in_a_config_file_keeps_its_traceback(self):
    path = os.path.join(self.get_temp_dir(), "buggy.py")
    with open(path, "w") as f:
      f.write("def get_config(preset=None):\n  return 1 / 0\n")
    with self.assertRaises(ZeroDivisionError):
      cli.run(lambda argv: None, ["train", f"--config={path}"],
              flag_values=self.flag_values)


if __name__ == "__main__":
  tf.test.main()
