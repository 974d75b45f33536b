"""`bench:reproduce`'s report: statistics over seeds, the papers' claims,
the Markdown section of `docs/results.md`, the curves' plot, sample grids.

Every figure is the importance-weighted bound (K draws) on the whole test
split unless named the ELBO. A gap between two models is significant when
the difference of their means is larger than twice its standard error over
seeds, sqrt(sd_a^2 / n_a + sd_b^2 / n_b) with sample standard deviations; one
seed gives no standard error, so no verdict on significance.
"""

import os
import shutil

import matplotlib

matplotlib.use("Agg")  # Files only; no display.
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np

BEGIN_MARKER = "<!-- bench:reproduce begins: generated, edits are lost -->"
END_MARKER = "<!-- bench:reproduce ends -->"
PLOT_FILE = "results_bpd.png"


class Claim:
  """A paper's claim that model `better` has lower bits/dim than `worse`."""

  def __init__(self, statement, better, worse, source):
    self.statement, self.better, self.worse = statement, better, worse
    self.source = source


CLAIMS = (
    Claim("Flow++ beats MaCow", "flowpp", "macow", "ordering (3.08 < 3.16)"),
    Claim("MaCow beats Glow", "macow", "glow", "ordering (3.16 < 3.35)"),
    Claim("Glow beats RealNVP", "glow", "realnvp", "ordering (3.35 < 3.49)"),
    Claim("variational dequantization helps Flow++", "flowpp",
          "flowpp_uniform", "Flow++ ablation (3.165 vs 3.292)"),
    Claim("mixture couplings beat affine ones", "flowpp", "flowpp_affine",
          "Flow++ ablation (3.165 vs 3.200)"),
    Claim("attention helps Flow++", "flowpp", "flowpp_no_attention",
          "Flow++ ablation (3.165 vs 3.193)"),
    Claim("variational dequantization helps MaCow", "macow", "macow_uniform",
          "MaCow (3.16 vs about 3.28, unchecked)"),
)
# Asked by MaCow's reviewers; no paper claims an answer.
QUESTIONS = (
    Claim("masked convolutions help Flow++", "flowpp_hybrid", "flowpp",
          "MaCow reviewers' question"),
)


def stats(values):
  """(mean, sample standard deviation or None, n)."""
  values = np.asarray(values, dtype=np.float64)
  sd = float(np.std(values, ddof=1)) if len(values) > 1 else None
  return float(np.mean(values)), sd, len(values)


def compare(better_values, worse_values):
  """The claim `better < worse` on per-seed figures.

  Returns (difference worse - better, its standard error or None, agrees,
  significant or None).
  """
  better_mean, better_sd, better_n = stats(better_values)
  worse_mean, worse_sd, worse_n = stats(worse_values)
  difference = worse_mean - better_mean
  if better_sd is None or worse_sd is None:
    return difference, None, difference > 0, None
  error = float(np.sqrt(better_sd ** 2 / better_n + worse_sd ** 2 / worse_n))
  return difference, error, difference > 0, abs(difference) > 2 * error


def _mean_sd(values, digits=3):
  mean, sd, _ = stats(values)
  if sd is None:
    return f"{mean:.{digits}f}"
  return f"{mean:.{digits}f} +- {sd:.{digits}f}"


def _minutes(seconds):
  return f"{seconds / 60:.1f}"


def _run_row(run, seeds):
  if not seeds:
    return (f"| `{run.name}` | {run.description} | | 0 | not run yet | | | "
            f"| {_published(run)} |")
  rates = [rate for seed in seeds for rate in seed["matmul_gflops"]]
  train_seconds = np.mean([seed["train_seconds"] for seed in seeds])
  return (f"| `{run.name}` | {run.description} | "
          f"{seeds[0]['parameters']:,} | {len(seeds)} | "
          f"**{_mean_sd([s['test_bpd_iw'] for s in seeds])}** | "
          f"{_mean_sd([s['test_bpd'] for s in seeds])} | "
          f"{_minutes(train_seconds)} | "
          f"{min(rates):.0f}-{max(rates):.0f} | {_published(run)} |")


def _published(run):
  if not run.published_cifar10:
    return "-"
  if run.published_checked:
    return run.published_cifar10
  return f"about {run.published_cifar10} (unchecked)"


def _claim_row(claim, results):
  better, worse = results.get(claim.better), results.get(claim.worse)
  if not better or not worse:
    return f"| {claim.statement} | {claim.source} | | | not run yet | |"
  difference, error, agrees, significant = compare(
      [s["test_bpd_iw"] for s in better], [s["test_bpd_iw"] for s in worse])
  means = (f"{np.mean([s['test_bpd_iw'] for s in better]):.3f} vs "
           f"{np.mean([s['test_bpd_iw'] for s in worse]):.3f}")
  gap = f"{difference:+.3f}" + ("" if error is None else f" +- {error:.3f}")
  if significant is None:
    verdict = "no error bar (one seed)"
  else:
    verdict = "yes" if significant else "no"
  return (f"| {claim.statement} | {claim.source} | {means} | {gap} | "
          f"{'yes' if agrees else '**no**'} | {verdict} |")


