"""Samples from a trained run: `bazel run //bin:sample -- --workdir=DIR`.

Writes a PNG grid (EMA weights) to --output or DIR/samples_tT.png.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import flags  # pylint: disable=g-import-not-at-top

from tfp_flows.training import cli
from tfp_flows.training import tools

flags.DEFINE_string("workdir", None, "Run folder written by bin/train.",
                    required=True)
flags.DEFINE_integer("num_samples", 64, "Images to sample.")
flags.DEFINE_float("temperature", 1.0,
                   "Scales every prior's standard deviation.")
flags.DEFINE_integer("seed", 0, "Sampling seed.")
flags.DEFINE_string("output", None, "PNG path (default: in the workdir).")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  samples, path = tools.sample_workdir(
      cli.user_path(FLAGS.workdir), FLAGS.num_samples, FLAGS.temperature,
      FLAGS.seed, cli.user_path(FLAGS.output))
  print(f"Wrote {len(samples)} samples of shape {samples.shape[1:]} to {path}")


if __name__ == "__main__":
  cli.run(main)
