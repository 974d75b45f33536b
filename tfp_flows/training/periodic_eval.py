"""Evaluation during training: a fixed held-out subset, EMA weights, samples.

Every `config.eval.every_steps` steps (0: a tenth of `train.steps`) and at
the last step, the trainer scores the first `config.eval.subset_size` test
images, with the same seeded dequantization noise each time, under the EMA
weights, and draws a sample grid. Each point goes to the console,
TensorBoard (`eval/subset_bpd`, `eval/samples`), `metrics.jsonl` (one JSON
object per line) and `samples/step_<N>.png` in the workdir.

A resumed run re-runs the steps after its checkpoint; a step already in
`metrics.jsonl` is not evaluated or logged again. Readers take the last
entry per step (`read_metrics`), so a line written twice by a crash between
the append and the checkpoint is harmless.
"""

import json
import os
import time

import tensorflow as tf

from tfp_flows import models
from tfp_flows.training import evaluation
from tfp_flows.training import images as images_lib

METRICS_FILE = "metrics.jsonl"
SAMPLES_DIR = "samples"
# The noise of the subset's dequantization: fixed, unlike the training noise.
_NOISE_STREAM = 2


def every_steps(config):
  """The evaluation interval in steps (`eval.every_steps`, 0: steps / 10)."""
  return config.eval.every_steps or max(1, config.train.steps // 10)


def read_metrics(workdir):
  """`{step: entry}` from `metrics.jsonl`; the last entry per step wins."""
  path = os.path.join(workdir, METRICS_FILE)
  entries = {}
  if not tf.io.gfile.exists(path):
    return entries
  with tf.io.gfile.GFile(path) as f:
    for line in f:
      try:
        entry = json.loads(line)
      except json.JSONDecodeError:
        continue  # A line cut short by a kill.
      entries[int(entry["step"])] = entry
  return entries


class PeriodicEvaluator:
  """Scores the EMA weights on the subset and writes a grid, when due."""

  def __init__(self, config, event_shape, dataset, workdir, writer, log):
    self._config, self._dataset = config, dataset
    self._workdir, self._writer, self._log = workdir, writer, log
    self._every = every_steps(config)
    self._logged = set(read_metrics(workdir))
    # One single-device model, traced once, receives the weights each time.
    self.model = models.build_model(config, event_shape)
    self.model.build()
    self._scorer = evaluation.Scorer(self.model, config.eval.batch_size)
    self._sample = tf.function(
        lambda seed: self.model.sample(config.eval.num_samples,
                                       temperature=config.eval.temperature,
                                       seed=seed),
        autograph=False)

  def due(self, step):
    return ((step % self._every == 0 or step == self._config.train.steps)
            and step not in self._logged)

  def __call__(self, run, step):
    """Evaluates `run`'s EMA weights at `step`; returns the entry."""
    start = time.time()
    for source, target in zip(run.model.variables, self.model.variables):
      target.assign(source)
    run.ema.copy_to(self.model.trainable_variables)
    seed = self._config.train.seed
    bpd = self._scorer(self._dataset, seed=seed,
                       max_images=self._config.eval.subset_size)["test_bpd"]
    samples = images_lib.to_eight_bits(
        self._sample(tf.constant([seed, _NOISE_STREAM], tf.int64)),
        self._config.data.n_bits)
    grid_path = os.path.join(self._workdir, SAMPLES_DIR, f"step_{step}.png")
    tf.io.gfile.makedirs(os.path.dirname(grid_path))
    images_lib.write_png(grid_path, images_lib.grid(samples))
    entry = {"step": step,
             "images_seen": step * self._config.train.batch_size,
             "subset_bpd": bpd,
             "subset_size": self._config.eval.subset_size,
             "eval_time_s": round(time.time() - start, 2)}
    with tf.io.gfile.GFile(os.path.join(self._workdir, METRICS_FILE),
                           "a") as f:
      f.write(json.dumps(entry, sort_keys=True) + "\n")
    with self._writer.as_default(step=step):
      tf.summary.scalar("eval/subset_bpd", bpd)
      tf.summary.image("eval/samples", samples, max_outputs=16)
    self._logged.add(step)
    self._log(f"step {step} | test bits/dim {bpd:.4f} on "
              f"{self._config.eval.subset_size} held-out images (EMA) | "
              f"samples {grid_path}")
    return entry