def markdown(results, runs, study, seeds_asked):
  """The generated section of `docs/results.md`."""
  k = study["num_dequant_samples"]
  finished = [seed for seeds in results.values() for seed in seeds]
  done = len(finished)
  train_hours = sum(seed["train_seconds"] for seed in finished) / 3600
  eval_minutes = sum(seed["eval_seconds"] or 0 for seed in finished) / 60
  lines = [
      BEGIN_MARKER,
      "",
      f"Made by `bazel run //bench:reproduce` ({done} of "
      f"{len(runs) * len(seeds_asked)} runs finished: {len(runs)} models x "
      f"seeds {', '.join(map(str, seeds_asked))}). Every run trains its "
      f"family's shipped `{study['preset']}` preset on the embedded digits "
      f"for the same budget of **{study['images']:,} training images** "
      f"({study['steps_note']}), its cosine schedule stretched or shrunk to "
      f"that length, then is scored on the whole test split (1,000 images) "
      f"with its EMA weights: the importance-weighted bound with K = {k} "
      f"draws (bold) and the single-draw ELBO averaged over the same draws. "
      f"Figures are mean +- sample standard deviation over seeds. Training "
      f"time is per run (mean over seeds), measured on the host whose "
      f"float32 4096^2 matmul rate is given (one measurement before each "
      f"training process). The finished runs took {train_hours:.2f} hours "
      f"of training and {eval_minutes:.1f} minutes of evaluation in all.",
      "",
      f"| run | model | parameters | seeds | test bits/dim, IW K={k} | "
      f"ELBO | training min | matmul GFLOP/s | published CIFAR-10 |",
      "|---|---|---:|---:|---:|---:|---:|---:|---:|",
  ]
  lines += [_run_row(run, results.get(run.name, [])) for run in runs]
  lines += [
      "",
      "The published column is the paper's CIFAR-10 figure (3 channels, 8 "
      "bits, models 10-100x larger), beside which only the ordering is "
      "comparable; the Flow++ ablations' figures are the paper's "
      "not-converged ablation runs (full model 3.165 there).",
      "",
      "How each shipped preset departs from its paper:",
      "",
  ]
  seen = set()
  for run in runs:
    if run.departures not in seen:
      seen.add(run.departures)
      lines.append(f"- {run.family}: {run.departures}.")
  lines += [
      "",
      f"![test bits/dim against training images seen]({PLOT_FILE})",
      "",
      f"`{PLOT_FILE}`: bits/dim of the EMA weights on the 200 held-out "
      "images of the periodic evaluation, against training images seen; the "
      "line is the mean over seeds, the band spans the lowest to the highest "
      "seed.",
      "",
      "### The papers' claims at CPU scale",
      "",
      "A claim agrees when the means are in the paper's order; the gap is "
      "significant when it exceeds twice its standard error over seeds.",
      "",
      "| claim | source | means (IW) | gap (worse - better) | agrees | "
      "significant |",
      "|---|---|---:|---:|---|---|",
  ]
  lines += [_claim_row(claim, results) for claim in CLAIMS + QUESTIONS]
  lines += ["", "### Samples (seed of the lowest number, temperature of the "
            "preset)", ""]
  for run in runs:
    if results.get(run.name):
      lines.append(f"- `{run.name}`: ![{run.name}](samples_{run.name}.png)")
  lines += ["", END_MARKER]
  return "\n".join(lines) + "\n"


def plot(results, runs, path):
  """Held-out bits/dim against images seen: mean line, min-max band."""
  figure, axis = plt.subplots(figsize=(8, 5))
  for run in runs:
    seeds = [s for s in results.get(run.name, []) if s["curve"]]
    if not seeds:
      continue
    length = min(len(s["curve"]) for s in seeds)
    images = [x for x, _ in seeds[0]["curve"][:length]]
    values = np.array([[y for _, y in s["curve"][:length]] for s in seeds])
    line, = axis.plot(images, values.mean(axis=0), label=run.name)
    if len(seeds) > 1:
      axis.fill_between(images, values.min(axis=0), values.max(axis=0),
                        color=line.get_color(), alpha=0.2)
  axis.set_xlabel("training images seen")
  axis.set_ylabel("held-out bits/dim (200 test images, EMA)")
  axis.set_ylim(top=min(axis.get_ylim()[1], 2.5))
  if axis.lines:
    axis.legend(fontsize=8)
  else:
    axis.text(0.5, 0.5, "no finished run yet", ha="center",
              transform=axis.transAxes)
  axis.grid(alpha=0.3)
  figure.tight_layout()
  figure.savefig(path, dpi=100)
  plt.close(figure)


def write(results, runs, study, seeds_asked, docs_dir):
  """Writes the section into `docs_dir/results.md`, the plot, the grids.

  The section replaces the text between the markers; a results.md without
  them gets the section appended.
  """
  os.makedirs(docs_dir, exist_ok=True)
  section = markdown(results, runs, study, seeds_asked)
  path = os.path.join(docs_dir, "results.md")
  text = ""
  if os.path.isfile(path):
    with open(path) as f:
      text = f.read()
  if BEGIN_MARKER in text and END_MARKER in text:
    head, rest = text.split(BEGIN_MARKER, 1)
    tail = rest.split(END_MARKER, 1)[1].lstrip("\n")
    text = head + section + ("\n" + tail if tail else "")
  else:
    text = text + ("\n" if text else "") + section
  temporary = path + ".tmp"
  with open(temporary, "w") as f:
    f.write(text)
  os.replace(temporary, path)
  plot(results, runs, os.path.join(docs_dir, PLOT_FILE))
  for run in runs:
    seeds = results.get(run.name)
    if seeds and os.path.isfile(seeds[0]["samples"]):
      shutil.copyfile(seeds[0]["samples"],
                      os.path.join(docs_dir, f"samples_{run.name}.png"))
  return path
