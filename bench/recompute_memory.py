"""Benchmark: activation memory at 256x256 with and without recomputation.

    bazel run //bench:recompute_memory
    bazel run //bench:recompute_memory -- --models=glow256 --batches=1,2,4

`train.recompute_gradients` keeps only each flow layer's input for the
backward pass and recomputes the layer there (`bijectors.
recompute_gradients`). For Glow at 256x256x3 (6 levels x 8 steps, width
256, 5 bits) and MaCow's `celeba256` preset, at 256x256 and on 64x64
images (`macow_celeba256_at_64`: the same layers and weights, where a 24
GiB host fits several batches), each in its own process per
(recomputation, batch): the train step's activation memory (the peak
resident set during the timed steps, reset before them, minus the resident
set once model, optimizer slots and EMA exist; see `suite_cells.memory`)
and step time, without XLA (graph mode: XLA sees the forward and the
recomputation together and may merge them back) and without oneDNN (its
pool of freed buffers hides the activations from the resident set).

The activation memory per image is the slope of a least-squares line
through the batches (the intercept is what does not grow with the batch:
the traced graph, workspace); from it the largest batch that fits in
`--budget_gib` is extrapolated, not probed. Nor is a batch run whose peak,
predicted from the batches before it, exceeds `--memory_limit_gib` (this
machine's memory by default): MaCow's `celeba256` without recomputation
takes about 13 GiB at batch 1, so a 24 GiB host runs batch 1 alone, and
its per-image figure is then the activation at batch 1 (an upper bound:
the fixed part is counted in it). The memory ratio compares slopes when
both modes have two batches or more, and the activations at the smallest
batch otherwise; the time ratio compares the time per image at the
largest batch both modes ran.

Figures go to bench/results/recompute_memory.json and a table to
docs/recompute_memory.md; a run of some `--models` replaces their entries
and keeps the others' (each entry records its own batches and matmul rate).
"""

import datetime
import json
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
    # The same flow on 64x64 images: every layer and weight of the preset,
    # a sixteenth of its activations. At 256x256 a 24 GiB host fits batch
    # 1 only, and its cells' steps traced and compiled in 615 s (1,290 s
    # recomputing) at a 420 GFLOP/s matmul.
    "macow_celeba256_at_64": dict(family="macow", preset="celeba256",
                                  shape=(64, 64, 3)),
}

# glibc raises its mmap threshold as big buffers are freed, after which
# freed activations stay in the resident set; fixed, they leave it.
# TensorFlow's oneDNN kernels (on by default on AVX-512 CPUs) allocate
# through a pool that keeps freed buffers: on such a host the resident set
# did not grow from batch 1 to 2 of Glow at 256x256. Off, the kernels are
# Eigen's; the activations kept, which recomputation changes, are the same.
_MEMORY_ENV = {"MALLOC_MMAP_THRESHOLD_": "131072",
               "TF_ENABLE_ONEDNN_OPTS": "0"}

_TENSOR_STATS_ENV = {"TF_CPU_ALLOCATOR_USE_BFC": "true"}

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
flags.DEFINE_float("memory_limit_gib", None, "Skip a batch whose predicted "
                   "peak resident set exceeds this (default: 90% of this "
                   "machine's memory).")
flags.DEFINE_bool("tensor_stats", False, "Run the cells with TensorFlow's "
                  "BFC allocator on the CPU, whose statistics add each "
                  "step's tensor bytes to the JSON (tensors_*); it keeps "
                  "freed memory, so the resident-set figures then include "
                  "its pool.")
flags.DEFINE_string("output", None, "JSON path (default bench/results/"
                    "recompute_memory.json).")
flags.DEFINE_string("markdown", None, "Table path (default "
                    "docs/recompute_memory.md with the default flags).")
FLAGS = flags.FLAGS


def _fit(cells, budget_gib, require_growth=True):
  """Per-image activation memory and time, and the extrapolated batch.

  One cell (the only batch that fit) gives its activation as the per-image
  figure, fixed part included, flagged `single_batch`.
  `require_growth=False` (the smoke run) accepts a slope within the
  resident set's noise: a tiny model's activations are a few pages.
  """
  batches = np.array([c["batch_size"] for c in cells], float)
  memory = np.array([c["activation_gib"] for c in cells])
  if len(cells) == 1:
    per_image, fixed = memory[0] / batches[0], 0.0
  else:
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
      "single_batch": len(cells) == 1,
      "step_s_per_image": largest["step_s_median"] / largest["batch_size"],
      "largest_batch_in_budget": (
          int((budget_gib - resident - fixed) // per_image)
          if per_image > 0 else None),
      "resident_after_build_gib": resident,
  }


