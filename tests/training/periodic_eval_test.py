"""Evaluation during training: the subset figure, the grids, no step twice."""

import collections
import json
import os

import tensorflow as tf

from tfp_flows import models
from tfp_flows.training import periodic_eval
from tfp_flows.training import tools
from tfp_flows.training import train


def _config(steps=4):
  config = models.get_config("glow", "tiny")
  config.train.steps = steps
  config.train.checkpoint_every = 2
  config.eval.every_steps = 2
  config.eval.subset_size = 100
  return config


def _eval_summary_steps(workdir):
  steps = collections.Counter()
  for path in tf.io.gfile.glob(os.path.join(workdir, "summaries", "*")):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        if value.tag == "eval/subset_bpd":
          steps[event.step] += 1
  return steps


class PeriodicEvalTest(tf.test.TestCase):

  def test_logged_points_equal_evaluate_and_a_resume_logs_none_twice(self):
    workdir = os.path.join(self.get_temp_dir(), "run")
    messages = []
    train.train_and_evaluate(_config(), workdir, log=messages.append)
    entries = periodic_eval.read_metrics(workdir)
    self.assertEqual(sorted(entries), [2, 4])
    self.assertEqual(entries[4]["images_seen"], 4 * 8)
    self.assertTrue(any("step 4 | test bits/dim" in m for m in messages))
    for step in (2, 4):
      self.assertTrue(os.path.exists(
          os.path.join(workdir, "samples", f"step_{step}.png")))
    # The same subset, weights (EMA, final checkpoint) and noise seed.
    evaluated, _ = tools.evaluate_workdir(workdir, max_test_images=100,
                                          seed=_config().train.seed)
    self.assertEqual(evaluated["num_test_images"], 100)
    self.assertAllClose(entries[4]["subset_bpd"], evaluated["test_bpd"],
                        rtol=1e-6)

    # As if killed after evaluating step 4 but before its checkpoint.
    for suffix in (".index", ".data-00000-of-00001"):
      os.remove(os.path.join(workdir, "checkpoints", "ckpt-4" + suffix))
    train.train_and_evaluate(_config(), workdir, log=lambda m: None)
    with open(os.path.join(workdir, periodic_eval.METRICS_FILE)) as f:
      steps = [json.loads(line)["step"] for line in f]
    self.assertEqual(steps, [2, 4])
    self.assertEqual(_eval_summary_steps(workdir), {2: 1, 4: 1})

  def test_default_interval_gives_ten_points(self):
    config = models.get_config("macow", "default")
    config.eval.every_steps = 0
    self.assertEqual(periodic_eval.every_steps(config),
                     config.train.steps // 10)

  def test_a_line_cut_short_by_a_kill_is_ignored(self):
    workdir = self.create_tempdir().full_path
    with open(os.path.join(workdir, periodic_eval.METRICS_FILE), "w") as f:
      f.write('{"step": 2, "subset_bpd": 3.0}\n{"step": 2, "subset_bpd": 2.5}'
              '\n{"step": 4, "subs')
    self.assertEqual(periodic_eval.read_metrics(workdir),
                     {2: {"step": 2, "subset_bpd": 2.5}})


if __name__ == "__main__":
  tf.test.main()
