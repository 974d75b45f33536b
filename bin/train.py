"""Trains a flow: `bazel run //bin:train -- --model=glow`.

Flags: --model (glow | realnvp | flowpp), --config=configs/glow.py:cifar10 and
--config.section.key=value overrides, --steps, --dataset, --data_dir,
--workdir, --strategy (default | mirrored | multi_worker).
"""

import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
from absl import logging
from ml_collections import config_flags

from tfp_flows.training import cli
from tfp_flows.training import strategies
from tfp_flows.training import train

flags.DEFINE_string("model", None, "Model family: glow, realnvp or flowpp "
                    "(macow is not implemented yet).")
config_flags.DEFINE_config_file("config", None, "Config file and preset.")
flags.DEFINE_string("workdir", None, "Run folder (default: per model).")
flags.DEFINE_integer("steps", None, "Overrides config.train.steps.")
flags.DEFINE_string("dataset", None, "Overrides config.data.dataset: "
                    "embedded, mnist, cifar10, celeb_a, imagenet_resized/32x32,"
                    " imagenet_resized/64x64, images:/folder, npz:/file.npz.")
flags.DEFINE_string("data_dir", None, "TFDS data_dir.")
flags.DEFINE_enum("strategy", "default", strategies.STRATEGIES,
                  "tf.distribute strategy.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  config = cli.apply_overrides(FLAGS.config, FLAGS.steps, FLAGS.dataset,
                               FLAGS.data_dir)
  workdir = cli.workdir_for(FLAGS.workdir, config, log=cli.log)
  cli.exit_on_user_error(train.train_and_evaluate, config, workdir,
                         FLAGS.strategy, log=cli.log)


if __name__ == "__main__":
  logging.set_verbosity(logging.WARNING)
  app.run(main, argv=cli.rewrite_config_args(sys.argv))
