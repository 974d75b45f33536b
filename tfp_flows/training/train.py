"""`train_and_evaluate`: the training loop, checkpoints, evaluation, samples.

The Python loop only feeds batches, logs and checkpoints; each step is one
compiled function (`train_step.TrainStep`). Everything that could fail on bad
input (dataset, config, checkpoint) is checked before anything is written to
the workdir.
"""

import os
import shutil
import signal
import tempfile
import time

from absl import logging
import tensorflow as tf
import tf_keras

from tfp_flows import data
from tfp_flows import errors
from tfp_flows import models
from tfp_flows.configs import common
from tfp_flows.training import checkpointing
from tfp_flows.training import evaluation
from tfp_flows.training import images as images_lib
from tfp_flows.training import periodic_eval
from tfp_flows.training import preemption
from tfp_flows.training import state as state_lib
from tfp_flows.training import strategies
from tfp_flows.training import train_step as train_step_lib
from tfp_flows.training import workdir as workdir_lib


def load_data(config):
  return data.load_dataset(
      config.data.dataset, n_bits=config.data.n_bits,
      data_dir=config.data.data_dir or None,
      image_size=config.data.image_size or None)


def format_counts(counts):
  """`'dequantization 3,466,976, stage_1 ...'` without the total."""
  return ", ".join(f"{name} {count:,}" for name, count in counts.items()
                   if name != "total")


class _Run(state_lib.TrainState):
  """A run's train state and step, data position and checkpoint."""

  def __init__(self, config, event_shape, strategy, train_batches):
    super().__init__(config, event_shape, strategy)
    with strategy.scope():
      self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")
    self.train_step = train_step_lib.TrainStep(
        self.model, self.optimizer, self.ema, strategy,
        config.train.grad_clip_norm, jit_compile=config.train.jit_compile,
        recompute_gradients=config.train.recompute_gradients,
        lean_graph_optimization=config.train.lean_graph_optimization)
    self.train_iterator = iter(train_batches)
    self.checkpoint = tf.train.Checkpoint(
        model=self.model, ema=self.ema, optimizer=self.optimizer,
        step=self.step, skipped_updates=self.train_step.skipped_updates,
        lr_scale=self.lr_scale, data=self.train_iterator)


def ema_model(config, event_shape, run):
  """A single-device copy of the model holding the EMA weights."""
  model = models.build_model(config, event_shape)
  model.build()
  for source, target in zip(run.model.variables, model.variables):
    target.assign(source)
  run.ema.copy_to(model.trainable_variables)
  return model


