"""Benchmark: MaCow's sequential sampling and how it grows with image height.

A masked convolutional flow inverts row by row, so sampling a MaCow costs
more than its density and grows with the height H. In one run, for batch
`--batch_size` images of H x 32 x 1 (H = 16, 32, 64), this times (median of
`--repeats` calls after a warm-up, in tf.function, with and without XLA):

  - the continuous flow's log-density (preprocessing and core; the
    dequantizer excluded) and its sampling (latents -> images), for MaCow's
    and Glow's `default` presets, freshly initialised on random pixels;
  - one masked-conv flow alone (orientation A: H sequential rows; C: W
    sequential columns), forward and inverse, at MaCow's level-0 shape;
  - the float32 4096^2 matmul rate of this machine, so times can be compared
    across hosts.

It prints and writes bench/results/sampling_vs_height.json, a Markdown
table docs/sampling_vs_height.md, with the ratios the MaCow issue asks for
(sampling / log-density at H = 32, t(64) / t(32), MaCow / Glow sampling),
and a plot of time against H, docs/sampling_vs_height.png.

    bazel run //bench:sampling_vs_height
    bazel run //bench:sampling_vs_height -- --replot  # table and plot from
                                                      # the JSON, no timing
"""

import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import matplotlib

matplotlib.use("Agg")  # Files only; no display.
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np
import tensorflow as tf

from bench import results_io
from bench import timing
import tfp_flows  # pylint: disable=unused-import
from tfp_flows import bijectors
from tfp_flows import models

flags.DEFINE_list("heights", ["16", "32", "64"], "Image heights (width 32).")
flags.DEFINE_integer("batch_size", 8, "Images per call.")
flags.DEFINE_integer("repeats", 5, "Timed calls per cell.")
flags.DEFINE_list("models", ["macow", "glow"], "Families (default presets).")
flags.DEFINE_string("output", None, "JSON path (default bench/results/).")
flags.DEFINE_string("plot", None, "PNG path (default, with the default "
                    "--output: docs/sampling_vs_height.png).")
flags.DEFINE_boolean("replot", False, "Write the table and the plot from "
                     "the JSON at --output; time nothing.")
FLAGS = flags.FLAGS

WIDTH = 32


def flow_cells(family, height, batch, repeats):
  config = models.get_config(family, "default")
  config.model.dequantization = "uniform"  # The continuous flow alone.
  shape = (height, WIDTH, 1)
  model = models.build_model(config, shape)
  rng = np.random.default_rng(0)
  model.initialize(rng.integers(0, 256, (64,) + shape).astype(np.uint8))
  flow = model.normalizing_flow
  y = tf.constant(rng.uniform(0, 256, (batch,) + shape).astype(np.float32))
  z = tf.constant(rng.normal(size=(batch,) + shape).astype(np.float32))
  cells = {}
  for xla in (False, True):
    suffix = "_xla" if xla else ""
    density = tf.function(lambda y: flow.forward_and_log_det(y),
                          jit_compile=xla)
    sample = tf.function(lambda z: flow.inverse_and_log_det(z),
                         jit_compile=xla)
    cells["log_density_s" + suffix] = timing.median_seconds(density, (y,),
                                                            repeats)
    cells["sampling_s" + suffix] = timing.median_seconds(sample, (z,),
                                                         repeats)
  return cells


def masked_conv_cells(height, batch, repeats):
  cells = {}
  shape = (height, WIDTH, 1)
  x = tf.random.normal((batch,) + shape)
  for orientation in ("A", "C"):
    mcf = bijectors.MaskedConvFlow(shape, orientation, 4)
    for xla in (False, True):
      suffix = f"_{orientation}" + ("_xla" if xla else "")
      forward = tf.function(lambda x: mcf.forward_and_log_det(x),
                            jit_compile=xla)
      inverse = tf.function(lambda y: mcf.inverse_and_log_det(y),
                            jit_compile=xla)
      cells["mcf_forward_s" + suffix] = timing.median_seconds(
          forward, (x,), repeats)
      cells["mcf_inverse_s" + suffix] = timing.median_seconds(
          inverse, (x,), repeats)
  return cells


def summary(table, heights):
  """The ratios the MaCow issue sets goals for, per compilation mode."""
  result = {}
  if f"macow_h{heights[0]}" not in table:  # Run without MaCow.
    return result
  for suffix in ("", "_xla"):
    mode = "xla" if suffix else "no_xla"
    macow = {h: table[f"macow_h{h}"] for h in heights}
    if 32 in heights:
      result[f"macow_sampling_over_log_density_h32_{mode}"] = (
          macow[32]["sampling_s" + suffix] / macow[32]["log_density_s" + suffix])
      if "glow_h32" in table:
        result[f"macow_over_glow_sampling_h32_{mode}"] = (
            macow[32]["sampling_s" + suffix] /
            table["glow_h32"]["sampling_s" + suffix])
    if 32 in heights and 64 in heights:
      result[f"macow_sampling_t64_over_t32_{mode}"] = (
          macow[64]["sampling_s" + suffix] / macow[32]["sampling_s" + suffix])
      result[f"mcf_A_inverse_t64_over_t32_{mode}"] = (
          table["mcf_h64"]["mcf_inverse_s_A" + suffix] /
          table["mcf_h32"]["mcf_inverse_s_A" + suffix])
  return result


