"""SavedModel export and `load(workdir)` of a trained model (EMA weights)."""

import os

import tensorflow as tf

from tfp_flows import models
from tfp_flows.training import checkpointing
from tfp_flows.training import ema as ema_lib
from tfp_flows.training import workdir as workdir_lib


def load(workdir):
  """The model trained in `workdir`, holding its EMA (Polyak) weights."""
  config = workdir_lib.read_config(workdir)
  event_shape = workdir_lib.read_run_info(workdir)["event_shape"]
  model = models.build_model(config, event_shape)
  model.build()
  ema = ema_lib.ExponentialMovingAverage(model.trainable_variables,
                                         config.train.ema_decay)
  checkpoint = tf.train.Checkpoint(model=model, ema=ema)
  path = checkpointing.restore_latest(
      checkpoint, os.path.join(workdir, workdir_lib.CHECKPOINT_DIR),
      partial=True)
  if path is None:
    raise workdir_lib.WorkdirError(
        f"No checkpoint in {workdir!r} yet: its training has not saved one "
        f"(train.checkpoint_every steps).")
  ema.copy_to(model.trainable_variables)
  return model


class ExportedFlow(tf.Module):
  """Serving signatures over a model; the SavedModel needs no tfp_flows.

  - `log_prob(images, seed)`: uint8 `[N, H, W, C]` (any N) and an int64
    stateless seed `[2]` -> nats per image `[N]`.
  - `bits_per_dim(images, seed)` -> `[N]`.
  - `sample(num_samples, temperature, seed)` -> uint8 `[num_samples, H, W, C]`.
  - `encode(images)` / `decode(latents)`.

  Every input is checked as the Python API checks it. The dtype is fixed by
  the input signature. The shape is too when the functions are called from
  Python (TensorFlow refuses to bind a tensor of another shape, naming
  both), but a SavedModel signature (`loaded.signatures[...]`, TF Serving)
  runs with whatever shape it is fed, so each function also checks its
  inputs' shapes, and the pixel values, in its graph
  ("Shape of tensor images [2,32,32,1] is not compatible with expected shape
  [?,28,28,1]"). The export is not XLA-compiled, so those checks hold.
  """

  def __init__(self, model):
    super().__init__(name="exported_flow")
    self.model = model
    self._specs = {spec.name: spec for spec in (
        tf.TensorSpec((None,) + model.event_shape, tf.uint8, name="images"),
        tf.TensorSpec([2], tf.int64, name="seed"),
        tf.TensorSpec([], tf.int32, name="num_samples"),
        tf.TensorSpec([], tf.float32, name="temperature"),
        tf.TensorSpec((None,) + model.event_shape, tf.float32,
                      name="latents"))}
    self.log_prob = self._function(self._log_prob, "images", "seed")
    self.bits_per_dim = self._function(self._bits_per_dim, "images", "seed")
    self.sample = self._function(self._sample, "num_samples", "temperature",
                                 "seed")
    self.encode = self._function(self._encode, "images")
    self.decode = self._function(self._decode, "latents")

  def _function(self, method, *names):
    return tf.function(method,
                       input_signature=[self._specs[name] for name in names])

  def _checked(self, name, value):
    """`value` once its run-time shape matches input `name`'s spec."""
    # Not an assertion on `tf.shape(value)`: grappler folds that to the
    # declared shape, wherever it is fully known, before the check can run.
    return tf.ensure_shape(value, self._specs[name].shape)

  def _checked_images(self, images):
    images = self._checked("images", images)
    limit = tf.constant(2 ** self.model.n_bits, tf.int32)
    check = tf.debugging.assert_less(
        tf.cast(images, tf.int32), limit,
        message=f"pixel values must lie in [0, 2^{self.model.n_bits})")
    with tf.control_dependencies([check]):
      return tf.identity(images)

  def _log_prob(self, images, seed):
    images = self._checked_images(images)
    noise = self.model.dequantizer.sample_noise(tf.shape(images),
                                                self._checked("seed", seed))
    return self.model.log_prob_with_noise(images, noise)

  def _bits_per_dim(self, images, seed):
    # A call of the checked `log_prob`, which the SavedModel stores once.
    return self.model.nats_to_bits_per_dim(-self.log_prob(images, seed))

  def _sample(self, num_samples, temperature, seed):
    return self.model.sample(
        self._checked("num_samples", num_samples),
        temperature=self._checked("temperature", temperature),
        seed=self._checked("seed", seed))

  def _encode(self, images):
    return self.model.encode(self._checked_images(images))

  def _decode(self, latents):
    return self.model.decode(self._checked("latents", latents))


def export(model, export_dir):
  """Writes `model` as a SavedModel with the `ExportedFlow` signatures."""
  module = ExportedFlow(model)
  tmp = export_dir.rstrip("/") + ".tmp"
  if tf.io.gfile.exists(tmp):
    tf.io.gfile.rmtree(tmp)
  tf.saved_model.save(module, tmp, signatures={
      "log_prob": module.log_prob, "sample": module.sample})
  # Replace a previous export only once the new one is complete.
  if tf.io.gfile.exists(export_dir):
    tf.io.gfile.rmtree(export_dir)
  tf.io.gfile.rename(tmp, export_dir)
  return export_dir
