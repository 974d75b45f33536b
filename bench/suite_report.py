"""The benchmark suite's figures as console lines, a Markdown page and a plot."""

import matplotlib

matplotlib.use("Agg")  # Files only; no display.
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top


def one_line(name, figures):
  if "error" in figures:
    return f"{name}: FAILED {figures['error']}"
  return (f"{name}: {figures['images_per_s']:.1f} images/s, peak "
          f"{figures['peak_rss_gib']:.2f} GiB, trace+compile "
          f"{figures['trace_compile_s']:.1f} s ({figures['cell_wall_s']:.0f} s)")


def _rate(figures):
  return (f"{figures['images_per_s']:.1f} ({figures['images_per_s_min']:.1f}"
          f"-{figures['images_per_s_max']:.1f})")


def _matmul(results):
  return max(results["matmul_gflops_before"], results["matmul_gflops_after"])


def _header(results):
  machine = results["machine"]
  return [
      "# Benchmarks",
      "",
      "Written by `bazel run //bench:suite` (`bench/suite.py` says what each "
      "cell measures; the JSON is `bench/results/suite.json`).",
      "",
      f"- Host: {machine['cpu']} ({' '.join(machine['cpu_flags'])}), "
      f"{machine['cores']} cores; TensorFlow {machine['tensorflow']}, TFP "
      f"{machine['tensorflow_probability']}; {machine['date']}.",
      f"- float32 4096x4096 matmul: {results['matmul_gflops_before']:.1f} "
      f"GFLOP/s before the cells, {results['matmul_gflops_after']:.1f} after "
      "(the fractions below use the larger).",
      f"- Each cell in its own process; images/s is the median over "
      f"{results['steps']} timed steps after the first call and one warm-up "
      "(min-max in brackets), the loss fetched every step. Peak memory is "
      "the process's peak RSS. Trace + compile is the first call minus the "
      "median step. Suite wall time "
      f"{results['suite_wall_s'] / 60:.1f} min.",
      "",
  ]


_TRAIN_HEADING = "## Training step of each CPU preset (batch of the preset)"
_ATTENTION_HEADING = ("## Flow++ with attention at 32x32x3 (`cifar10_narrow`, "
                      "batch 16)")


def _step_table(results, prefix, heading):
  lines = [
      heading,
      "",
      "| cell | params | batch | images/s | peak GiB | trace+compile s | "
      "GFLOP/step | GFLOP/s | of matmul | log_prob ms/image | "
      "sample ms/image |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ]
  for name, f in results["cells"].items():
    if not name.startswith(prefix) or "error" in f:
      continue
    inference = (f"{f['log_prob_ms_per_image']:.2f} | "
                 f"{f['sample_ms_per_image']:.1f}"
                 if "log_prob_ms_per_image" in f else "|")
    lines.append(
        f"| {name} | {f['parameters']:,} | {f['batch_size']} | {_rate(f)} | "
        f"{f['peak_rss_gib']:.2f} | {f['trace_compile_s']:.1f} | "
        f"{f['train_step_gflop']:.2f} | {f['achieved_gflops']:.1f} | "
        f"{f['achieved_gflops'] / _matmul(results):.0%} | {inference} |")
  return lines + [""]


def _vs_tfp_table(results):
  cells = results["cells"]
  lines = [
      "## This project's Glow against TFP's `tfb.Glow`",
      "",
      "Same levels, steps, coupling width and batch; uniform dequantization "
      "and centring; Adam; random pixels. tfp_flows runs its own "
      "`TrainStep` (EMA and NaN guard included); `tfb.Glow` a plain step.",
      "",
      "| shape | mode | tfp_flows images/s | tfb.Glow images/s | ratio | "
      "ratio to tfb.Glow's fastest mode | params tfp_flows / tfb.Glow | "
      "peak GiB tfp_flows / tfb.Glow | tfp_flows of matmul |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ]
  shapes = sorted({n.split("/")[1] for n in cells if n.startswith("vs_tfp/")})
  for shape in shapes:
    tfp_rates = [cells[n]["images_per_s"] for n in cells
                 if n.startswith(f"vs_tfp/{shape}/") and n.endswith("/tfp")
                 and "error" not in cells[n]]
    for mode in ("graph", "xla"):
      ours = cells.get(f"vs_tfp/{shape}/{mode}/tfp_flows")
      theirs = cells.get(f"vs_tfp/{shape}/{mode}/tfp")
      if not ours or not theirs or "error" in ours or "error" in theirs:
        continue
      described = "x".join(map(str, ours["event_shape"]))
      lines.append(
          f"| ({shape}) {described}, batch {ours['batch_size']} | {mode} | "
          f"{_rate(ours)} | {_rate(theirs)} | "
          f"{ours['images_per_s'] / theirs['images_per_s']:.2f} | "
          f"{ours['images_per_s'] / max(tfp_rates):.2f} | "
          f"{ours['parameters']:,} / {theirs['parameters']:,} | "
          f"{ours['peak_rss_gib']:.2f} / {theirs['peak_rss_gib']:.2f} | "
          f"{ours['achieved_gflops'] / _matmul(results):.0%} |")
  return lines + [""]


def _compile_table(results):
  lines = [
      "## Trace + compile of the first step, `cifar10` presets (batch 4)",
      "",
      "As each preset trains (`/scanned`: with `train.scan_repeats`).",
      "",
      "| cell | XLA | params | first call s | step s | trace+compile s |",
      "|---|---|---:|---:|---:|---:|",
  ]
  for name, f in results["cells"].items():
    if name.startswith("compile/") and "error" not in f:
      lines.append(f"| {name} | {'yes' if f['jit_compile'] else 'no'} | "
                   f"{f['parameters']:,} | {f['first_step_s']:.1f}"
                   f" | {f['step_s_median']:.2f} | "
                   f"{f['trace_compile_s']:.1f} |")
  return lines + [""]


def _failures(results):
  failed = {n: f for n, f in results["cells"].items() if "error" in f}
  if not failed:
    return []
  return ["## Cells that failed", ""] + [
      f"- `{n}`: {' '.join(f['error'])}" for n, f in failed.items()] + [""]


def markdown(results):
  return "\n".join(_header(results)
                   + _step_table(results, "train/", _TRAIN_HEADING)
                   + _vs_tfp_table(results)
                   + _step_table(results, "attention/", _ATTENTION_HEADING)
                   + _compile_table(results)
                   + _failures(results))


def plot(results, path):
  """Images/s of every training cell, tfb.Glow's beside this project's."""
  cells = {n: f for n, f in results["cells"].items()
           if "error" not in f and not n.startswith("compile/")}
  names = list(cells)
  figure, axis = plt.subplots(figsize=(8, 0.35 * len(names) + 1.5))
  colours = ["tab:orange" if n.endswith("/tfp") else "tab:blue"
             for n in names]
  axis.barh(range(len(names)), [cells[n]["images_per_s"] for n in names],
            xerr=[[cells[n]["images_per_s"] - cells[n]["images_per_s_min"]
                   for n in names],
                  [cells[n]["images_per_s_max"] - cells[n]["images_per_s"]
                   for n in names]],
            color=colours)
  axis.set_yticks(range(len(names)), names, fontsize=8)
  axis.invert_yaxis()
  axis.set_xlabel("training images/s (median; bars: min-max)")
  axis.set_title(f"{results['machine']['cpu']}, matmul "
                 f"{_matmul(results):.0f} GFLOP/s (orange: tfb.Glow)",
                 fontsize=9)
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)
