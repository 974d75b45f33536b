"""Tests for bench:reproduce's study files, statistics and report."""

import json
import math
import os
import tempfile

from absl.testing import absltest
import numpy as np

from bench import reproduce_report
from bench import reproduce_study
from tfp_flows.models import registry


def _write(path, payload):
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, "w") as f:
    if path.endswith(".jsonl"):
      f.writelines(json.dumps(entry) + "\n" for entry in payload)
    else:
      json.dump(payload, f)


def _fake_run(root, name, seed, bpd, curve=((320, 2.0), (640, 1.8))):
  """A finished, evaluated run as the driver and the tools leave it."""
  run_dir = reproduce_study.workdir(root, name, seed)
  _write(os.path.join(run_dir, "eval_k16.json"),
         {"test_bpd": bpd + 0.01, "test_bpd_iw": bpd,
          "parameters": {"total": 1234}})
  _write(os.path.join(run_dir, reproduce_study.RECORD_FILE),
         {"segments": [{"seconds": 60.0, "matmul_gflops": 400.0},
                       {"seconds": 30.0, "matmul_gflops": 380.0}],
          "eval_seconds": 5.0})
  # Written out of order, with one step logged twice (a resume): the last
  # entry per step counts.
  entries = [{"step": images // 32, "images_seen": images, "subset_bpd": y}
             for images, y in reversed(curve)]
  entries.insert(0, {"step": curve[-1][0] // 32,
                     "images_seen": curve[-1][0], "subset_bpd": 99.0})
  _write(os.path.join(run_dir, "metrics.jsonl"), entries)
  with open(os.path.join(run_dir, reproduce_study.SAMPLES_FILE), "wb") as f:
    f.write(b"png")
  return run_dir


class CompareTest(absltest.TestCase):

  def test_significant_gap_by_hand(self):
    # Both sds are 0.1, so the standard error is sqrt(2 * 0.01 / 3).
    difference, error, agrees, significant = reproduce_report.compare(
        [1.0, 1.1, 1.2], [1.5, 1.6, 1.7])
    self.assertAlmostEqual(difference, 0.5)
    self.assertAlmostEqual(error, math.sqrt(2 * 0.01 / 3))
    self.assertTrue(agrees)
    self.assertTrue(significant)

  def test_gap_within_two_standard_errors_is_not_significant(self):
    difference, error, agrees, significant = reproduce_report.compare(
        [1.0, 1.1, 1.2], [1.05, 1.15, 1.25])
    self.assertAlmostEqual(difference, 0.05)
    self.assertTrue(agrees)
    self.assertLess(abs(difference), 2 * error)
    self.assertFalse(significant)

  def test_reversed_order_disagrees(self):
    _, _, agrees, significant = reproduce_report.compare(
        [1.5, 1.6, 1.7], [1.0, 1.1, 1.2])
    self.assertFalse(agrees)
    self.assertTrue(significant)

  def test_one_seed_has_no_verdict_on_significance(self):
    difference, error, agrees, significant = reproduce_report.compare(
        [1.0], [1.2])
    self.assertAlmostEqual(difference, 0.2)
    self.assertIsNone(error)
    self.assertTrue(agrees)
    self.assertIsNone(significant)

  def test_stats_use_the_sample_standard_deviation(self):
    mean, sd, n = reproduce_report.stats([1.0, 2.0, 3.0])
    self.assertEqual((mean, n), (2.0, 3))
    self.assertAlmostEqual(sd, 1.0)


class StudyFilesTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())

  def test_collect_reads_what_the_runs_left(self):
    _fake_run(self.root, "glow", 0, 1.5)
    _fake_run(self.root, "glow", 1, 1.7)
    # Trained but not evaluated yet: not counted.
    os.makedirs(reproduce_study.workdir(self.root, "glow", 2))
    runs = [reproduce_study.RUNS_BY_NAME["glow"]]
    results = reproduce_study.collect(self.root, runs, [0, 1, 2], 16)
    self.assertEqual([s["seed"] for s in results["glow"]], [0, 1])
    first = results["glow"][0]
    self.assertEqual(first["test_bpd_iw"], 1.5)
    self.assertAlmostEqual(first["test_bpd"], 1.51)
    self.assertEqual(first["parameters"], 1234)
    self.assertEqual(first["train_seconds"], 90.0)
    self.assertEqual(first["processes"], 2)
    self.assertEqual(first["matmul_gflops"], [400.0, 380.0])
    self.assertEqual(first["curve"], [(320, 2.0), (640, 1.8)])

  def test_settings_are_fixed_at_the_first_start(self):
    settings = {"preset": "default", "images": 24000,
                "num_dequant_samples": 16}
    reproduce_study.check_settings(self.root, settings)
    reproduce_study.check_settings(self.root, dict(settings))
    with self.assertRaisesRegex(reproduce_study.StudyError,
                                "not be comparable.*another --root"):
      reproduce_study.check_settings(self.root, dict(settings, images=3200))

  def test_every_run_is_its_family_default_with_valid_overrides(self):
    for run in reproduce_study.RUNS:
      config = registry.get_config(run.family, "default")
      for key, value in run.overrides.items():
        section, field = key.split(".")
        self.assertIn(field, config[section], msg=run.name)
        self.assertIsInstance(value, type(config[section][field]),
                              msg=run.name)

  def test_hybrid_run_is_the_shipped_hybrid_preset(self):
    config = registry.get_config("flowpp", "default")
    for key, value in reproduce_study.RUNS_BY_NAME[
        "flowpp_hybrid"].overrides.items():
      section, field = key.split(".")
      config[section][field] = value
    self.assertEqual(config.to_dict(),
                     registry.get_config("flowpp", "hybrid").to_dict())


