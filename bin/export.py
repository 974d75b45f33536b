"""Exports a trained run as a SavedModel: `bazel run //bin:export -- --workdir=DIR`.

Signatures: log_prob(images uint8 [N,H,W,C], seed int64 [2]) and
sample(num_samples int32, temperature float32, seed int64 [2]); load with
`tf.saved_model.load(path)`, no tfp_flows needed.
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import flags  # pylint: disable=g-import-not-at-top

from tfp_flows.training import cli
from tfp_flows.training import tools

flags.DEFINE_string("workdir", None, "Run folder written by bin/train.",
                    required=True)
flags.DEFINE_string("export_dir", None,
                    "SavedModel folder (default: DIR/export).")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  path = tools.export_workdir(cli.user_path(FLAGS.workdir),
                              cli.user_path(FLAGS.export_dir))
  print(f"Exported SavedModel to {path}")


if __name__ == "__main__":
  cli.run(main)
