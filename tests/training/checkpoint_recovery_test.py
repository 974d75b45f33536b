"""Damaged checkpoints: fall back to the newest that restores, lose nothing.

A 6-step tiny Glow run leaves ckpt-2, ckpt-4 and ckpt-6. Each case damages
a copy of it the way a crash, a full disk or a hurried user would, then
resumes it (to step 8) or loads it as the tools do.
"""

import collections
import os
import shutil
import tempfile

from absl.testing import parameterized
import tensorflow as tf

import tfp_flows
from tfp_flows import models
from tfp_flows.training import checkpointing
from tfp_flows.training import train

_CHECKPOINTS = "checkpoints"


def _config(steps):
  config = models.get_config("glow", "tiny")
  config.train.steps = steps
  config.train.checkpoint_every = 2
  config.train.max_checkpoints = 3
  config.eval.batch_size = 500
  return config


def _truncate(path):
  with open(path, "r+b") as f:
    f.truncate(os.path.getsize(path) // 2)


def _garble(path):
  with open(path, "r+b") as f:
    f.write(b"\x00garbage\xff" * 8)


def _garble_all(path):
  size = os.path.getsize(path)
  with open(path, "r+b") as f:
    f.write((b"\x00garbage\xff" * (size // 10 + 1))[:size])


def _data_file(prefix):
  return prefix + ".data-00000-of-00001"


class CheckpointRecoveryTest(tf.test.TestCase, parameterized.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.original = os.path.join(tempfile.mkdtemp(), "original")
    train.train_and_evaluate(_config(6), cls.original, log=lambda m: None)

  def setUp(self):
    super().setUp()
    self.workdir = os.path.join(self.create_tempdir().full_path, "run")
    shutil.copytree(self.original, self.workdir)
    self.checkpoints = os.path.join(self.workdir, _CHECKPOINTS)
    self.newest = os.path.join(self.checkpoints, "ckpt-6")
    self.older = os.path.join(self.checkpoints, "ckpt-4")

  def _resume(self):
    messages = []
    train.train_and_evaluate(_config(8), self.workdir, log=messages.append)
    return "\n".join(messages)

  def _load(self):
    """Loads the run as the tools do; returns the warnings it logged."""
    with self.assertLogs("tensorflow", level="WARNING") as logs:
      model = tfp_flows.load(self.workdir)
    self.assertTrue(bool(model.initialized.numpy()))
    return "\n".join(logs.output)

  # Every tool and the trainer restore through `checkpointing.restore_latest`,
  # so each kind of damage is checked there (through `tfp_flows.load`); the
  # resumes below prove the trainer continues from what it picks.
  @parameterized.named_parameters(
      ("truncated_data", lambda p: _truncate(_data_file(p))),
      ("garbled_index", lambda p: _garble(p + ".index")),
      ("truncated_index", lambda p: _truncate(p + ".index")))
  def test_damaged_newest_falls_back_and_names_it(self, damage):
    damage(self.newest)
    self.assertRegex(self._load(),
                     r"Skipped checkpoint .*ckpt-6'? \(unrestorable: .+\); "
                     r"restored the older ckpt-4 instead")

  def test_resume_after_a_crash_mid_write(self):
    # The crash that left ckpt-8 half written also garbled ckpt-6 (the
    # tools, which read only the model and the EMA, may not notice; the
    # trainer restores everything, its data position included).
    _garble_all(_data_file(self.newest))
    leftover = os.path.join(self.checkpoints, "ckpt-8_temp")
    os.makedirs(os.path.join(leftover, "part-00000-of-00001"))
    log = self._resume()
    self.assertIn(f"Removed {leftover!r}", log)
    self.assertFalse(os.path.exists(leftover))
    self.assertRegex(log, r"Skipped checkpoint .*ckpt-6'? \(unrestorable: ")
    self.assertIn("Resumed from", log)
    self.assertIn("ckpt-4 at step 4.", log)
    # The older intact checkpoints survived until newer good ones existed;
    # ckpt-6 was rewritten whole.
    self.assertEqual(
        [os.path.basename(p) for p in
         checkpointing.checkpoint_paths(self.checkpoints)],
        ["ckpt-8", "ckpt-6", "ckpt-4"])
    self.assertEqual(int(tfp_flows.load(self.workdir).initialized.numpy()), 1)

  def test_deleted_newest_resumes_from_the_previous_one(self):
    for suffix in (".index", ".data-00000-of-00001"):
      os.remove(self.newest + suffix)
    log = self._resume()
    self.assertIn("ckpt-4 at step 4.", log)
    # ckpt-2 rotated out only once ckpt-6 and ckpt-8 were written.
    self.assertEqual(
        [os.path.basename(p) for p in
         checkpointing.checkpoint_paths(self.checkpoints)],
        ["ckpt-8", "ckpt-6", "ckpt-4"])
    # Steps 5 and 6 ran twice; TensorBoard holds each step once.
    seen = collections.Counter()
    for path in tf.io.gfile.glob(os.path.join(self.workdir, "summaries", "*")):
      for event in tf.compat.v1.train.summary_iterator(path):
        for value in event.summary.value:
          if value.tag.startswith("train/"):
            seen[(value.tag, event.step)] += 1
    self.assertEqual(sorted({step for _, step in seen}), list(range(1, 9)))
    self.assertEqual(set(seen.values()), {1}, seen)

  @parameterized.named_parameters(("garbled", _garble), ("deleted", os.remove))
  def test_state_file_damage_changes_nothing(self, damage):
    damage(os.path.join(self.checkpoints, "checkpoint"))
    # The tools read the files themselves, not the state file.
    tfp_flows.load(self.workdir)
    step = tf.Variable(0, dtype=tf.int64)
    path = checkpointing.restore_latest(tf.train.Checkpoint(step=step),
                                        self.checkpoints, partial=True)
    self.assertEqual((os.path.basename(path), int(step.numpy())),
                     ("ckpt-6", 6))

  def test_resume_rebuilds_a_garbled_state_file(self):
    _garble(os.path.join(self.checkpoints, "checkpoint"))
    log = self._resume()
    self.assertIn("ckpt-6 at step 6.", log)
    # Rotation works from the rebuilt state file.
    self.assertEqual(
        os.path.basename(tf.train.latest_checkpoint(self.checkpoints)),
        "ckpt-8")

  def test_every_checkpoint_damaged_stops_and_changes_nothing(self):
    for number in (2, 4, 6):
      _truncate(_data_file(os.path.join(self.checkpoints, f"ckpt-{number}")))
    before = sorted(os.listdir(self.checkpoints))
    with self.assertRaisesRegex(
        checkpointing.CheckpointError,
        r"No checkpoint in .* restores \(ckpt-6: .*; ckpt-4: .*; ckpt-2: "):
      self._resume()
    self.assertEqual(sorted(os.listdir(self.checkpoints)), before)

  def test_only_the_state_file_left_refuses_to_start_over(self):
    for number in (2, 4, 6):
      for suffix in (".index", ".data-00000-of-00001"):
        os.remove(os.path.join(self.checkpoints, f"ckpt-{number}{suffix}"))
    with self.assertRaisesRegex(checkpointing.CheckpointError,
                                "no complete checkpoint .*checkpoint"):
      self._resume()
    self.assertEqual(os.listdir(self.checkpoints), ["checkpoint"])


if __name__ == "__main__":
  tf.test.main()