def train_and_evaluate(config, workdir, strategy_name="default",
                       log=logging.info):
  """Trains `config` in `workdir` (resuming if it holds a run), evaluates.

  With `strategy_name="multi_worker"` every worker of the cluster runs this
  with the same arguments; only the chief writes to `workdir` (see
  `strategies.Workers`).

  Returns the final metrics dict (also written to `workdir/metrics.json`);
  None on the other workers of a cluster, which only train.
  """
  start = time.time()
  common.validate(config)
  # Then: a multi-worker strategy configures the runtime before any op.
  strategy = strategies.make_strategy(strategy_name, log=log)
  workers = strategies.Workers(strategy)
  # Weight initialisers draw from the global seed: a run is reproducible.
  tf_keras.utils.set_random_seed(config.train.seed)
  dataset = load_data(config)
  event_shape = dataset.event_shape
  workdir_lib.check_compatible(workdir, config)
  batch_size = config.train.batch_size
  if not 1 <= batch_size <= dataset.num_train:
    raise errors.ConfigError(
        f"train.batch_size={batch_size} must be in [1, {dataset.num_train}], "
        f"the size of {dataset.name}'s training split.")
  if batch_size % strategy.num_replicas_in_sync:
    raise errors.ConfigError(
        f"train.batch_size={batch_size} must be divisible by the "
        f"{strategy.num_replicas_in_sync} replicas.")
  # A small dataset initialises on all of it rather than failing.
  init_batch_size = min(config.train.init_batch_size, dataset.num_train)
  if init_batch_size < 1:
    raise errors.ConfigError(
        f"train.init_batch_size={config.train.init_batch_size} must be >= 1.")

  run = _Run(config, event_shape, strategy,
             dataset.train(batch_size, seed=config.train.seed))
  checkpoint_dir = os.path.join(workdir, workdir_lib.CHECKPOINT_DIR)
  restored = checkpointing.restore_latest(run.checkpoint, checkpoint_dir,
                                          log=log)
  with workers.raise_cluster_errors(run.step, checkpoint_dir):
    workers.check_same_step(int(run.step.numpy()), checkpoint_dir)
  # Everything is validated: from here on the workdir is written.
  if workers.chief:
    workdir_lib.write_run(workdir, config, event_shape, dataset.name)
    if restored:
      checkpointing.repair_state(checkpoint_dir, restored)
    for path in checkpointing.remove_incomplete_writes(checkpoint_dir):
      log(f"Removed {path!r}, a checkpoint write interrupted by a kill.")
  manager = tf.train.CheckpointManager(
      run.checkpoint, checkpoint_dir, max_to_keep=config.train.max_checkpoints)
  counts = run.model.parameter_counts()
  log(f"Model {config.model.name}: {counts['total']:,} trainable "
      f"parameters ({format_counts(counts)}); data {dataset.name} "
      f"{event_shape}, {dataset.num_train} train / {dataset.num_test} test "
      f"images.")
  if restored:
    log(f"Resumed from {restored} at step {int(run.step.numpy())}.")
  if run.model.initialize(next(iter(dataset.train(
      init_batch_size, seed=config.train.seed + 1)))):
    log(f"Data-dependent initialisation on {init_batch_size} images.")

  if workers.chief:
    writer = tf.summary.create_file_writer(
        os.path.join(workdir, workdir_lib.SUMMARY_DIR))
    evaluator = periodic_eval.PeriodicEvaluator(config, event_shape, dataset,
                                                workdir, writer, log)
  else:
    # Evaluation needs no collective: the chief's alone is enough.
    writer, evaluator = tf.summary.create_noop_writer(), None
  with (preemption.StopOnSignal() as stop,
        workers.raise_cluster_errors(run.step, checkpoint_dir)):
    _Loop(config, run, manager, writer, stop, log, evaluator,
          logged_until=workdir_lib.last_logged_step(workdir),
          workers=workers, latest=restored).run()
  if not workers.chief:
    log(f"{workers.name.capitalize()} trained to step "
        f"{int(run.step.numpy())}; the chief evaluates and writes {workdir}.")
    return None

  model = ema_model(config, event_shape, run)
  metrics = evaluation.evaluate(
      model, dataset, config.eval.batch_size,
      num_dequant_samples=config.eval.num_dequant_samples,
      seed=config.train.seed)
  metrics["baseline_bpd"] = evaluation.per_pixel_baseline(dataset)
  metrics["improvement_over_baseline_bpd"] = (
      metrics["baseline_bpd"] - metrics["test_bpd"])
  metrics.update(model=config.model.name, steps=int(run.step.numpy()),
                 skipped_updates=int(run.train_step.skipped_updates.numpy()),
                 parameters=counts["total"],
                 wall_time_s=round(time.time() - start, 1))
  samples = model.sample(config.eval.num_samples,
                         temperature=config.eval.temperature,
                         seed=(config.train.seed, 1))
  samples = images_lib.to_eight_bits(samples, config.data.n_bits)
  images_lib.write_png(os.path.join(workdir, workdir_lib.SAMPLES_FILE),
                       images_lib.grid(samples))
  with writer.as_default(step=int(run.step.numpy())):
    tf.summary.image("samples", samples, max_outputs=16)
    for name in ("test_bpd", "baseline_bpd"):
      tf.summary.scalar(f"eval/{name}", metrics[name])
  writer.flush()
  workdir_lib.write_metrics(workdir, metrics)
  log(f"Test bits/dim {metrics['test_bpd']:.4f} (per-pixel baseline "
      f"{metrics['baseline_bpd']:.4f}); wall time {metrics['wall_time_s']} s.")
  log(f"Workdir {workdir}: checkpoints/, summaries/ (TensorBoard), "
      f"{workdir_lib.METRICS_FILE}, {workdir_lib.SAMPLES_FILE}.")
  return metrics


