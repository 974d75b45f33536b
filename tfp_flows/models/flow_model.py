"""A flow model: a distribution over integer images.

    images (ints) --dequantize--> y (reals, log q) --preprocess--> --core-->
    z ~ N(0, I)

`log p(x) >= log N(z; 0, I) + log|det dz/dy| - log q(y - x | x)` (nats per
image). The model owns the dequantizer, the preprocessing and the core flow;
`normalizing_flow` is the continuous map `y -> z` as ONE bijector, and `flow`
its inverse in TFP's convention (base sample -> data), so
`continuous_distribution()` is literally a `TransformedDistribution`.
"""

import math

import numpy as np
import tensorflow as tf
import tensorflow_probability as tfp

from tfp_flows import bijectors
from tfp_flows import errors
from tfp_flows.densities import standard_normal_log_prob
from tfp_flows.models import multiscale
from tfp_flows.nets import initialization

tfb = tfp.bijectors
tfd = tfp.distributions


class FlowModel(tf.Module):
  """Integer images `[N, H, W, C]` in `[0, 2^n_bits)`, modelled by a flow.

  Args:
    event_shape: `(H, W, C)`.
    n_bits: bits per pixel value.
    preprocessing: a `FlowBijector` from `[0, 2^n_bits)` reals to the core's
      input space (with its log-det).
    core: the `FlowBijector` to the standard-normal latent (factor-out priors
      folded in), shape-preserving.
    dequantizer: see `tfp_flows.dequantization`.
  """

  def __init__(self, event_shape, n_bits, preprocessing, core, dequantizer,
               name="flow_model"):
    super().__init__(name=name)
    self.event_shape = tuple(int(d) for d in event_shape)
    self.n_bits = int(n_bits)
    self.dequantizer = dequantizer
    self.normalizing_flow = bijectors.Sequential([preprocessing, core],
                                                 name="normalizing_flow")
    self.initialized = tf.Variable(False, trainable=False, name="initialized")

  @property
  def num_dims(self):
    return int(np.prod(self.event_shape))

  @property
  def flow(self):
    """The continuous flow as one bijector, latent -> dequantized image."""
    return tfb.Invert(self.normalizing_flow)

  def continuous_distribution(self):
    """`tfd.TransformedDistribution` over dequantized images `[H, W, C]`."""
    base = tfd.Sample(tfd.Normal(0.0, 1.0), self.event_shape)
    return tfd.TransformedDistribution(base, self.flow, name="continuous")

  # --- Densities -------------------------------------------------------------

  def log_prob(self, images, seed=None, training=False):
    """Lower bound on `log P(images)` in nats per image (one noise draw).

    Pixel values outside `[0, 2^n_bits)` raise `errors.DataError` when they
    are known at call time (eagerly). Traced (inside a `tf.function`, with
    or without XLA) they cannot be checked in Python, and graph assertions
    vanish under XLA, so an image holding one gets `-inf`: the model gives
    it probability zero.

    Args:
      images: integer tensor `[N, H, W, C]` with values in `[0, 2^n_bits)`.
      seed: stateless seed (shape `[2]` ints) for the dequantization noise.
    """
    images = validate_images(images, self.event_shape, self.n_bits)
    noise = self.dequantizer.sample_noise(tf.shape(images), seed)
    return self.log_prob_with_noise(images, noise, training=training)

  def log_prob_with_noise(self, images, noise, training=False):
    """`log p(x + u) - log q(u | x)` for given dequantizer base noise.

    The one fused pass that training and evaluation use: every network runs
    once. An image with a pixel outside `[0, 2^n_bits)` gets `-inf`.
    """
    y, log_q = self.dequantizer.dequantize_with_noise(
        images, noise, training=training)
    z, log_det = self.normalizing_flow.forward_and_log_det(
        y, training=training)
    log_prob = standard_normal_log_prob(z) + log_det - log_q
    # The flow computes NaN or a meaningless number for such pixels, and
    # nothing else can flag them when traced under XLA.
    return tf.where(_in_range(images, self.n_bits), log_prob,
                    tf.cast(-np.inf, log_prob.dtype))

  def importance_weighted_log_prob(self, images, num_samples, seed=None):
    """`(elbo, iw)` per image from `num_samples` dequantization draws.

    `elbo` averages the single-draw bounds; `iw = log (1/K) sum_k p(x + u_k) /
    q(u_k | x)` is the tighter importance-weighted bound (Flow++ section 3.1),
    equal to `elbo` for K = 1. All K draws run as one batch.
    """
    images = validate_images(images, self.event_shape, self.n_bits)
    k = int(num_samples)
    tiled = tf.repeat(images, k, axis=0)
    noise = self.dequantizer.sample_noise(tf.shape(tiled), seed)
    log_prob = tf.reshape(self.log_prob_with_noise(tiled, noise), [-1, k])
    iw = tf.reduce_logsumexp(log_prob, axis=1) - math.log(k)
    return tf.reduce_mean(log_prob, axis=1), iw

  def bits_per_dim(self, images, seed=None):
    """The single-sample bound on `-log2 P(images) / D`, per image."""
    return self.nats_to_bits_per_dim(-self.log_prob(images, seed=seed))

  def nats_to_bits_per_dim(self, nats):
    return nats / (self.num_dims * math.log(2.0))

  # --- Sampling and latents --------------------------------------------------

  def sample(self, n, temperature=1.0, seed=None):
    """`n` uint8 images; `temperature` scales every prior's std deviation."""
    shape = tf.concat([tf.reshape(tf.cast(n, tf.int32), [1]),
                       self.event_shape], 0)
    if seed is None:
      eps = tf.random.normal(shape)
    else:
      eps = tf.random.stateless_normal(shape, seed=seed)
    return self.decode(eps * temperature)

  def encode(self, images):
    """Latents `z` (all scales, standardised) of the pixel-centre `x + 0.5`."""
    images = validate_images(images, self.event_shape, self.n_bits)
    z, _ = self.normalizing_flow.forward_and_log_det(
        tf.cast(images, tf.float32) + 0.5)
    return z

  def decode(self, latents):
    """uint8 images from latents `[N, H, W, C]` (inverse of `encode`)."""
    latents = validate_latents(latents, self.event_shape)
    y, _ = self.normalizing_flow.inverse_and_log_det(latents)
    pixels = tf.clip_by_value(tf.floor(y), 0.0, 2.0 ** self.n_bits - 1.0)
    return tf.cast(pixels, tf.uint8)

  # --- Variables -------------------------------------------------------------

  def parameter_counts(self):
    """Trainable scalars per section, in order, and their `total`.

    Sections: `dequantization`, then the core flow's levels and splits
    (`level_0`, `level_0_split_0`, `level_1`, ...; Flow++'s stages).
    """
    counts = {"dequantization": _count(self.dequantizer)}
    for section, modules in multiscale.parameter_sections(
        self.normalizing_flow.layers[-1]):
      counts[section] = sum(_count(m) for m in modules)
    counts["total"] = _count(self)
    return counts

  def build(self):
    """Creates every variable with one pass on a batch of one (no init)."""
    images = tf.zeros((1,) + self.event_shape, tf.uint8)
    self.log_prob_with_noise(
        images, self.dequantizer.sample_noise(tf.shape(images), (0, 0)))

  def initialize(self, images, seed=(0, 0)):
    """Data-dependent initialisation from `images`; runs once, eagerly.

    Call it outside `strategy.run` (under `strategy.scope()` if any), so every
    replica receives the same values. Dropout is off. Sets `initialized`,
    which checkpoints carry, so a restored model is never re-initialised.
    Returns whether it initialised.
    """
    if not tf.executing_eagerly():
      raise RuntimeError("initialize() must run eagerly, not in tf.function.")
    if bool(self.initialized.numpy()):
      return False
    images = validate_images(images, self.event_shape, self.n_bits)
    noise = self.dequantizer.sample_noise(tf.shape(images), seed)
    with initialization.data_dependent_init():
      self.log_prob_with_noise(images, noise, training=False)
    self.initialized.assign(True)
    return True


