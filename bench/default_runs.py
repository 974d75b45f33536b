"""Wall time and test bits/dim of each family's default training run.

`bazel run //bench:default_runs [-- --models=glow,realnvp,flowpp,macow]`
runs, one after another, what a user runs: `bin/train.py --model=NAME` in a
process of its own, from invocation to exit (start-up, the data-dependent
init, tracing, training, the periodic and final evaluations and the sample
grid), each in a fresh workdir. Hosts of this kind differ up to 4x, so the
matmul rate is measured before and after each run, and each time is also
given scaled by the matmul rate to a 52 GFLOP/s host (time x measured rate /
52), the host the "under 15 minutes" of the README is promised for. That
scaling overstates the time on a host whose matmul outruns the rest of a
step: on an AVX-512 host with a 415 GFLOP/s matmul (8x) the CPU presets'
steps ran only 2.1-3.4x as fast as on a 68 GFLOP/s AVX2 host
(docs/default_runs.md calibrates per family).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

from bench import results_io
from bench import timing

REFERENCE_GFLOPS = 52.0

flags.DEFINE_list("models", ["glow", "realnvp", "flowpp", "macow"],
                  "Families whose default preset is trained.")
flags.DEFINE_string("output", None, "JSON path (default bench/results/).")
FLAGS = flags.FLAGS

_WORKSPACE = os.environ.get(
    "BUILD_WORKSPACE_DIRECTORY",
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _train(model, workdir):
  """Runs the user's command; returns (seconds, metrics.json)."""
  env = dict(os.environ, PYTHONPATH=_WORKSPACE)
  command = [sys.executable, os.path.join(_WORKSPACE, "bin", "train.py"),
             f"--model={model}", f"--workdir={workdir}"]
  start = time.perf_counter()
  subprocess.run(command, env=env, check=True)
  seconds = time.perf_counter() - start
  with open(os.path.join(workdir, "metrics.json")) as f:
    return seconds, json.load(f)


def main(argv):
  del argv
  runs = []
  for model in FLAGS.models:
    before = timing.matmul_gflops()
    seconds, metrics = _train(model, os.path.join(tempfile.mkdtemp(), model))
    after = timing.matmul_gflops()
    rate = max(before, after)
    runs.append({
        "model": model,
        "test_bpd": metrics["test_bpd"],
        "baseline_bpd": metrics["baseline_bpd"],
        "steps": metrics["steps"],
        "wall_s": round(seconds, 1),
        "matmul_gflops_before": round(before, 1),
        "matmul_gflops_after": round(after, 1),
        "wall_min_matmul_scaled_to_52_gflops": round(
            seconds * rate / REFERENCE_GFLOPS / 60.0, 1),
    })
    print(json.dumps(runs[-1]), flush=True)
  results_io.report({"runs": runs, "reference_gflops": REFERENCE_GFLOPS},
                    "default_runs", FLAGS.output)


if __name__ == "__main__":
  app.run(main)
