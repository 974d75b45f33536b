"""The runs of `bench:reproduce`, where they live, and what they left.

A study is a root folder: `study.json` (its budget and preset, fixed when it
starts), then one workdir per run and seed, `<root>/<run>/seed_<k>/`, holding
what `bin/train` and `bin/evaluate` write there plus `reproduce.json`, the
driver's own record of each training process it ran (wall time, matmul
rate). Everything the report needs is read back from those files, so a
stopped and restarted study loses nothing but the process cut short.
"""

import dataclasses
import json
import os

from tfp_flows.training import periodic_eval
from tfp_flows.training import workdir as workdir_lib

STUDY_FILE = "study.json"
RECORD_FILE = "reproduce.json"
# What `bin/evaluate --num_dequant_samples=K` writes.
EVAL_FILE = "eval_k{k}.json"
# What `bin/train` writes when a run ends.
FINAL_METRICS_FILE = "metrics.json"
SAMPLES_FILE = "samples.png"


@dataclasses.dataclass(frozen=True)
class Run:
  """One model of the study: a family's preset with config overrides."""
  name: str
  family: str
  overrides: dict
  description: str
  # How the shipped CPU preset departs from the paper's model.
  departures: str
  # The paper's CIFAR-10 test bits/dim as published ("" if none), and
  # whether REFERENCE.md checked it.
  published_cifar10: str = ""
  published_checked: bool = True


_GLOW_DEPARTURES = (
    "2 levels x 8 steps, width 48 (paper: 3 x 32, width 512); logit "
    "preprocessing and a variational dequantizer (paper: x/256 - 0.5, "
    "uniform)")
_FLOWPP_DEPARTURES = (
    "stages (2, 1, 2) of width 32, 1 block, K = 8, no dropout (paper: "
    "(4, 2, 3), width 96, 10 blocks, K = 32, dropout 0.2); a 2-coupling "
    "dequantizer of width 16 without attention (paper: 4 couplings of width "
    "96 with attention)")
_MACOW_DEPARTURES = (
    "steps (1, (1, 1), 1) of 2 units, widths 16-64, logit preprocessing, a "
    "2-level dequantizer of widths 8-16 (paper, CIFAR-10: widths up to 512, "
    "37.2M parameters)")

RUNS = (
    Run("realnvp", "realnvp", {}, "RealNVP",
        "2 scales, ResNets of 1 block x 32 (paper, CIFAR-10: 3 scales, 8 "
        "blocks x 64); a variational dequantizer (paper: uniform)", "3.49"),
    Run("glow", "glow", {}, "Glow", _GLOW_DEPARTURES, "3.35"),
    Run("macow_uniform", "macow", {"model.dequantization": "uniform"},
        "MaCow, uniform dequantization", _MACOW_DEPARTURES, "3.28",
        published_checked=False),
    Run("macow", "macow", {"model.dequantization": "variational"},
        "MaCow, variational dequantization", _MACOW_DEPARTURES, "3.16"),
    Run("flowpp", "flowpp", {}, "Flow++", _FLOWPP_DEPARTURES, "3.08"),
    Run("flowpp_uniform", "flowpp", {"model.dequantization": "uniform"},
        "Flow++ ablation: uniform dequantization", _FLOWPP_DEPARTURES,
        "3.292"),
    Run("flowpp_affine", "flowpp", {"model.coupling": "affine"},
        "Flow++ ablation: affine couplings", _FLOWPP_DEPARTURES, "3.200"),
    Run("flowpp_no_attention", "flowpp", {"model.attention": False},
        "Flow++ ablation: no attention", _FLOWPP_DEPARTURES, "3.193"),
    # `configs/flowpp.py:hybrid`, written as its one override so that the
    # smoke study can apply it to the tiny preset too.
    Run("flowpp_hybrid", "flowpp", {"model.masked_conv_units": (1, 1, 1)},
        "Flow++ with a MaCow unit before every coupling step (the MaCow "
        "reviewers' question; `configs/flowpp.py:hybrid`)",
        _FLOWPP_DEPARTURES),
)
RUNS_BY_NAME = {run.name: run for run in RUNS}


class StudyError(Exception):
  """A study that cannot start as asked: named, before any work."""


def check_settings(root, settings):
  """Fixes a study's settings at its first start; refuses others later."""
  path = os.path.join(root, STUDY_FILE)
  saved = read_json(path)
  if saved is None:
    os.makedirs(root, exist_ok=True)
    workdir_lib.write_json(path, settings)
  elif {key: saved.get(key) for key in settings} != settings:
    raise StudyError(
        f"{root} holds a study with {saved}, not {settings}: its runs would "
        f"not be comparable. Use another --root, or the same settings.")


def workdir(root, run_name, seed):
  return os.path.join(root, run_name, f"seed_{seed}")


def read_json(path, default=None):
  if not os.path.isfile(path):
    return default
  with open(path) as f:
    return json.load(f)


def trained_steps(run_dir):
  """Steps of the finished training in `run_dir`, or None if unfinished."""
  metrics = read_json(os.path.join(run_dir, FINAL_METRICS_FILE))
  return metrics and metrics["steps"]


def collect(root, runs, seeds, num_dequant_samples):
  """`{run name: [seed result]}` for every finished, evaluated seed.

  A seed result holds its final figures (ELBO and importance-weighted
  bound on the whole test split), parameters, the training processes' wall
  time and matmul rates, and its curve of held-out bits/dim against images
  seen.
  """
  results = {}
  for run in runs:
    results[run.name] = []
    for seed in seeds:
      run_dir = workdir(root, run.name, seed)
      evaluation = read_json(os.path.join(
          run_dir, EVAL_FILE.format(k=num_dequant_samples)))
      if evaluation is None:
        continue
      record = read_json(os.path.join(run_dir, RECORD_FILE), {})
      segments = record.get("segments", [])
      curve = sorted((entry["images_seen"], entry["subset_bpd"])
                     for entry in periodic_eval.read_metrics(run_dir).values())
      results[run.name].append({
          "seed": seed,
          "test_bpd": evaluation["test_bpd"],
          "test_bpd_iw": evaluation.get("test_bpd_iw",
                                        evaluation["test_bpd"]),
          "parameters": evaluation["parameters"]["total"],
          "train_seconds": sum(s["seconds"] for s in segments),
          "processes": len(segments),
          "eval_seconds": record.get("eval_seconds"),
          "matmul_gflops": [s["matmul_gflops"] for s in segments],
          "curve": curve,
          "samples": os.path.join(run_dir, SAMPLES_FILE),
      })
  return results
