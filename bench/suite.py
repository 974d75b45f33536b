"""The benchmark suite: training speed against TFP's Glow and the machine.

    bazel run //bench:suite                       # every cell (see below)
    bazel run //bench:suite -- --cells=vs_tfp/a   # cells by name prefix
    bazel run //bench:suite -- --cells=compile/glow  # a full name: that cell
    bazel run //bench:suite -- --list             # the cell names

Each cell runs in its own process (peak memory is its own; see
`suite_cells`). One run measures, on this machine:

- `train/<family>/<mode>`: each family's CPU (`default`) preset, with XLA and
  without: images/s (median over the timed steps, with min and max), peak
  memory, trace + compile of the first step, the step's useful FLOPs
  (convolutions and matmuls from the layer shapes, backward = 2x forward) and
  their rate; in the preset's own mode also log_prob and sampling time.
- `vs_tfp/<shape>/<mode>/<side>`: this project's Glow against TFP's
  `tfb.Glow` with the same levels, steps, width and batch, uniform
  dequantization and centring, compiled the same way. Shapes: (a) 32x32x3,
  3 levels x 8 steps, width 128, batch 32; (b) 28x28x1, 2 levels x 8 steps,
  width 128, batch 64.
- `attention/flowpp/<mode>`: Flow++'s `cifar10_narrow` preset (the
  paper's CIFAR-10 layout with attention, width 32, batch 16), where
  attention's positions^2 tensors dominate time and memory.
- `compile/<family>`: trace + compile of the `cifar10` preset's first step
  (batch 4, in the preset's own mode); `compile/<family>/scanned` the same
  with each run of identical steps and blocks traced once
  (`train.scan_repeats`). The scanned cells measure an option, not a
  preset, and run only when `--cells` names them (`--cells=compile` runs
  all eight).
- The float32 4096x4096 matmul rate on all threads, before and after the
  cells.

A full run took 12.7 minutes on a 2-core AVX-512 host (matmul 216-217
GFLOP/s, 2026-12-08), 6 of them in the `cifar10` first-step and attention
cells (MaCow's first step, 116 s). The JSON is rewritten after every cell,
so a run stopped part-way keeps what it measured.

A full run writes `bench/results/suite.json` (with the CPU, its flags, the
cores, the TF version and the date), `docs/benchmarks.md` and
`docs/benchmarks.png`; a run of some cells writes only the JSON
(`bench/results/suite_cells.json` unless `--output` says otherwise), for
before/after comparisons. `--smoke` runs one cell of each kind at tiny
shapes for a few steps (CI; it writes only where told).
"""

import collections
import datetime
import json
import os
import platform
import sys
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

flags.DEFINE_list("cells", [], "Run only these cells: a full cell name "
                  "selects that cell alone, anything else every cell it "
                  "starts (default: all).")
flags.DEFINE_bool("list", False, "Print the cell names and exit.")
flags.DEFINE_bool("smoke", False, "One cell of each kind, tiny shapes, 2 "
                  "timed steps (CI).")
flags.DEFINE_integer("steps", 10, "Timed steps per cell, after the first "
                     "call and one warm-up.")
flags.DEFINE_string("output", None, "JSON path (default: bench/results/"
                    "suite.json for a full run, suite_cells.json else).")
flags.DEFINE_string("markdown", None, "Table path (default: "
                    "docs/benchmarks.md for a full run).")
flags.DEFINE_string("plot", None, "PNG path (default: docs/benchmarks.png "
                    "for a full run).")
FLAGS = flags.FLAGS

_BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
_FAMILIES = ("glow", "realnvp", "flowpp", "macow")
_MODES = {"xla": True, "graph": False}
# The two comparison shapes: (shape, levels, steps, width, batch).
_TFP_SHAPES = {"a": ((32, 32, 3), 3, 8, 128, 32),
               "b": ((28, 28, 1), 2, 8, 128, 64)}
_SMOKE_TFP_SHAPE = ((8, 8, 1), 2, 1, 8, 4)
_CIFAR10_SHAPE = (32, 32, 3)
_COMPILE_BATCH = 4


def cells(smoke=False):
  """Cell name -> (kind, keyword arguments), in the order they run.

  `smoke`: one cell of each kind at tiny shapes, so the suite cannot rot.
  """
  if smoke:
    return _smoke_cells()
  result = collections.OrderedDict()
  for family in _FAMILIES:
    for mode, jit in _MODES.items():
      # Every CPU preset's own mode is XLA: log_prob and sampling time there.
      result[f"train/{family}/{mode}"] = ("train", dict(
          family=family, preset="default", jit_compile=jit, inference=jit))
  for name, shape in _TFP_SHAPES.items():
    for mode, jit in _MODES.items():
      result.update(_vs_tfp_pair(f"vs_tfp/{name}/{mode}", shape, jit))
  for mode, jit in _MODES.items():
    # Unrolled, as first measured: these cells follow attention's cost.
    result[f"attention/flowpp/{mode}"] = ("train", dict(
        family="flowpp", preset="cifar10_narrow", jit_compile=jit,
        shape=_CIFAR10_SHAPE, random_images=True,
        overrides={"train.scan_repeats": False}))
  for family in _FAMILIES:
    for suffix, scan in (("", False), ("/scanned", True)):
      result[f"compile/{family}{suffix}"] = ("train", dict(
          family=family, preset="cifar10", jit_compile=None,
          batch_size=_COMPILE_BATCH, shape=_CIFAR10_SHAPE,
          random_images=True, count_flops=False,
          overrides={"train.scan_repeats": scan}))
  return result