def _count(module):
  return int(sum(v.shape.num_elements() for v in module.trainable_variables))


def _in_range(images, n_bits):
  """Per image: whether all its pixel values lie in `[0, 2^n_bits)`."""
  # int64 holds every integer dtype's values (uint64 above 2^63 turn
  # negative, still out of range).
  values = tf.cast(images, tf.int64)
  return tf.reduce_all((values >= 0) & (values < 2 ** n_bits),
                       axis=[-3, -2, -1])


def validate_latents(latents, event_shape):
  """Latents are float `[N] + event_shape` (what `encode` returns)."""
  latents = tf.convert_to_tensor(latents)
  if not latents.dtype.is_floating:
    raise errors.InputTypeError(
        f"Latents must be floating point (as `encode` returns); got dtype "
        f"{latents.dtype.name}.")
  shape = tuple(latents.shape)
  if len(shape) != 4 or (tuple(shape[1:]) != tuple(event_shape)
                         and None not in shape[1:]):
    raise errors.ShapeError(
        f"Latents must have shape [N, {', '.join(map(str, event_shape))}] "
        f"for this model (the image shape, as `encode` returns); got "
        f"{shape}.")
  return latents


def validate_images(images, event_shape, n_bits):
  """Checks dtype, rank, shape and (when values are known) range.

  Raises at the Python boundary, before any compiled work: graph assertions
  vanish under XLA. Values unknown until run time are not checked here;
  `FlowModel.log_prob_with_noise` gives their images `-inf`. Returns the
  images as a tensor.
  """
  if not isinstance(images, (tf.Tensor, tf.Variable)):
    images = np.asarray(images)
  dtype = tf.as_dtype(images.dtype)
  if not dtype.is_integer:
    raise errors.InputTypeError(
        f"Images must be integer pixel values in [0, {2 ** n_bits}); got "
        f"dtype {dtype.name}. Quantize first, e.g. tf.cast(x, tf.uint8); "
        f"the model dequantizes internally.")
  shape = tuple(images.shape)
  if len(shape) != 4:
    raise errors.ShapeError(
        f"Images must have rank 4 [N, H, W, C]; got shape {shape}.")
  if tuple(shape[1:]) != tuple(event_shape) and None not in shape[1:]:
    raise errors.ShapeError(
        f"Images must have shape [N, {', '.join(map(str, event_shape))}] for "
        f"this model; got {shape}.")
  if isinstance(images, np.ndarray) or (
      tf.executing_eagerly() and hasattr(images, "numpy")):
    values = np.asarray(images)
    if values.size and (values.min() < 0 or values.max() >= 2 ** n_bits):
      raise errors.DataError(
          f"Pixel values must lie in [0, {2 ** n_bits}) for n_bits={n_bits}; "
          f"got values in [{values.min()}, {values.max()}].")
  return tf.convert_to_tensor(images)
