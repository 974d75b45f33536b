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
  """

  def __init__(self, model):
    super().__init__(name="exported_flow")
    self.model = model
    image_spec = tf.TensorSpec((None,) + model.event_shape, tf.uint8,
                               name="images")
    seed_spec = tf.TensorSpec([2], tf.int64, name="seed")
    self.log_prob = tf.function(self._log_prob,
                                input_signature=[image_spec, seed_spec])
    self.bits_per_dim = tf.function(self._bits_per_dim,
                                    input_signature=[image_spec, seed_spec])
    self.sample = tf.function(self._sample, input_signature=[
        tf.TensorSpec([], tf.int32, name="num_samples"),
        tf.TensorSpec([], tf.float32, name="temperature"), seed_spec])
    self.encode = tf.function(self._encode, input_signature=[image_spec])
    self.decode = tf.function(self._decode, input_signature=[
        tf.TensorSpec((None,) + model.event_shape, tf.float32,
                      name="latents")])

  def _checked(self, images):
    # Values can't be checked eagerly here; the graph assertion guards serving.
    limit = tf.constant(2 ** self.model.n_bits, tf.int32)
    check = tf.debugging.assert_less(
        tf.cast(images, tf.int32), limit,
        message=f"pixel values must lie in [0, 2^{self.model.n_bits})")
    with tf.control_dependencies([check]):
      return tf.identity(images)

  def _log_prob(self, images, seed):
    images = self._checked(images)
    noise = self.model.dequantizer.sample_noise(tf.shape(images), seed)
    return self.model.log_prob_with_noise(images, noise)

  def _bits_per_dim(self, images, seed):
    return self.model.nats_to_bits_per_dim(-self._log_prob(images, seed))

  def _sample(self, num_samples, temperature, seed):
    return self.model.sample(num_samples, temperature=temperature, seed=seed)

  def _encode(self, images):
    return self.model.encode(self._checked(images))

  def _decode(self, latents):
    return self.model.decode(latents)


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
