"""Benchmark: the fused log_prob pass against TFP's own TransformedDistribution.

TFP evaluates `inverse` and `inverse_log_det_jacobian` separately, so every
coupling network runs twice per log_prob; the models here use the fused
`forward_and_log_det` pass. This times both paths on the same model, weights
and inputs (in tf.function, after a warm-up call), counts the Conv2D ops in
each traced graph, and writes the figures to bench/results/fused_pass.json.

    bazel run //bench:fused_pass -- --model=glow --batch_size=64
"""

import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np
import tensorflow as tf

from bench import results_io
from tfp_flows import data
from tfp_flows import graph_ops
from tfp_flows import models
from tfp_flows.models import flow_model

flags.DEFINE_string("model", "glow", "Model family.")
flags.DEFINE_string("preset", "default", "Preset of the family.")
flags.DEFINE_integer("batch_size", 64, "Images per call.")
flags.DEFINE_integer("repeats", 20, "Timed calls per path.")
flags.DEFINE_string("output", None, "JSON path (default bench/results/).")
FLAGS = flags.FLAGS


def _time_calls(fn, args, repeats):
  fn(*args)  # Trace and warm up.
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn(*args)
    times.append(time.perf_counter() - start)
  return float(np.median(times))


def _conv_ops(function, y):
  return graph_ops.op_counts(function.get_concrete_function(y))["Conv2D"]


def main(argv):
  del argv
  config = models.get_config(FLAGS.model, FLAGS.preset)
  dataset = data.load_dataset(config.data.dataset)
  images = next(iter(dataset.train(FLAGS.batch_size, seed=0)))
  model = models.build_model(config, dataset.event_shape)
  model.build()
  model.initialize(images)
  noise = model.dequantizer.sample_noise(tf.shape(images), (0, 0))
  y, _ = model.dequantizer.dequantize_with_noise(images, noise)
  distribution = model.continuous_distribution()

  def fused_log_prob(y):
    z, log_det = model.normalizing_flow.forward_and_log_det(y)
    return flow_model.standard_normal_log_prob(z) + log_det

  # Both paths score the same dequantized y (the dequantizer is not timed).
  fused = tf.function(fused_log_prob)
  tfp_path = tf.function(distribution.log_prob)
  np.testing.assert_allclose(fused(y), tfp_path(y), rtol=1e-4)
  results = {
      "model": FLAGS.model, "preset": FLAGS.preset,
      "batch_size": FLAGS.batch_size,
      "fused_s": _time_calls(fused, (y,), FLAGS.repeats),
      "tfp_transformed_distribution_s": _time_calls(tfp_path, (y,),
                                                    FLAGS.repeats),
      "fused_conv2d_ops": _conv_ops(fused, y),
      "tfp_conv2d_ops": _conv_ops(tfp_path, y),
  }
  results["tfp_over_fused_time_ratio"] = (
      results["tfp_transformed_distribution_s"] / results["fused_s"])
  results_io.report(results, "fused_pass", FLAGS.output)


if __name__ == "__main__":
  app.run(main)