def _predicted_peak_gib(cells, batch):
  """The peak resident set `batch` would reach, from the cells before it:
  along their fit (from one cell, in proportion to its batch, an
  overestimate)."""
  if not cells:
    return None
  fit = _fit(cells, budget_gib=0.0, require_growth=False)
  return (max(c["built_gib"] for c in cells) + fit["activation_gib_fixed"]
          + fit["activation_gib_per_image"] * batch)


def _ratios(plain_cells, recompute_cells, plain, recompute):
  """`(memory ratio, its basis, time ratio, the batch it is at)`."""
  if not (plain["single_batch"] or recompute["single_batch"]):
    memory_ratio = (plain["activation_gib_per_image"]
                    / recompute["activation_gib_per_image"]
                    if recompute["activation_gib_per_image"] > 0 else None)
    basis = "slopes"
  else:
    batch = min(c["batch_size"] for c in plain_cells)
    at = lambda cells: next(c for c in cells if c["batch_size"] == batch)
    memory_ratio = (at(plain_cells)["activation_gib"]
                    / at(recompute_cells)["activation_gib"])
    basis = f"batch {batch}"
  common = max({c["batch_size"] for c in plain_cells}
               & {c["batch_size"] for c in recompute_cells})
  per_image = lambda cells: next(
      c["step_s_median"] for c in cells if c["batch_size"] == common) / common
  return (memory_ratio, basis,
          per_image(recompute_cells) / per_image(plain_cells), common)


def _memory_total_gib():
  with open("/proc/meminfo") as f:
    for line in f:
      if line.startswith("MemTotal:"):
        return int(line.split()[1]) / 2 ** 20
  raise KeyError("MemTotal")


def _markdown(results):
  lines = [
      f"# Activation memory at 256x256 (graph mode, no XLA, no oneDNN)",
      "",
      f"`bazel run //bench:recompute_memory`. Memory per image: the slope "
      f"over the batches of the steps' peak RSS minus the RSS once the model "
      f"and optimizer are built (fixed: what does not grow with the batch, "
      f"the traced graph included); from a single batch (the only one that "
      f"fit the machine), the activation at that batch, fixed part "
      f"included. Largest batch extrapolated to "
      f"{results['budget_gib']:g} GiB. Memory ratio: of the slopes, or at "
      f"the smallest batch when a mode ran one batch; time ratio: per image "
      f"at the largest batch both modes ran.",
      "",
      "| model | recompute | batches | GiB / image | fixed GiB | s / image "
      "(largest batch) | largest batch | memory ratio | time ratio | matmul "
      "GFLOP/s |",
      "|---|---|---|---|---|---|---|---|---|---|",
  ]
  for name, model in results["models"].items():
    for label in ("plain", "recompute"):
      fit = model[label]
      batches = ", ".join(str(c["batch_size"]) for c in model[label + "_cells"])
      if model.get(label + "_skipped"):
        batches += f" ({', '.join(map(str, model[label + '_skipped']))} " \
                   f"would not fit)"
      ratios = ("", "")
      if label == "recompute":
        memory_ratio = model["memory_ratio"]
        ratios = (
            f"{memory_ratio:.1f}x less ({model['memory_ratio_basis']})"
            if memory_ratio else "n/a",
            f"{model['time_ratio']:.2f}x (batch {model['time_ratio_batch']})")
      lines.append(
          f"| {name} | {'yes' if label == 'recompute' else 'no'} | {batches} "
          f"| {fit['activation_gib_per_image']:.2f} | "
          f"{fit['activation_gib_fixed']:.2f} | "
          f"{fit['step_s_per_image']:.1f} | "
          f"{fit['largest_batch_in_budget']} | {ratios[0]} | {ratios[1]} | "
          f"{model['matmul_gflops']:.0f} |")
  notes = [_single_batch_note(name, model)
           for name, model in results["models"].items()
           if model["plain"]["single_batch"]
           or model["recompute"]["single_batch"]]
  return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def _single_batch_note(name, model):
  """What a single batch's figure holds besides activations."""
  cells = {label: model[label + "_cells"][0]
           for label in ("plain", "recompute")}
  return (
      f"{name}: one batch per mode, so its figures include the fixed part. "
      f"Once built ({model['plain_cells'][0]['parameters']:,} parameters) "
      f"the process held {cells['plain']['built_gib']:.2f} GiB; after the "
      f"first call and a warm-up step, before the timed steps, it held "
      f"{cells['plain']['before_steps_gib']:.2f} GiB without recomputation "
      f"and {cells['recompute']['before_steps_gib']:.2f} GiB with it, and "
      f"the timed steps then peaked at {cells['plain']['steps_peak_gib']:.2f}"
      f" and {cells['recompute']['steps_peak_gib']:.2f} GiB. What the first "
      f"steps leave resident (graph, allocator) is not told apart from "
      f"activations by one batch.")


