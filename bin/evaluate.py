"""Evaluates a trained run: `bazel run //bin:evaluate -- --workdir=DIR`.

Reports the test bits/dim (single-draw ELBO) and, with
--num_dequant_samples=K > 1, the importance-weighted bound, next to the
per-pixel baseline; writes them to DIR/eval_kK.json.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import flags  # pylint: disable=g-import-not-at-top

from tfp_flows.training import cli
from tfp_flows.training import tools

flags.DEFINE_string("workdir", None, "Run folder written by bin/train.",
                    required=True)
flags.DEFINE_integer("num_dequant_samples", 1,
                     "Dequantization draws per image (K).")
flags.DEFINE_integer("max_test_images", 0,
                     "Evaluate only this many test images, evenly "
                     "spaced over the test split (0 = all).")
flags.DEFINE_integer("batch_size", 0,
                     "(image, draw) pairs per batch (0 = the config's).")
flags.DEFINE_integer("seed", 0, "Seed of the dequantization noise.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  metrics, path = tools.evaluate_workdir(
      cli.user_path(FLAGS.workdir), FLAGS.num_dequant_samples,
      FLAGS.max_test_images, FLAGS.batch_size, FLAGS.seed)
  print(tools.summarize(metrics))
  print(f"Wrote {path}")


if __name__ == "__main__":
  cli.run(main)
