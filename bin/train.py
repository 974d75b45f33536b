"""Trains a flow: `bazel run //bin:train -- --model=glow`.

Flags: --model (a registered family; see --helpshort),
--config=configs/glow.py:cifar10 and --config.section.key=value overrides,
--steps, --dataset, --data_dir, --workdir, --strategy (default | mirrored |
multi_worker).
"""

import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import flags  # pylint: disable=g-import-not-at-top
from absl import logging
from ml_collections import config_flags

from tfp_flows import data
from tfp_flows.models import registry
from tfp_flows.training import cli
from tfp_flows.training import strategies
from tfp_flows.training import train

flags.DEFINE_string("model", None, "Model family, one of "
                    f"{', '.join(registry.family_names())}; trains its default "
                    "preset (default glow). --config wins over it.")
config_flags.DEFINE_config_file("config", None, "Config file and preset.")
flags.DEFINE_string("workdir", None, "Run folder (default: per model).")
flags.DEFINE_integer("steps", None, "Overrides config.train.steps.")
flags.DEFINE_string("dataset", None, "Overrides config.data.dataset: "
                    f"{', '.join(data.VALID_SPECS)}.")
flags.DEFINE_string("data_dir", None, "TFDS data_dir.")
flags.DEFINE_enum("strategy", "default", strategies.STRATEGIES,
                  "tf.distribute strategy.")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  config = cli.apply_overrides(FLAGS.config, FLAGS.steps, FLAGS.dataset,
                               FLAGS.data_dir)
  workdir = cli.workdir_for(FLAGS.workdir, config, log=cli.log)
  train.train_and_evaluate(config, workdir, FLAGS.strategy, log=cli.log)


if __name__ == "__main__":
  logging.set_verbosity(logging.WARNING)
  cli.run(main)