class ReportTest(absltest.TestCase):

  def setUp(self):
    super().setUp()
    self.root = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
    self.docs = os.path.join(self.root, "docs")
    self.study = {"preset": "default", "images": 640,
                  "num_dequant_samples": 16, "steps_note": "20 steps"}
    for seed, (flowpp, macow) in enumerate([(1.30, 1.40), (1.32, 1.41),
                                            (1.31, 1.39)]):
      _fake_run(self.root, "flowpp", seed, flowpp)
      _fake_run(self.root, "macow", seed, macow)
    self.runs = [reproduce_study.RUNS_BY_NAME[name]
                 for name in ("macow", "flowpp", "glow")]
    self.results = reproduce_study.collect(self.root, self.runs, [0, 1, 2],
                                           16)

  def _write_report(self):
    return reproduce_report.write(self.results, self.runs, self.study,
                                  [0, 1, 2], self.docs)

  def test_section_replaces_only_the_text_between_the_markers(self):
    os.makedirs(self.docs)
    path = os.path.join(self.docs, "results.md")
    with open(path, "w") as f:
      f.write(f"# Results\n\nkept above\n\n{reproduce_report.BEGIN_MARKER}\n"
              f"old\n{reproduce_report.END_MARKER}\n\nkept below\n")
    self._write_report()
    with open(path) as f:
      first = f.read()
    self.assertTrue(first.startswith("# Results\n\nkept above\n\n"))
    self.assertTrue(first.endswith("\nkept below\n"))
    self.assertNotIn("\nold\n", first)
    self._write_report()
    with open(path) as f:
      self.assertEqual(f.read(), first)

  def test_table_claims_plot_and_samples(self):
    path = self._write_report()
    with open(path) as f:
      text = f.read()
    flowpp = np.array([1.30, 1.32, 1.31])
    self.assertIn(f"**{flowpp.mean():.3f} +- {flowpp.std(ddof=1):.3f}**",
                  text)
    self.assertIn("640 training images", text)
    self.assertIn("6 of 9 runs finished", text)
    # Six runs of 90 s training and 5 s evaluation each.
    self.assertIn("0.15 hours of training and 0.5 minutes of evaluation", text)
    # Glow has no run yet: its row and its claims say so.
    self.assertRegex(text, r"\| `glow` \|[^\n]*not run yet")
    self.assertRegex(text, r"\| MaCow beats Glow \|[^\n]*not run yet")
    # Flow++ 1.31 against MaCow 1.40, 3 seeds each: agrees, significant.
    self.assertRegex(text, r"\| Flow\+\+ beats MaCow \|[^\n]*"
                     r"1\.310 vs 1\.400 \| \+0\.090 \+- 0\.\d+ \| yes \| yes \|")
    self.assertRegex(text, r"\| `macow` \|[^\n]*\| 3\.16 \|")
    self.assertTrue(os.path.isfile(
        os.path.join(self.docs, reproduce_report.PLOT_FILE)))
    for name in ("flowpp", "macow"):
      self.assertTrue(os.path.isfile(
          os.path.join(self.docs, f"samples_{name}.png")))
    self.assertFalse(os.path.exists(
        os.path.join(self.docs, "samples_glow.png")))


if __name__ == "__main__":
  absltest.main()
