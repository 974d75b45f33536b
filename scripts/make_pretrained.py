"""Ships a finished default run as a pretrained model: tfp_flows/pretrained/.

    PYTHONPATH=. .venv/bin/python scripts/make_pretrained.py \
        --workdir=DIR [--name=glow] [--made_by="..."]

Takes the EMA weights and config of the run in DIR (a family's `default`
preset on the embedded digits, trained by `bin/train` or `bench:default_runs`),
writes them under `tfp_flows/pretrained/<name>/` and records in MANIFEST.json
their SHA-256, the run (`--made_by`, its steps, wall time and seed) and, from
the shipped files reloaded, test bits/dim on the whole test split and on the
200-image subset (`tests/training/pretrained_test.py` checks the latter). A deliberate
step: say in the commit which run made the files.
"""

import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

from tfp_flows.training import evaluation
from tfp_flows.training import export
from tfp_flows.training import pretrained
from tfp_flows.training import train
from tfp_flows.training import workdir as workdir_lib

SUBSET_SIZE = 200

flags.DEFINE_string("workdir", None, "The finished run.", required=True)
flags.DEFINE_string("name", None, "Name to ship it as (default: its family).")
flags.DEFINE_string("made_by", "", "How the run was made (command, commit).")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  config = workdir_lib.read_config(FLAGS.workdir)
  run_info = workdir_lib.read_run_info(FLAGS.workdir)
  with open(os.path.join(FLAGS.workdir, workdir_lib.METRICS_FILE)) as f:
    metrics = json.load(f)
  name = FLAGS.name or config.model.name
  record = {
      "made_by": FLAGS.made_by,
      "dataset": run_info["dataset"],
      "steps": metrics["steps"],
      "seed": config.train.seed,
      "wall_time_s": metrics["wall_time_s"],
      "parameters": metrics["parameters"],
  }
  pretrained.write(name, export.load(FLAGS.workdir), config,
                   run_info["event_shape"], record)
  # The figures are those of the shipped files, read back as users read them.
  model = pretrained.load_pretrained(name)
  dataset = train.load_data(config)
  entry = pretrained.add_figures(name, {
      "test_bpd": evaluation.evaluate(
          model, dataset, config.eval.batch_size)["test_bpd"],
      f"test_bpd_subset_{SUBSET_SIZE}": evaluation.evaluate(
          model, dataset, config.eval.batch_size,
          max_images=SUBSET_SIZE)["test_bpd"],
  })
  print(f"Wrote {os.path.join(pretrained.ROOT, name)}: {entry}")


if __name__ == "__main__":
  app.run(main)