def _measure(name, cell, recompute, batches, memory_limit_gib):
  """The cells of one model and mode, smallest batch first; and the
  batches skipped because their predicted peak exceeds the limit."""
  cells = []
  for index, batch in enumerate(batches):
    predicted = _predicted_peak_gib(cells, batch)
    if predicted is not None and predicted > memory_limit_gib:
      print(f"{name} recompute={recompute} batch {batch}: skipped, its "
            f"predicted peak of {predicted:.1f} GiB exceeds "
            f"{memory_limit_gib:.1f} GiB", flush=True)
      return cells, batches[index:]
    figures = cell_process.run(
        "memory", dict(cell, batch_size=batch, recompute_gradients=recompute),
        1 if FLAGS.smoke else FLAGS.steps,
        env=dict(_MEMORY_ENV, **(_TENSOR_STATS_ENV if FLAGS.tensor_stats
                                 else {})))
    if "error" in figures:
      raise RuntimeError(f"{name} batch {batch} recompute={recompute}: "
                         f"{figures['stderr_tail']}")
    print(f"{name} recompute={recompute} batch {batch}: activation "
          f"{figures['activation_gib']:.2f} GiB, step "
          f"{figures['step_s_median']:.2f} s", flush=True)
    cells.append(figures)
  return cells, []


def main(argv):
  del argv
  from bench import timing  # pylint: disable=g-import-not-at-top
  batches = sorted(int(b) for b in FLAGS.batches)
  if len(set(batches)) < 2:
    raise app.UsageError("--batches needs two sizes at least (a slope).")
  unknown = sorted(set(FLAGS.models) - set(MODELS))
  if unknown:
    raise app.UsageError(f"--models: unknown {unknown}; of {sorted(MODELS)}.")
  memory_limit_gib = FLAGS.memory_limit_gib or 0.9 * _memory_total_gib()
  output = FLAGS.output or results_io.default_path("recompute_memory")
  results = {"budget_gib": FLAGS.budget_gib, "models": {}}
  if not FLAGS.smoke and os.path.exists(output):
    with open(output) as f:
      results["models"] = json.load(f)["models"]
  chosen = _SMOKE_MODELS if FLAGS.smoke else {
      name: MODELS[name] for name in FLAGS.models}
  for name, cell in chosen.items():
    model = {"batches": batches, "steps": FLAGS.steps,
             "tensor_stats": FLAGS.tensor_stats,
             "matmul_gflops": timing.matmul_gflops(),
             "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
                 timespec="seconds")}
    for label, recompute in (("plain", False), ("recompute", True)):
      cells, skipped = _measure(name, cell, recompute, batches,
                                memory_limit_gib)
      model[label] = _fit(cells, FLAGS.budget_gib,
                          require_growth=not FLAGS.smoke)
      model[label + "_cells"] = cells
      model[label + "_skipped"] = skipped
    (model["memory_ratio"], model["memory_ratio_basis"], model["time_ratio"],
     model["time_ratio_batch"]) = _ratios(
         model["plain_cells"], model["recompute_cells"], model["plain"],
         model["recompute"])
    results["models"][name] = model
    # After each model: a long run stopped part-way keeps what it measured.
    results_io.report(results, "recompute_memory", output)
  table = _markdown(results)
  print(table)
  markdown = FLAGS.markdown or (os.path.join(
      os.environ.get("BUILD_WORKSPACE_DIRECTORY",
                     os.path.dirname(os.path.dirname(os.path.abspath(
                         __file__)))), "docs", "recompute_memory.md")
                                if not (FLAGS.smoke or FLAGS.output) else None)
  if markdown:
    with open(markdown, "w") as f:
      f.write(table)
    print(f"Wrote {markdown}")


if __name__ == "__main__":
  app.run(main)