def _vs_tfp_pair(prefix, shape, jit_compile, preset="default"):
  event_shape, levels, steps, width, batch = shape
  return {
      f"{prefix}/tfp_flows": ("train", dict(
          family="glow", preset=preset, jit_compile=jit_compile,
          batch_size=batch, shape=event_shape, random_images=True,
          overrides={"model.num_levels": levels,
                     "model.steps_per_level": steps,
                     "model.hidden_channels": width,
                     "model.dequantization": "uniform",
                     "model.preprocessing": "centering"})),
      f"{prefix}/tfp": ("tfp_glow", dict(
          shape=event_shape, levels=levels, steps_per_level=steps,
          width=width, batch_size=batch, jit_compile=jit_compile)),
  }


def _smoke_cells():
  result = collections.OrderedDict()
  result["train/glow/graph"] = ("train", dict(
      family="glow", preset="tiny", jit_compile=False, inference=True))
  result.update(_vs_tfp_pair("vs_tfp/b/graph", _SMOKE_TFP_SHAPE, False,
                             preset="tiny"))
  result["compile/glow"] = ("train", dict(
      family="glow", preset="tiny", jit_compile=True, batch_size=2,
      count_flops=False))
  return result


def _on_request(name):
  """Cells left out of a full run: they compare an option, not a preset."""
  return name.endswith("/scanned")


def _selected(all_cells, prefixes):
  if not prefixes:
    return [n for n in all_cells if not _on_request(n)]
  # A cell's full name selects that cell alone (compile/glow, not also
  # compile/glow/scanned); anything else is a prefix.
  names = [n for n in all_cells
           if n in prefixes or any(n.startswith(p) and p not in all_cells
                                   for p in prefixes)]
  if not names:
    raise app.UsageError(f"--cells={','.join(prefixes)} matches no cell; "
                         f"--list shows them.")
  return names


def machine():
  """The host: CPU model and vector flags, cores, versions, date."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tensorflow_probability as tfp  # pylint: disable=g-import-not-at-top
  model, cpu_flags = platform.processor(), []
  try:
    with open("/proc/cpuinfo") as f:
      for line in f:
        key, _, value = line.partition(":")
        if key.strip() == "model name":
          model = value.strip()
        elif key.strip() == "flags":
          cpu_flags = [flag for flag in value.split() if flag.startswith(
              ("avx", "fma", "sse4", "amx"))]
          break
  except OSError:
    pass
  return {"cpu": model, "cpu_flags": sorted(cpu_flags),
          "cores": os.cpu_count(), "tensorflow": tf.__version__,
          "tensorflow_probability": tfp.__version__,
          "python": platform.python_version(),
          "date": datetime.datetime.now(datetime.timezone.utc).isoformat(
              timespec="seconds")}


def _write_json(results, path):
  """Replaces `path` whole: a reader never sees a half-written file."""
  with open(path + ".tmp", "w") as f:
    json.dump(results, f, indent=2)
  os.replace(path + ".tmp", path)


def _default_path(*parts):
  root = os.environ.get("BUILD_WORKSPACE_DIRECTORY",
                        os.path.dirname(_BENCH_DIR))
  return os.path.join(root, *parts)


def main(argv):
  del argv
  all_cells = cells(FLAGS.smoke)
  if FLAGS.list:
    print("\n".join(n + ("  (only when named)" if _on_request(n) else "")
                    for n in all_cells))
    return
  names = _selected(all_cells, FLAGS.cells)
  # Only a full run (re)writes the committed report by default.
  full = not FLAGS.smoke and not FLAGS.cells
  from bench import cell_process  # pylint: disable=g-import-not-at-top
  from bench import suite_report  # pylint: disable=g-import-not-at-top
  from bench import timing  # pylint: disable=g-import-not-at-top

  output = FLAGS.output or _default_path(
      "bench", "results", "suite.json" if full else "suite_cells.json")
  os.makedirs(os.path.dirname(output), exist_ok=True)
  start = time.perf_counter()
  results = {"machine": machine(), "smoke": FLAGS.smoke,
             "steps": 2 if FLAGS.smoke else FLAGS.steps,
             "matmul_gflops_before": timing.matmul_gflops(), "cells": {}}
  print(f"matmul: {results['matmul_gflops_before']:.1f} GFLOP/s", flush=True)
  for name in names:
    kind, kwargs = all_cells[name]
    figures = cell_process.run(kind, kwargs, results["steps"])
    results["cells"][name] = figures
    print(suite_report.one_line(name, figures), flush=True)
    # After every cell: a long run stopped part-way keeps what it measured.
    _write_json(results, output)
  results["matmul_gflops_after"] = timing.matmul_gflops()
  results["suite_wall_s"] = time.perf_counter() - start
  _write_json(results, output)
  print(f"Wrote {output}")
  markdown = FLAGS.markdown or (_default_path("docs", "benchmarks.md")
                                if full else None)
  table = suite_report.markdown(results)
  print(table)
  if markdown:
    with open(markdown, "w") as f:
      f.write(table)
    print(f"Wrote {markdown}")
  plot = FLAGS.plot or (_default_path("docs", "benchmarks.png")
                        if full else None)
  if plot:
    suite_report.plot(results, plot)
    print(f"Wrote {plot}")
  failed = [n for n, figures in results["cells"].items() if "error" in figures]
  if failed:
    sys.exit(f"{len(failed)} cell(s) failed: {', '.join(failed)}")


if __name__ == "__main__":
  app.run(main)
