"""What one cell of the benchmark suite measures, in its own process.

Every cell times a training step the way its users run it, after the
data-dependent initialisation (not timed): the first call (trace, compile
and one step's arithmetic), one warm-up call, then `steps` timed calls, each
fetching the loss so the time is the device's. Trace + compile is the first
call minus the median step. Peak memory is the process's peak resident set
(`ru_maxrss`), read after the timed steps, so one cell per process.

Kinds:
- `train`: a family's preset with this project's `TrainStep` (EMA and NaN
  guard included) on a fixed batch; optionally log_prob and sampling time.
- `tfp_glow`: TFP's own `tfb.Glow`, uniform dequantization and centring, a
  plain Adam step compiled the same way.
"""

import math
import os
import resource
import time
from typing import NamedTuple

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp
import tf_keras

from bench import timing
from tfp_flows import data
from tfp_flows import graph_ops
from tfp_flows import models
from tfp_flows import scanning
from tfp_flows.training import state as state_lib
from tfp_flows.training import train_step as train_step_lib

_INIT_IMAGES = 64
_LOG_PROB_BATCH = 64
_SAMPLE_BATCH = 16


def _peak_rss_gib():
  # Linux reports KiB.
  return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def _images(shape, batch_size, digits, seed=0, n_bits=8):
  """A batch of the embedded digits (28x28x1) or of random pixels."""
  if digits:
    dataset = data.load_dataset("embedded")
    return next(iter(dataset.train(batch_size, seed=seed)))
  rng = np.random.default_rng(seed)
  return tf.constant(
      rng.integers(0, 2 ** n_bits, (batch_size,) + tuple(shape)), tf.uint8)


def _time_steps(step, steps):
  """(first call, [timed calls]) in seconds; each call's loss is fetched."""
  start = time.perf_counter()
  step()
  first = time.perf_counter() - start
  step()  # Warm-up.
  times = []
  for _ in range(steps):
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
  return first, times


def _step_figures(first, times, batch_size):
  median = float(np.median(times))
  return {
      "batch_size": batch_size,
      "timed_steps": len(times),
      "step_s_median": median,
      "images_per_s": batch_size / median,
      "images_per_s_min": batch_size / max(times),
      "images_per_s_max": batch_size / min(times),
      "first_step_s": first,
      "trace_compile_s": first - median,
      "peak_rss_gib": _peak_rss_gib(),
  }


def _config(family, preset, overrides):
  config = models.get_config(family, preset)
  for path, value in (overrides or {}).items():
    section, key = path.split(".")
    config[section][key] = value
  return config


def _event_shape(config, shape):
  if shape:
    return tuple(shape)
  return tuple(data.load_dataset(config.data.dataset).event_shape)


class TrainSetup(NamedTuple):
  """A preset's config, its train state initialised on data, and a batch."""
  config: object
  state: state_lib.TrainState
  images: tf.Tensor
  event_shape: tuple
  digits: bool


def train_setup(family, preset, jit_compile, batch_size=None, shape=None,
                overrides=None, random_images=False):
  """`TrainSetup` of `family`'s `preset`; `jit_compile=None`: the preset's.

  The images are the embedded digits when the preset trains on them at
  their shape, else random pixels (`random_images` forces those).
  """
  config = _config(family, preset, overrides)
  if jit_compile is not None:
    config.train.jit_compile = jit_compile
  batch_size = batch_size or config.train.batch_size
  event_shape = _event_shape(config, shape)
  digits = (not random_images and config.data.dataset == "embedded"
            and event_shape == (28, 28, 1))
  n_bits = config.data.n_bits
  images = _images(event_shape, batch_size, digits, n_bits=n_bits)
  state = state_lib.TrainState(config, event_shape)
  state.model.initialize(_images(
      event_shape, min(_INIT_IMAGES, batch_size * 2), digits, seed=1,
      n_bits=n_bits))
  return TrainSetup(config, state, images, event_shape, digits)


class TrainCell(NamedTuple):
  """What a `train` cell times: the step, its batch, model and optimizer."""
  step: train_step_lib.TrainStep
  images: tf.Tensor
  model: models.FlowModel
  optimizer: tf_keras.optimizers.Optimizer
  event_shape: tuple
  digits: bool


