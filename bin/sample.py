"""Samples from a trained run: `bazel run //bin:sample -- --workdir=DIR`.

Writes a PNG grid (EMA weights) per temperature to DIR/samples_tT.png (or
--output); `--temperature=0.7,0.8,0.9,1.0` writes four. `--pretrained=glow`
samples a model that ships with the package instead, into
samples_glow.png in the current directory (or --output).
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import flags  # pylint: disable=g-import-not-at-top

from tfp_flows import errors
from tfp_flows.training import cli
from tfp_flows.training import pretrained
from tfp_flows.training import tools

flags.DEFINE_string("workdir", None, "Run folder written by bin/train.")
flags.DEFINE_string("pretrained", None, "Instead of --workdir: a model that "
                    "ships with the package, one of "
                    f"{', '.join(pretrained.names())}.")
flags.DEFINE_integer("num_samples", 64, "Images to sample.")
flags.DEFINE_list("temperature", ["1.0"],
                  "Comma-separated temperatures, one grid each; T scales "
                  "every prior's standard deviation.")
flags.DEFINE_integer("seed", 0, "Sampling seed.")
flags.DEFINE_string("output", None, "PNG path (default: in the workdir, or "
                    "samples_<name>.png for --pretrained).")
flags.mark_flags_as_mutual_exclusive(["workdir", "pretrained"], required=True)
FLAGS = flags.FLAGS


def main(argv):
  del argv
  try:
    temperatures = [float(t) for t in FLAGS.temperature]
  except ValueError:
    raise errors.ConfigError(
        f"--temperature={','.join(FLAGS.temperature)}: give numbers, e.g. "
        f"--temperature=0.7,1.0.") from None
  if FLAGS.pretrained:
    written = tools.sample_pretrained(
        FLAGS.pretrained, FLAGS.num_samples, temperatures, FLAGS.seed,
        cli.user_path(FLAGS.output or f"samples_{FLAGS.pretrained}.png"))
  else:
    written = tools.sample_workdir(
        cli.user_path(FLAGS.workdir), FLAGS.num_samples, temperatures,
        FLAGS.seed, cli.user_path(FLAGS.output))
  for samples, path in written:
    print(f"Wrote {len(samples)} samples of shape {samples.shape[1:]} to "
          f"{path}")


if __name__ == "__main__":
  cli.run(main)
