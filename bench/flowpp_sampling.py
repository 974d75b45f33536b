"""Benchmark: Flow++ sampling against log_prob, and the root finder's cost.

Sampling inverts every mixture-logistic coupling by a root search
(`tfp_flows.bijectors.mixture_logistic_cdf`), so it costs more than the
density pass. In one run this times, for a batch at the given preset,

  - log_prob (the fused training pass) and sampling, in tf.function, median
    of `--repeats` calls after a warm-up, and their ratio;
  - the same two compiled with XLA, with each first call's compile time;
  - the root finder on every mixture coupling of the core flow, fed the
    coupling's own float32 forward output for real test images: iterations
    (max and mean) and the round-trip error |x_hat - x| / max(1, |x|).

It writes the figures to bench/results/flowpp_sampling.json. With
`--workdir` it measures that trained run's EMA model; without, a freshly
initialised one (whose couplings are near the identity).

    bazel run //bench:flowpp_sampling -- --batch_size=16 --workdir=DIR
"""

import os
import time

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

from absl import app  # pylint: disable=g-import-not-at-top
from absl import flags
import numpy as np
import tensorflow as tf

from bench import results_io
import tfp_flows
from tfp_flows import bijectors
from tfp_flows import data
from tfp_flows import models
from tfp_flows.bijectors import mixture_logistic_cdf

flags.DEFINE_string("preset", "default", "Flow++ preset (without --workdir).")
flags.DEFINE_string("workdir", None, "A trained run to measure instead.")
flags.DEFINE_integer("batch_size", 16, "Images per call.")
flags.DEFINE_integer("repeats", 5, "Timed calls per path.")
flags.DEFINE_string("output", None, "JSON path (default bench/results/).")
FLAGS = flags.FLAGS


def _timed(fn, args, repeats):
  """`(first_call_s, median_s)`: the first call includes tracing/compiling."""
  start = time.perf_counter()
  fn(*args)
  first = time.perf_counter() - start
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn(*args)
    times.append(time.perf_counter() - start)
  return first, float(np.median(times))


def _leaf_layers(bijector):
  """The core flow's layers in forward order, composites expanded."""
  if isinstance(bijector, bijectors.Sequential):
    return [leaf for layer in bijector.layers for leaf in _leaf_layers(layer)]
  return [bijector]


def _root_finder_figures(model, images):
  """Runs the core forward on `images` and times each coupling's inversion."""
  x = tf.cast(images, tf.float32) + 0.5
  preprocessing, core = model.normalizing_flow.layers
  x, _ = preprocessing.forward_and_log_det(x)
  iterations, errors = [], []
  for layer in _leaf_layers(core):
    if (isinstance(layer, bijectors.Coupling) and isinstance(
        layer.transform, bijectors.MixtureLogisticTransform)
        and layer.transform.num_components):
      x_cond, x_change = layer.partition.split(x)
      params = layer.transform_params(x_cond)
      y_change, _ = layer.transform.forward(x_change, params)
      # The search's input, as the float32 inverse computes it.
      target, _ = bijectors.AffineTransform.inverse(
          layer.transform, y_change, params)
      x_hat, count = mixture_logistic_cdf.inverse_logit_cdf_with_diagnostics(
          target, *layer.transform.mixture(params))
      iterations.append(np.asarray(count).ravel())
      errors.append((np.abs(np.asarray(x_hat) - np.asarray(x_change))
                     / np.maximum(1.0, np.abs(np.asarray(x_change)))).ravel())
    x, _ = layer.forward_and_log_det(x)
  iterations, errors = np.concatenate(iterations), np.concatenate(errors)
  return {
      "root_dtype": mixture_logistic_cdf.ROOT_DTYPE.name,
      "root_max_iterations_allowed": mixture_logistic_cdf.ROOT_MAX_ITERATIONS,
      "root_iterations_max": int(iterations.max()),
      "root_iterations_mean": float(iterations.mean()),
      "root_round_trip_rel_error_max": float(errors.max()),
      "root_round_trip_rel_error_median": float(np.median(errors)),
      "root_searches": int(iterations.size),
  }


def main(argv):
  del argv
  if FLAGS.workdir:
    model = tfp_flows.load(FLAGS.workdir)
    source = FLAGS.workdir
    dataset = data.load_dataset("embedded") if model.event_shape == (
        28, 28, 1) else None
  else:
    config = models.get_config("flowpp", FLAGS.preset)
    dataset = data.load_dataset(config.data.dataset)
    model = models.build_model(config, dataset.event_shape)
    model.build()
    model.initialize(next(iter(dataset.train(64, seed=0))))
    source = f"freshly initialised preset {FLAGS.preset!r}"
  images = next(iter(dataset.test(FLAGS.batch_size)))
  n = tf.constant(FLAGS.batch_size, tf.int32)
  seed = tf.constant([1, 2], tf.int64)
  noise = model.dequantizer.sample_noise(tf.shape(images), seed)

  results = {"source": source, "batch_size": FLAGS.batch_size,
             "parameters": model.parameter_counts()["total"]}
  for jit in (False, True):
    log_prob = tf.function(model.log_prob_with_noise, jit_compile=jit)
    sample = tf.function(lambda n, s: model.sample(n, seed=s),
                         jit_compile=jit)
    tag = "xla_" if jit else ""
    first, median = _timed(log_prob, (images, noise), FLAGS.repeats)
    results[f"{tag}log_prob_s"] = median
    results[f"{tag}log_prob_first_call_s"] = first
    first, median = _timed(sample, (n, seed), FLAGS.repeats)
    results[f"{tag}sample_s"] = median
    results[f"{tag}sample_first_call_s"] = first
    results[f"{tag}sample_over_log_prob_ratio"] = (
        results[f"{tag}sample_s"] / results[f"{tag}log_prob_s"])
  results.update(_root_finder_figures(model, images))
  results_io.report(results, "flowpp_sampling", FLAGS.output)


if __name__ == "__main__":
  app.run(main)