def train_cell(family, preset, jit_compile, batch_size=None, shape=None,
               overrides=None, random_images=False,
               recompute_gradients=False):
  """This project's `TrainStep` over `train_setup(...)`'s state."""
  setup = train_setup(family, preset, jit_compile, batch_size, shape,
                      overrides, random_images)
  config, state = setup.config, setup.state
  step = train_step_lib.TrainStep(
      state.model, state.optimizer, state.ema, state.strategy,
      config.train.grad_clip_norm, config.train.jit_compile,
      recompute_gradients,
      lean_graph_optimization=config.train.lean_graph_optimization)
  return TrainCell(step, setup.images, state.model, state.optimizer,
                   setup.event_shape, setup.digits)


def train(family, preset, jit_compile, steps, batch_size=None, shape=None,
          overrides=None, inference=False, random_images=False,
          count_flops=True):
  """Times `train_cell(...)`'s step; figures as a dict.

  `count_flops`: add the step's useful FLOPs and their rate (tracing the
  loss once more, unrolled: for a `cifar10` preset as long as a quarter of
  its first step).
  """
  step, images, model, _, event_shape, digits = train_cell(
      family, preset, jit_compile, batch_size, shape, overrides,
      random_images)
  batch_size = int(images.shape[0])
  seed = tf.constant([0, 0], tf.int64)
  first, times = _time_steps(
      lambda: float(step(images, seed)["loss_bpd"]), steps)
  results = {"family": family, "preset": preset,
             "jit_compile": step.jit_compile,
             "event_shape": list(event_shape),
             "parameters": model.parameter_counts()["total"]}
  results.update(_step_figures(first, times, batch_size))
  if count_flops:
    results.update(_useful_flops(model, images, results["step_s_median"]))
  if inference:
    results.update(_inference(model, event_shape, digits))
  return results


def _useful_flops(model, images, step_s):
  """The loss's convolutions and matmuls, backward = 2x forward, and rate."""
  noise = model.dequantizer.sample_noise(tf.shape(images), (0, 0))
  forward = tf.function(
      lambda x, u: model.log_prob_with_noise(x, u, training=True),
      autograph=False)
  with scanning.unrolled():
    forward_flops = graph_ops.matmul_flops(
        forward.get_concrete_function(images, noise))
  gflop = 3 * forward_flops / 1e9
  return {"train_step_gflop": gflop, "achieved_gflops": gflop / step_s}


def memory(family, preset, batch_size, recompute_gradients, steps,
           shape=None, overrides=None, jit_compile=False):
  """Activation memory and step time of a train step; figures as a dict.

  `activation_gib` is the peak resident set during the timed steps minus
  the resident set once the model (initialised), optimizer slots and EMA
  exist, before the step is traced. The peak is reset before the timed
  steps (Linux's `clear_refs`), so trace-time peaks do not count; what the
  trace leaves resident (the graph) is the same at every batch size, and
  `recompute_memory`'s per-image slope drops it. The baseline is not the
  resident set just before the timed steps: an allocator that keeps freed
  buffers for reuse (oneDNN's, which TensorFlow turns on for AVX-512 CPUs)
  holds a step's activations resident between steps, and its pool hid
  them from the resident set altogether. Run it with oneDNN off and
  `MALLOC_MMAP_THRESHOLD_` fixed (as `recompute_memory` does), so freed
  buffers leave the resident set.

  With TensorFlow's BFC allocator on, the figures add its tensor bytes
  before the timed steps and their peak during them, which tell the
  tensors (weights, slots, EMA, then activations and gradients) apart from
  the rest of the process (the traced graph, the executor).
  """
  cell = train_cell(family, preset, jit_compile, batch_size, shape,
                    overrides, random_images=True,
                    recompute_gradients=recompute_gradients)
  cell.optimizer.build(cell.model.trainable_variables)
  built_gib = _resident_gib()
  seed = tf.constant([0, 0], tf.int64)
  step = lambda: float(cell.step(cell.images, seed)["loss_bpd"])
  start = time.perf_counter()
  step()
  first = time.perf_counter() - start
  step()  # Warm-up.
  before_gib = _resident_gib()
  tensors_before_gib = _tensor_gib("current")
  if tensors_before_gib is not None:
    tf.config.experimental.reset_memory_stats("CPU:0")
  with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # Resets the peak resident set (VmHWM).
  times = []
  for _ in range(steps):
    start = time.perf_counter()
    step()
    times.append(time.perf_counter() - start)
  results = {"family": family, "preset": preset,
             "recompute_gradients": recompute_gradients,
             "jit_compile": cell.step.jit_compile,
             "event_shape": list(cell.event_shape),
             "parameters": cell.model.parameter_counts()["total"],
             "built_gib": built_gib, "before_steps_gib": before_gib}
  results.update(_step_figures(first, times, batch_size))
  results["steps_peak_gib"] = _status_gib("VmHWM")
  results["activation_gib"] = results["steps_peak_gib"] - built_gib
  if tensors_before_gib is not None:
    results["tensors_before_steps_gib"] = tensors_before_gib
    results["tensors_steps_peak_gib"] = _tensor_gib("peak")
  return results


