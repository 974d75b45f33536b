"""Benchmark: the training step with grappler's default and lean passes.

    bazel run //bench:graph_options -- --model=macow
    bazel run //bench:graph_options -- --model=flowpp --rounds=40

`train.lean_graph_optimization` has grappler skip six of its passes over
the training step's graph (`tfp_flows/training/graph_options.py`). This
benchmark builds one model, optimizer and EMA, initialised on data, and one
`TrainStep` of each kind over them, in one process. It times each step's
first call (trace, grappler, one step), then calls the two steps in turn,
`--rounds` times each, alternating which goes first, each call fetching the
loss. Both steps train the same weights.

Why one process: on a 2-core host whose speed drifts by 20% from one run to
the next, separate processes put that drift into the comparison (MaCow's
step looked 20-48% slower with the lean passes that way). Interleaved, both
steps see the same host, allocator and thread pools at the same moments,
and the median of the ratios of calls made next to each other
(`lean_over_default_paired_median`) cancels most of what drift is left.
The second first call may find some one-off set-up already done by the
first, so the first calls are a rough comparison; the suite's `compile`
cells time one step per process.

Defaults: the family's `cifar10` preset at 32x32x3, batch 4, random pixels,
as the suite's `compile/<family>` cells, in graph mode (grappler does not
run under XLA). Figures and the matmul rate before and after go to
bench/results/graph_options_<model>.json.
"""

import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np
import tensorflow as tf

from bench import results_io
from bench import suite_cells
from bench import timing
from tfp_flows.training import train_step as train_step_lib

flags.DEFINE_enum("model", "macow", ["glow", "realnvp", "flowpp", "macow"],
                  "Model family.")
flags.DEFINE_string("config_name", "cifar10", "Preset of the family.")
flags.DEFINE_integer("batch_size", 4, "Images per step.")
flags.DEFINE_list("shape", ["32", "32", "3"], "Event shape of the random "
                  "images.")
flags.DEFINE_integer("rounds", 40, "Timed calls of each step.")
flags.DEFINE_string("output", None, "JSON path (default bench/results/"
                    "graph_options_<model>.json).")
FLAGS = flags.FLAGS

VARIANTS = {"default": False, "lean": True}


def _steps(setup):
  """`{variant: TrainStep}`, all over `setup`'s model, optimizer and EMA."""
  state = setup.state
  return {name: train_step_lib.TrainStep(
      state.model, state.optimizer, state.ema, state.strategy,
      setup.config.train.grad_clip_norm, jit_compile=False,
      lean_graph_optimization=lean) for name, lean in VARIANTS.items()}


def _paired_median_ratio(times, baseline_times):
  """Median over rounds of one call's time over the other's."""
  return float(np.median(np.asarray(times) / np.asarray(baseline_times)))


def _call(step, images, seed):
  start = time.perf_counter()
  float(step(images, seed)["loss_bpd"])
  return time.perf_counter() - start


def main(argv):
  del argv
  matmul_before = timing.matmul_gflops()
  print(f"matmul: {matmul_before:.1f} GFLOP/s", flush=True)
  setup = suite_cells.train_setup(
      FLAGS.model, FLAGS.config_name, jit_compile=False,
      batch_size=FLAGS.batch_size, shape=[int(n) for n in FLAGS.shape],
      random_images=True)
  steps = _steps(setup)
  seed = tf.constant([0, 0], tf.int64)
  figures = {}
  for name, step in steps.items():
    first = _call(step, setup.images, seed)
    _call(step, setup.images, seed)  # Warm-up.
    figures[name] = {"first_call_s": first, "step_s": []}
    print(f"{name}: first call {first:.1f} s", flush=True)
  names = list(steps)
  for round_ in range(FLAGS.rounds):
    for name in names if round_ % 2 == 0 else names[::-1]:
      figures[name]["step_s"].append(_call(steps[name], setup.images, seed))
  for name, entry in figures.items():
    times = entry["step_s"]
    entry.update(step_s_median=float(np.median(times)),
                 step_s_min=min(times), step_s_max=max(times))
    print(f"{name}: step median {entry['step_s_median']:.3f} s "
          f"({entry['step_s_min']:.3f}-{entry['step_s_max']:.3f})")
  results = {
      "model": FLAGS.model, "preset": FLAGS.config_name,
      "event_shape": list(setup.event_shape), "batch_size": FLAGS.batch_size,
      "rounds": FLAGS.rounds, "matmul_gflops_before": matmul_before,
      "variants": figures,
      "lean_over_default_median": (figures["lean"]["step_s_median"]
                                   / figures["default"]["step_s_median"]),
      # Calls made next to each other saw the same host: their ratios
      # cancel most of its drift.
      "lean_over_default_paired_median": _paired_median_ratio(
          figures["lean"]["step_s"], figures["default"]["step_s"]),
      "matmul_gflops_after": timing.matmul_gflops()}
  results_io.report(results, f"graph_options_{FLAGS.model}", FLAGS.output)


if __name__ == "__main__":
  app.run(main)
