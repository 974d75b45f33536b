"""What evaluation during training costs a default run.

`bazel run //bench:eval_overhead -- --model=glow [--steps=N]` trains the
family's default preset from scratch with the periodic evaluation as
configured (a tenth of the run apart: 10 points) and reports the time the
evaluations took (each point times itself, `eval_time_s` in metrics.jsonl)
against the run's wall time (invocation of `train_and_evaluate` to its
end), with this host's matmul rate measured in the same run. Both figures
come from the same run, so a busy host slows them alike; comparing two runs
(with and without) on a shared 2-core host measured the load, not the
evaluation (0.87x "overhead" at 18 GFLOP/s).
"""

import os
import tempfile

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags

from bench import results_io
from bench import timing
from tfp_flows import models
from tfp_flows.training import periodic_eval
from tfp_flows.training import train

flags.DEFINE_string("model", "glow", "Family; its default preset is run.")
flags.DEFINE_integer("steps", 0, "Training steps (0: the preset's).")
flags.DEFINE_string("output", None, "JSON path (default bench/results/).")
FLAGS = flags.FLAGS


def main(argv):
  del argv
  gflops = timing.matmul_gflops()
  workdir = os.path.join(tempfile.mkdtemp(), FLAGS.model)
  config = models.get_config(FLAGS.model, "default")
  config.train.steps = FLAGS.steps or config.train.steps
  metrics = train.train_and_evaluate(config, workdir, log=lambda m: None)
  points = periodic_eval.read_metrics(workdir)
  eval_s = sum(point["eval_time_s"] for point in points.values())
  results_io.report({
      "model": FLAGS.model, "steps": config.train.steps,
      "eval_points": len(points), "subset_size": config.eval.subset_size,
      "eval_s": round(eval_s, 1), "wall_s": metrics["wall_time_s"],
      "eval_fraction_of_wall": eval_s / metrics["wall_time_s"],
      "matmul_gflops": round(gflops, 1),
  }, f"eval_overhead_{FLAGS.model}", FLAGS.output)


if __name__ == "__main__":
  app.run(main)
