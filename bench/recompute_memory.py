"""Benchmark: activation memory at 256x256 with and without recomputation.

    bazel run //bench:recompute_memory
    bazel run //bench:recompute_memory -- --models=glow256 --batches=1,2,4

`train.recompute_gradients` keeps only each flow layer's input for the
backward pass and recomputes the layer there (`bijectors.
recompute_gradients`). For Glow at 256x256x3 (6 levels x 8 steps, width
256, 5 bits) and MaCow's `celeba256` preset, each in its own process per
(recomputation, batch): the train step's activation memory (the peak
resident set during the timed steps, reset before them, minus the resident
set once model, optimizer slots and EMA exist; see `suite_cells.memory`)
and step time, without XLA (graph mode: XLA sees the forward and the
recomputation together and may merge them back) and without oneDNN (its
pool of freed buffers hides the activations from the resident set).

The activation memory per image is the slope of a least-squares line
through the batches (the intercept is what does not grow with the batch:
the traced graph, workspace); from it the largest batch that fits in
`--budget_gib` is extrapolated, not probed. Figures go to
bench/results/recompute_memory.json and a table to docs/recompute_memory.md.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np

from bench import cell_process
from bench import results_io

# The models of the MaCow paper's reviewers' question, as `memory` cells.
MODELS = {
    "glow256": dict(
        family="glow", preset="cifar10", shape=(256, 256, 3),
        overrides={"data.n_bits": 5, "model.num_levels": 6,
                   "model.steps_per_level": 8,
                   "model.hidden_channels": 256}),
    "macow_celeba256": dict(family="macow", preset="celeba256",
                            shape=(256, 256, 3)),
}

# glibc raises its mmap threshold as big buffers are freed, after which
# freed activations stay in the resident set; fixed, they leave it.
# TensorFlow's oneDNN kernels (on by default on AVX-512 CPUs) allocate
# through a pool that keeps freed buffers: on such a host the resident set
# did not grow from batch 1 to 2 of Glow at 256x256. Off, the kernels are
# Eigen's; the activations kept, which recomputation changes, are the same.
_MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072",
               "TF_ENABLE_ONEDNN_OPTS": "0"}

# CI's smoke run: the mechanics on a tiny Glow, a few seconds a cell.
_SMOKE_MODELS = {"glow_tiny": dict(family="glow", preset="tiny",
                                   shape=(8, 8, 1))}

flags.DEFINE_list("models", list(MODELS), f"Of {sorted(MODELS)}.")
flags.DEFINE_bool("smoke", False, "A tiny Glow instead of --models, 1 timed "
                  "step (CI); writes only where told.")
flags.DEFINE_list("batches", ["1", "2", "4"], "Batch sizes (at least two; "
                  "a slope through three is steadier).")
flags.DEFINE_integer("steps", 3, "Timed steps per cell, after the first "
                     "call and one warm-up.")
flags.DEFINE_float("budget_gib", 20.0, "Memory to extrapolate the largest "
                   "batch for.")
flags.DEFINE_string("output", None, "JSON path (default bench/results/"
                    "recompute_memory.json).")
flags.DEFINE_string("markdown", None, "Table path (default "
                    "docs/recompute_memory.md with the default flags).")
FLAGS = flags.FLAGS


def _fit(cells, budget_gib, require_growth=True):
  """Per-image activation memory and time, and the extrapolated batch.

  `require_growth=False` (the smoke run) accepts a slope within the
  resident set's noise: a tiny model's activations are a few pages.
  """
  batches = np.array([c["batch_size"] for c in cells], float)
  memory = np.array([c["activation_gib"] for c in cells])
  per_image, fixed = np.polyfit(batches, memory, 1)
  if per_image <= 0 and require_growth:
    raise RuntimeError(
        f"Activation memory did not grow with the batch ({memory.tolist()} "
        f"GiB at batches {batches.tolist()}): the resident set does not "
        f"show what the steps allocate on this host, so no figure is "
        f"written.")
  # Time per image at the largest batch, where fixed per-step costs weigh
  # least.
  largest = max(cells, key=lambda c: c["batch_size"])
  resident = min(c["built_gib"] for c in cells)
  return {
      "activation_gib_per_image": float(per_image),
      "activation_gib_fixed": float(fixed),
      "step_s_per_image": largest["step_s_median"] / largest["batch_size"],
      "largest_batch_in_budget": (
          int((budget_gib - resident - fixed) // per_image)
          if per_image > 0 else None),
      "resident_after_build_gib": resident,
  }


def _markdown(results):
  lines = [
      f"# Activation memory at 256x256 (graph mode, no XLA, no oneDNN)",
      "",
      f"`bazel run //bench:recompute_memory`, batches "
      f"{', '.join(map(str, results['batches']))}, matmul "
      f"{results['matmul_gflops']:.0f} GFLOP/s. Memory per image: the slope "
      f"over the batches of the steps' peak RSS minus the RSS once the model "
      f"and optimizer are built (fixed: what does not grow with the batch, "
      f"the traced graph included); largest batch "
      f"extrapolated to {results['budget_gib']:g} GiB.",
      "",
      "| model | recompute | GiB / image | fixed GiB | s / image (largest "
      "batch) | largest "
      "batch | memory ratio | time ratio |",
      "|---|---|---|---|---|---|---|---|",
  ]
  for name, model in results["models"].items():
    plain, recomputed = model["plain"], model["recompute"]
    for label, fit in (("no", plain), ("yes", recomputed)):
      ratios = ("", "")
      if label == "yes":
        memory_ratio = model["memory_ratio"]
        ratios = (f"{memory_ratio:.1f}x less" if memory_ratio else "n/a",
                  f"{model['time_ratio']:.2f}x")
      lines.append(
          f"| {name} | {label} | {fit['activation_gib_per_image']:.2f} | "
          f"{fit['activation_gib_fixed']:.2f} | "
          f"{fit['step_s_per_image']:.1f} | "
          f"{fit['largest_batch_in_budget']} | {ratios[0]} | {ratios[1]} |")
  return "\n".join(lines) + "\n"


def main(argv):
  del argv
  from bench import timing  # pylint: disable=g-import-not-at-top
  batches = sorted(int(b) for b in FLAGS.batches)
  if len(set(batches)) < 2:
    raise app.UsageError("--batches needs two sizes at least (a slope).")
  unknown = sorted(set(FLAGS.models) - set(MODELS))
  if unknown:
    raise app.UsageError(f"--models: unknown {unknown}; of {sorted(MODELS)}.")
  results = {"batches": batches, "budget_gib": FLAGS.budget_gib,
             "steps": FLAGS.steps, "matmul_gflops": timing.matmul_gflops(),
             "models": {}}
  chosen = _SMOKE_MODELS if FLAGS.smoke else {
      name: MODELS[name] for name in FLAGS.models}
  for name, cell in chosen.items():
    model = {}
    for label, recompute in (("plain", False), ("recompute", True)):
      cells = []
      for batch in batches:
        figures = cell_process.run(
            "memory", dict(cell, batch_size=batch,
                           recompute_gradients=recompute),
            1 if FLAGS.smoke else FLAGS.steps, env=_MEMORY_ENV)
        if "error" in figures:
          raise RuntimeError(f"{name} batch {batch} recompute={recompute}: "
                             f"{figures['stderr_tail']}")
        print(f"{name} {label} batch {batch}: activation "
              f"{figures['activation_gib']:.2f} GiB, step "
              f"{figures['step_s_median']:.2f} s", flush=True)
        cells.append(figures)
      model[label] = _fit(cells, FLAGS.budget_gib,
                          require_growth=not FLAGS.smoke)
      model[label + "_cells"] = cells
    recomputed = model["recompute"]["activation_gib_per_image"]
    model["memory_ratio"] = (
        model["plain"]["activation_gib_per_image"] / recomputed
        if recomputed > 0 else None)
    model["time_ratio"] = (model["recompute"]["step_s_per_image"]
                           / model["plain"]["step_s_per_image"])
    results["models"][name] = model
    # After each model: a long run stopped part-way keeps what it measured.
    results_io.report(results, "recompute_memory", FLAGS.output)
  table = _markdown(results)
  print(table)
  default_run = (not FLAGS.smoke and FLAGS.models == list(MODELS)
                 and FLAGS.batches == flags.FLAGS["batches"].default)
  markdown = FLAGS.markdown or (os.path.join(
      os.environ.get("BUILD_WORKSPACE_DIRECTORY",
                     os.path.dirname(os.path.dirname(os.path.abspath(
                         __file__)))), "docs", "recompute_memory.md")
                                if default_run else None)
  if markdown:
    with open(markdown, "w") as f:
      f.write(table)
    print(f"Wrote {markdown}")


if __name__ == "__main__":
  app.run(main)