def _resident_gib():
  return _status_gib("VmRSS")


def _tensor_gib(field):
  """TensorFlow's CPU allocator's `current` or `peak` bytes, in GiB.

  None unless its BFC allocator is on (`TF_CPU_ALLOCATOR_USE_BFC=true`):
  the default one keeps no statistics (an error without oneDNN, zeros
  with it).
  """
  if os.environ.get("TF_CPU_ALLOCATOR_USE_BFC", "").lower() not in (
      "true", "1"):
    return None
  return tf.config.experimental.get_memory_info("CPU:0")[field] / 2 ** 30


def _status_gib(field):
  """A memory field of /proc/self/status (reported in KiB), in GiB."""
  with open("/proc/self/status") as f:
    for line in f:
      if line.startswith(field + ":"):
        return int(line.split()[1]) / 2 ** 20
  raise KeyError(field)


def _inference(model, event_shape, digits):
  images = _images(event_shape, _LOG_PROB_BATCH, digits, seed=2,
                   n_bits=model.n_bits)
  log_prob = tf.function(lambda x: model.log_prob(x, seed=(0, 1)))
  sample = tf.function(lambda: model.sample(_SAMPLE_BATCH, seed=(0, 2)))
  return {
      "log_prob_ms_per_image": 1e3 * timing.median_seconds(
          log_prob, (images,), 5) / _LOG_PROB_BATCH,
      "sample_ms_per_image": 1e3 * timing.median_seconds(
          sample, (), 3) / _SAMPLE_BATCH,
  }


def tfp_glow(shape, levels, steps_per_level, width, batch_size, jit_compile,
             steps, learning_rate=1e-3):
  """TFP's `tfb.Glow` as its documentation builds it; figures as a dict."""
  tfb, tfd = tfp.bijectors, tfp.distributions
  shape = tuple(shape)
  glow = tfb.Glow(
      output_shape=shape, num_glow_blocks=levels,
      num_steps_per_block=steps_per_level,
      coupling_bijector_fn=lambda s: tfb.GlowDefaultNetwork(
          s, num_hidden=width),
      # The default exit function raises a TypeError in TFP 0.25.
      exit_bijector_fn=tfb.GlowDefaultExitNetwork)
  distribution = glow(tfd.Sample(tfd.Normal(0.0, 1.0),
                                 glow.inverse_event_shape(shape)))
  num_dims = math.prod(shape)
  # Bits/dim of the discrete images: the density of y = x/256 - 0.5 + u/256
  # minus the log of the bin volume.
  nats_to_loss = 1.0 / (num_dims * math.log(2.0))
  bin_log_volume = num_dims * math.log(256.0)

  def centred(images, noise):
    return (tf.cast(images, tf.float32) + noise) / 256.0 - 0.5

  images = _images(shape, batch_size, digits=False)
  init_images = _images(shape, min(_INIT_IMAGES, batch_size * 2),
                        digits=False, seed=1)
  uniform = tf.random.stateless_uniform
  # TFP's ActNorm initialises on its first call: make it on data, eagerly.
  distribution.log_prob(centred(init_images, uniform(init_images.shape,
                                                     (0, 1))))
  variables = distribution.trainable_variables
  optimizer = tf_keras.optimizers.Adam(learning_rate)
  optimizer.build(variables)

  @tf.function(jit_compile=jit_compile)
  def train_step(images, noise):
    with tf.GradientTape() as tape:
      log_prob = distribution.log_prob(centred(images, noise))
      loss = -tf.reduce_mean(log_prob - bin_log_volume) * nats_to_loss
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss

  counter = iter(range(10 ** 9))

  def step():
    # Noise drawn outside the compiled step, as this project's step does.
    noise = uniform(images.shape, (1, next(counter)))
    return float(train_step(images, noise))

  first, times = _time_steps(step, steps)
  results = {"family": "tfp_glow", "jit_compile": jit_compile,
             "event_shape": list(shape),
             "parameters": int(sum(v.shape.num_elements()
                                   for v in variables))}
  results.update(_step_figures(first, times, batch_size))
  return results
