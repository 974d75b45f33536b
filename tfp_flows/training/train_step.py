"""The compiled training step: gradients per replica, one decision to apply.

Each replica takes its slice of the GLOBAL batch and of noise drawn once for
the global batch, so R replicas compute exactly what one replica would (up to
summation order). Gradients are all-reduced in replica context; whether to
apply them (all finite) is then decided once in cross-replica context, so a
non-finite loss or gradient on any replica skips the whole update everywhere:
weights, optimizer slots, the optimizer's iteration count and the EMA stay
unchanged.

What the trainer acts on or logs is kept on the device, so its loop never
waits for a step's results: skips in a row (`consecutive_skips`, reset by the
next applied update) and in all (`skipped_updates`), and the summed loss of
the applied updates since the last `take_window()`. The trainer reads them
only when it logs or checks its divergence policy.
"""

import functools
import math

import tensorflow as tf

from tfp_flows import bijectors
from tfp_flows.training import graph_options


class TrainStep:
  """`step(images, seed) -> metrics` for a model, optimizer and EMA.

  Args:
    model: a `FlowModel`.
    optimizer: a tf_keras optimizer, created under `strategy.scope()`.
    ema: an `ExponentialMovingAverage` of `model.trainable_variables`.
    strategy: the `tf.distribute.Strategy` the variables live in.
    grad_clip_norm: clip the global gradient norm to this value.
    jit_compile: compile with XLA (single-device strategies only).
    recompute_gradients: keep only each flow layer's input for the backward
      pass and recompute the rest there (`bijectors.recompute_gradients`).
    lean_graph_optimization: have grappler skip the passes that cost a deep
      model's first step most and do not speed its steps
      (`graph_options.lean_call_options`); False: grappler's defaults.
  """

  def __init__(self, model, optimizer, ema, strategy, grad_clip_norm,
               jit_compile=False, recompute_gradients=False,
               lean_graph_optimization=True):
    self._model = model
    self._recompute = bool(recompute_gradients)
    self._optimizer = optimizer
    self._ema = ema
    self._strategy = strategy
    self._clip = float(grad_clip_norm)
    with strategy.scope():
      counter = lambda name, dtype=tf.int64: tf.Variable(
          0, dtype=dtype, trainable=False, name=name,
          aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)
      self.consecutive_skips = counter("consecutive_skips")
      self.skipped_updates = counter("skipped_updates")
      self._window_loss_sum = counter("window_loss_sum", tf.float32)
      self._window_updates = counter("window_updates")
    self._bits_per_nat = 1.0 / (model.num_dims * math.log(2.0))
    multi_device = strategy.num_replicas_in_sync > 1 or isinstance(
        strategy, (tf.distribute.MirroredStrategy,
                   tf.distribute.MultiWorkerMirroredStrategy))
    self.jit_compile = bool(jit_compile) and not multi_device
    # The step's control flow is explicit (`tf.cond`, `tf.while_loop`), so
    # autograph would only re-parse the source of every layer it calls:
    # without it the first step of Glow's CPU preset traces in 30 s, not 39.
    self._compiled = tf.function(self._step, jit_compile=self.jit_compile,
                                 autograph=False)
    # XLA draws a different stream from the same stateless seed, so the noise
    # is drawn outside the compiled step: a run is then the same with or
    # without XLA and on any number of replicas.
    self._sample_noise = tf.function(model.dequantizer.sample_noise)
    self._call_options = (graph_options.lean_call_options()
                          if lean_graph_optimization else None)

  def __call__(self, images, seed):
    """Runs one step on a global uint8 batch; `seed` is a stateless seed."""
    images = tf.convert_to_tensor(images)
    noise = self._sample_noise(tf.shape(images),
                               tf.convert_to_tensor(seed, tf.int64))
    with graph_options.calling_with(self._call_options):
      return self._compiled(images, noise)

  def _step(self, images, noise):
    # Listed once: walking a deep model's modules for its variables costs
    # about 0.6 s of the trace each time (MaCow's CIFAR-10 model).
    variables = self._model.trainable_variables
    loss, grads = self._strategy.run(
        functools.partial(self._replica_gradients, variables=variables),
        args=(images, noise))
    # Both are all-reduced: every replica holds the same values.
    loss_value = self._strategy.experimental_local_results(loss)[0]
    local_grads = self._strategy.experimental_local_results(grads)[0]
    grad_norm = tf.linalg.global_norm(local_grads)
    finite = tf.math.is_finite(loss_value) & tf.math.is_finite(grad_norm)
    # A skip is an update that changes nothing (the optimizer's and the
    # EMA's `condition`), not a `tf.cond`: its branches would capture every
    # variable, slot and shadow, tracing and executing a switch for each.
    self._strategy.run(
        functools.partial(self._replica_apply, variables=variables),
        args=(grads, grad_norm, finite))
    self._ema.update(variables, condition=finite)
    applied = tf.cast(finite, tf.int64)
    consecutive_skips = self.consecutive_skips.assign(tf.where(
        finite, tf.zeros_like(applied), self.consecutive_skips + 1))
    self.skipped_updates.assign_add(1 - applied)
    self._window_loss_sum.assign_add(
        tf.where(finite, loss_value, tf.zeros_like(loss_value)))
    self._window_updates.assign_add(applied)
    return {"loss_bpd": loss_value, "grad_norm": grad_norm,
            "applied": finite,
            "consecutive_skips": tf.identity(consecutive_skips)}

  def take_window(self):
    """`(mean loss in bits/dim, count)` of the updates since the last call.

    The loss is NaN when no update was applied. Starts a new window.
    """
    updates = int(self._window_updates.numpy())
    loss = float(self._window_loss_sum.numpy()) / updates if updates else (
        math.nan)
    self._window_loss_sum.assign(0.0)
    self._window_updates.assign(0)
    return loss, updates

  def _replica_gradients(self, images, noise, variables):
    context = tf.distribute.get_replica_context()
    replicas = context.num_replicas_in_sync
    local_images = _replica_slice(images, context)
    local_noise = _replica_slice(noise, context)
    global_batch = tf.cast(tf.shape(images)[0], tf.float32)
    with (tf.GradientTape() as tape,
          bijectors.recompute_gradients(self._recompute)):
      log_prob = self._model.log_prob_with_noise(local_images, local_noise,
                                                 training=True)
      # Summed over replicas this is the global mean loss in bits/dim.
      loss = -tf.reduce_sum(log_prob) * self._bits_per_nat / global_batch
    grads = tape.gradient(loss, variables)
    if replicas > 1:
      loss, grads = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                       (loss, grads))
    return loss, grads

  def _replica_apply(self, grads, grad_norm, finite, variables):
    # Clipped by the norm `_step` checked (computed once, not per replica),
    # as `tf.clip_by_global_norm` scales; a skipped update's gradients become
    # zeros, which is what the optimizer's `condition` needs.
    scale = self._clip * tf.minimum(1.0 / grad_norm, 1.0 / self._clip)
    scale = tf.where(finite, scale, tf.zeros_like(scale))
    grads = [None if grad is None else
             tf.math.multiply_no_nan(grad, tf.cast(scale, grad.dtype))
             for grad in grads]
    self._optimizer.apply_gradients(
        zip(grads, variables),
        experimental_aggregate_gradients=False, condition=finite)


def _replica_slice(tensor, context):
  replicas = context.num_replicas_in_sync
  if replicas == 1:
    return tensor
  shape = tf.shape(tensor)
  split = tf.reshape(tensor, tf.concat([[replicas, shape[0] // replicas],
                                        shape[1:]], 0))
  return tf.gather(split, context.replica_id_in_sync_group)