class _Loop:
  """The Python side of training: feed, log, checkpoint, react.

  It never waits for a step: what it acts on is kept on the device by the
  step (`train_step.TrainStep`) and read every `train.log_every` steps, and
  every `train.max_consecutive_skips` steps for the divergence policy.
  Evaluates when `periodic_eval` says it is due (no `evaluator`: never).
  Saves every `train.checkpoint_every` steps, every
  `train.checkpoint_every_minutes` and at the end; on a stop request
  (SIGTERM/SIGINT, on any worker of a cluster) saves and raises
  `preemption.Interrupted`; after `train.max_consecutive_skips` non-finite
  steps in a row applies `train.on_divergence`. Weights that are not finite
  are never saved. `latest` is the newest checkpoint in `manager`'s folder
  (the one restored, then the last one saved).
  """

  def __init__(self, config, run, manager, writer, stop, log, evaluator,
               logged_until, workers, latest):
    self.config, self.run_state = config, run
    self.step_fn = run.train_step
    self.manager, self.writer, self.stop, self.log = manager, writer, stop, log
    self.evaluator = evaluator
    self.logged_until = logged_until
    self.workers, self.latest = workers, latest
    self.last_save = time.monotonic()

  def run(self):
    config, run = self.config, self.run_state
    total = config.train.steps
    check_every = min(config.train.log_every,
                      config.train.max_consecutive_skips)
    self._sync_with_device()
    loop_start, first_step = time.time(), self.step
    window_start, window_first = loop_start, self.step
    while self.step < total:
      metrics = self.step_fn(next(run.train_iterator),
                             (config.train.seed, self.step))
      run.step.assign_add(1)
      self.step += 1
      step = self.step
      if step % check_every == 0 or step == total:
        if self._check_skips():
          window_start, window_first = time.time(), self.step
          continue
      if step % config.train.log_every == 0 or step == total:
        elapsed = time.time() - window_start
        images_per_s = ((step - window_first) * config.train.batch_size
                        / max(elapsed, 1e-9))
        done = step - first_step
        eta = (time.time() - loop_start) / max(done, 1) * (total - step)
        loss, _ = self.step_fn.take_window()
        self.log(f"step {step}/{total} | loss {loss:.4f} bits/dim | "
                 f"{images_per_s:.1f} images/s | ETA {_duration(eta)}")
        if step > self.logged_until:
          self._summaries(step, loss, metrics["grad_norm"], images_per_s)
        window_start, window_first = time.time(), step
      if self.evaluator and self.evaluator.due(step):
        eval_start = time.time()
        self.evaluator(run, step)
        # Evaluation time is not training time: keep it out of images/s.
        window_start += time.time() - eval_start
      # Every worker stops after the same step, whichever got the signal.
      signal_number = self.workers.agree_on_stop(self.stop.signal_number)
      if signal_number is not None:
        self._save(step)
        raise preemption.Interrupted(
            self._stop_message(signal_number, step), signal_number)
      minutes = (time.monotonic() - self.last_save) / 60.0
      if (step % config.train.checkpoint_every == 0 or step == total
          or minutes >= config.train.checkpoint_every_minutes):
        self._save(step)

  def _sync_with_device(self):
    """Reads the step and skip counters (at the start and after a restore)."""
    self.step = int(self.run_state.step.numpy())
    self.checked_until = self.step
    self.skipped_before = int(self.step_fn.skipped_updates.numpy())

  def _check_skips(self):
    """Logs the updates skipped since the last check; True if it restored.

    Applies the divergence policy when the last
    `train.max_consecutive_skips` or more steps were all skipped.
    """
    skipped = int(self.step_fn.skipped_updates.numpy())
    if skipped > self.skipped_before:
      new = skipped - self.skipped_before
      self.log(f"steps {self.checked_until + 1}-{self.step}: {new} "
               f"update{'s' if new > 1 else ''} skipped (non-finite loss or "
               f"gradient), {skipped} so far.")
    self.skipped_before, self.checked_until = skipped, self.step
    in_a_row = int(self.step_fn.consecutive_skips.numpy())
    if in_a_row < self.config.train.max_consecutive_skips:
      return False
    self._diverged(self.step, reason=f"{in_a_row} non-finite steps in a row")
    return True

  def _summaries(self, step, loss, grad_norm, images_per_s):
    run = self.run_state
    with self.writer.as_default(step=step):
      tf.summary.scalar("train/loss_bpd", loss)
      tf.summary.scalar("train/learning_rate",
                        run.schedule(run.optimizer.iterations))
      tf.summary.scalar("train/grad_norm", grad_norm)
      tf.summary.scalar("train/images_per_s", images_per_s)
      tf.summary.scalar("train/skipped_updates",
                        self.step_fn.skipped_updates)

  def _save(self, step):
    run = self.run_state
    if not all(bool(tf.reduce_all(tf.math.is_finite(v)).numpy())
               for v in run.model.trainable_variables + run.ema.variables
               if v.dtype.is_floating):
      self._diverged(step, reason="the weights are not finite")
      return
    if self.workers.chief:
      self.latest = checkpointing.save(self.manager, step)
    else:
      _save_and_discard(run.checkpoint, step)
      # The name the chief's manager gives the same save.
      self.latest = os.path.join(self.manager.directory, f"ckpt-{step}")
    self.last_save = time.monotonic()

  def _stop_message(self, signal_number, step):
    name = signal.Signals(signal_number).name
    if signal_number != self.stop.signal_number:
      name += " (sent to another worker)"
    where = " on every worker" if self.workers.multi_worker else ""
    return (f"{name} at step {step}/{self.config.train.steps}: saved "
            f"{self.latest}; run the same command{where} to resume.")

  def _diverged(self, step, reason):
    """Applies `train.on_divergence`: restore and halve the rate, or stop."""
    config, run = self.config, self.run_state
    latest = self.latest
    if config.train.on_divergence == "stop" or latest is None:
      why = ("train.on_divergence=stop" if latest else "no checkpoint yet")
      raise errors.DivergenceError(
          f"Training diverged at step {step}: {reason} ({why}). The "
          f"checkpoints in {self.manager.directory!r} are intact; lower "
          f"train.learning_rate or raise train.grad_clip_norm, then run the "
          f"same command to resume.")
    restored = checkpointing.restore_latest(
        run.checkpoint, self.manager.directory, log=self.log)
    run.lr_scale.assign(run.lr_scale * 0.5)
    self.step_fn.consecutive_skips.assign(0)
    self.step_fn.take_window()
    self._sync_with_device()
    self.log(f"Training diverged at step {step}: {reason}. Restored "
             f"{restored} (step {int(run.step.numpy())}) and halved the "
             f"learning rate (now x{float(run.lr_scale.numpy()):g} of the "
             f"schedule).")


def _save_and_discard(checkpoint, step):
  """A worker's part in the chief's save: written to a temporary folder.

  Saving distributed variables can involve collectives, so every worker of
  a cluster saves; only the chief's copy is kept.
  """
  folder = tempfile.mkdtemp(prefix="tfp_flows_worker_checkpoint_")
  try:
    tf.train.CheckpointManager(checkpoint, folder, max_to_keep=1).save(
        checkpoint_number=step)
  finally:
    shutil.rmtree(folder, ignore_errors=True)


def _duration(seconds):
  minutes, seconds = divmod(int(seconds), 60)
  return f"{minutes}m{seconds:02d}s"