def markdown(results, heights):
  lines = [
      "# Sampling against height (`bazel run //bench:sampling_vs_height`)",
      "",
      f"Batch {results['batch_size']}, images H x {WIDTH} x 1, median of "
      f"{results['repeats']} calls; matmul rate of this host "
      f"{results['matmul_gflops']:.0f} GFLOP/s. Times in ms.",
      "",
      "| model | H | log-density | sampling | ratio | log-density XLA | "
      "sampling XLA | ratio XLA |",
      "|---|---|---|---|---|---|---|---|"]
  for family in FLAGS.models:
    for h in heights:
      c = results["table"][f"{family}_h{h}"]
      lines.append(
          f"| {family} | {h} | {1e3 * c['log_density_s']:.1f} | "
          f"{1e3 * c['sampling_s']:.1f} | "
          f"{c['sampling_s'] / c['log_density_s']:.2f} | "
          f"{1e3 * c['log_density_s_xla']:.1f} | "
          f"{1e3 * c['sampling_s_xla']:.1f} | "
          f"{c['sampling_s_xla'] / c['log_density_s_xla']:.2f} |")
  lines += ["", "One masked-conv flow (H x 32 x 1, width 4):", "",
            "| H | A fwd | A inv | C fwd | C inv | A fwd XLA | A inv XLA | "
            "C fwd XLA | C inv XLA |", "|---|---|---|---|---|---|---|---|---|"]
  for h in heights:
    c = results["table"][f"mcf_h{h}"]
    keys = ["mcf_forward_s_A", "mcf_inverse_s_A", "mcf_forward_s_C",
            "mcf_inverse_s_C"]
    keys += [k + "_xla" for k in keys]
    lines.append(f"| {h} | " + " | ".join(f"{1e3 * c[k]:.2f}" for k in keys)
                 + " |")
  lines += ["", "Ratios:", ""] + [
      f"- {k}: {v:.2f}" for k, v in results["summary"].items()]
  lines += ["", "![time against height](sampling_vs_height.png)"]
  return "\n".join(lines) + "\n"


def plot(results, models, heights, path):
  """Milliseconds per batch against H (log-log), without and with XLA."""
  figure, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
  for axis, suffix in zip(axes, ("", "_xla")):
    for family in models:
      for key, style in (("log_density_s", "--"), ("sampling_s", "-")):
        axis.plot(heights, [1e3 * results["table"][f"{family}_h{h}"][
            key + suffix] for h in heights], style, marker="o",
                  label=f"{family} {key[:-2].replace('_', '-')}")
    axis.plot(heights, [1e3 * results["table"][f"mcf_h{h}"][
        "mcf_inverse_s_A" + suffix] for h in heights], ":", marker="s",
              label="one masked-conv flow (A), inverse")
    axis.set_xscale("log", base=2)
    axis.set_yscale("log")
    axis.set_xticks(heights, [str(h) for h in heights])
    axis.set_xlabel(f"image height H (width {WIDTH}, 1 channel)")
    axis.set_title("XLA" if suffix else "no XLA")
    axis.grid(alpha=0.3)
  axes[0].set_ylabel(f"ms per batch of {results['batch_size']}")
  axes[1].legend(fontsize=8)
  figure.suptitle(f"matmul {results['matmul_gflops']:.0f} GFLOP/s, "
                  f"{results['cores']} cores", fontsize=9)
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def _docs_dir(json_path):
  return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
      json_path))), "docs")


def _write_docs(results, json_path):
  heights = sorted({int(name.split("_h")[1]) for name in results["table"]})
  models = [m for m in FLAGS.models
            if f"{m}_h{heights[0]}" in results["table"]]
  plot_path = FLAGS.plot
  if FLAGS.output is None:
    docs = _docs_dir(json_path)
    os.makedirs(docs, exist_ok=True)
    with open(os.path.join(docs, "sampling_vs_height.md"), "w") as f:
      f.write(markdown(results, heights))
    plot_path = plot_path or os.path.join(docs, "sampling_vs_height.png")
  if plot_path:
    plot(results, models, heights, plot_path)
    print(f"Wrote {plot_path}")


def main(argv):
  del argv
  if FLAGS.replot:
    path = FLAGS.output or results_io.default_path("sampling_vs_height")
    with open(path) as f:
      _write_docs(json.load(f), path)
    return
  heights = [int(h) for h in FLAGS.heights]
  results = {"batch_size": FLAGS.batch_size, "repeats": FLAGS.repeats,
             "matmul_gflops": timing.matmul_gflops(),
             "tf_version": tf.__version__,
             "cores": os.cpu_count(), "table": {}}
  for h in heights:
    for family in FLAGS.models:
      results["table"][f"{family}_h{h}"] = flow_cells(
          family, h, FLAGS.batch_size, FLAGS.repeats)
    results["table"][f"mcf_h{h}"] = masked_conv_cells(
        h, FLAGS.batch_size, FLAGS.repeats)
  results["summary"] = summary(results["table"], heights)
  _write_docs(results, results_io.report(results, "sampling_vs_height",
                                         FLAGS.output))


if __name__ == "__main__":
  app.run(main)
