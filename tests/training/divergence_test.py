"""Numerical blow-ups: skipped steps, the divergence policy, no NaN saved."""

import os
from unittest import mock

import numpy as np
import tensorflow as tf

from tfp_flows import data
from tfp_flows import errors
from tfp_flows import graph_ops
from tfp_flows import models
from tfp_flows.training import checkpointing
from tfp_flows.training import train
from tfp_flows.training import train_step as train_step_lib
from tests.training import tiny_run

_REAL_CALL = train_step_lib.TrainStep.__call__


def _config(steps=8, policy="restore"):
  config = models.get_config("glow", "tiny")
  config.train.steps = steps
  config.train.checkpoint_every = 2
  config.train.max_consecutive_skips = 3
  config.train.on_divergence = policy
  config.eval.batch_size = 500
  return config


class _Faults:
  """Replaces `TrainStep.__call__`: NaN noise or NaN weights at given calls.

  Calls are counted from 1 across restores, so a restored run replaying the
  same steps meets no fault the second time (as a transient blow-up would).
  """

  def __init__(self, nan_noise_calls=(), nan_weight_calls=()):
    self.nan_noise_calls = set(nan_noise_calls)
    self.nan_weight_calls = set(nan_weight_calls)
    self.calls = 0

  def __call__(self, step, images, seed):
    self.calls += 1
    if self.calls in self.nan_noise_calls:
      real = step._sample_noise  # pylint: disable=protected-access
      step._sample_noise = lambda shape, s: tf.fill(shape, np.nan)  # pylint: disable=protected-access
      try:
        return _REAL_CALL(step, images, seed)
      finally:
        step._sample_noise = real  # pylint: disable=protected-access
    metrics = _REAL_CALL(step, images, seed)
    if self.calls in self.nan_weight_calls:
      # A finite update that overflowed: the weights themselves went bad.
      variable = step._model.trainable_variables[0]  # pylint: disable=protected-access
      variable.assign(tf.fill(variable.shape, np.inf))
    return metrics


def _checkpoint_values(path):
  reader = tf.train.load_checkpoint(path)
  return {name: reader.get_tensor(name)
          for name, dtype in reader.get_variable_to_dtype_map().items()
          if dtype.is_floating}


class SkippedStepTest(tf.test.TestCase):

  def test_nan_gradient_with_finite_loss_is_skipped_and_counted(self):
    images = next(iter(data.load_dataset("embedded").train(8, seed=0)))
    run = tiny_run.TinyRun(images)
    real_log_prob = run.model.log_prob_with_noise

    def nan_gradient_log_prob(images, noise, training=False):
      # sqrt at 0: the value is 0, its derivative infinite, times 0 -> NaN.
      weight = run.model.trainable_variables[0]
      return real_log_prob(images, noise, training=training) + tf.sqrt(
          0.0 * tf.reduce_sum(weight))

    before = [v.numpy() for v in run.all_variables()]
    with mock.patch.object(run.model, "log_prob_with_noise",
                           nan_gradient_log_prob):
      bad_step = run.make_step()
      for expected in (1, 2):
        out = bad_step(images, seed=(0, expected))
        self.assertTrue(np.isfinite(out["loss_bpd"].numpy()))
        self.assertFalse(np.isfinite(out["grad_norm"].numpy()))
        self.assertFalse(bool(out["applied"].numpy()))
        self.assertEqual(int(out["consecutive_skips"].numpy()), expected)
    for value, variable in zip(before, run.all_variables()):
      self.assertAllEqual(value, variable.numpy(), msg=variable.name)
    # The counter lives with the step; a good step applies and resets it.
    bad_step.consecutive_skips.assign(2)
    out = run.step(images, seed=(0, 3))
    self.assertTrue(bool(out["applied"].numpy()))
    self.assertEqual(int(run.step.consecutive_skips.numpy()), 0)

  def test_the_step_skips_without_a_branch(self):
    # A tf.cond would capture every variable, slot and EMA shadow.
    images = next(iter(data.load_dataset("embedded").train(8, seed=0)))
    run = tiny_run.TinyRun(images)
    noise = run.model.dequantizer.sample_noise(tf.shape(images), (0, 0))
    counts = graph_ops.op_counts(
        run.step._compiled.get_concrete_function(images, noise))
    self.assertEqual(counts["If"] + counts["StatelessIf"], 0)
    self.assertEqual(counts["ResourceApplyAdam"],
                     len(run.model.trainable_variables))


class DivergencePolicyTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    self.workdir = os.path.join(self.create_tempdir().full_path, "run")
    self.checkpoints = os.path.join(self.workdir, "checkpoints")

  def _train(self, faults, config):
    messages = []
    with mock.patch.object(train_step_lib.TrainStep, "__call__",
                           lambda step, *a: faults(step, *a)):
      try:
        return train.train_and_evaluate(config, self.workdir,
                                        log=messages.append), messages
      finally:
        self.messages = messages

  def test_restore_halves_the_rate_and_the_factor_survives_a_resume(self):
    # Calls 5-7 are steps 5-7: three non-finite steps in a row. ckpt-6
    # holds step 4's weights (steps 5 and 6 were skipped).
    metrics, messages = self._train(_Faults(nan_noise_calls=(5, 6, 7)),
                                     _config(steps=8))
    log = "\n".join(messages)
    self.assertIn("Training diverged at step 7: 3 non-finite steps in a row."
                  " Restored", log)
    self.assertRegex(log, r"Restored .*ckpt-6 \(step 6\) and halved the "
                     r"learning rate \(now x0\.5 of the schedule\)")
    self.assertEqual(metrics["steps"], 8)
    # The count restored with ckpt-6 (steps 5, 6); step 7 was undone.
    self.assertEqual(metrics["skipped_updates"], 2)
    self.assertAllClose(
        tf.train.load_checkpoint(os.path.join(self.checkpoints, "ckpt-8"))
        .get_tensor("lr_scale/.ATTRIBUTES/VARIABLE_VALUE"), 0.5)
    # Resumed (more steps), the run keeps the halved rate.
    config = _config(steps=10)
    self._train(_Faults(), config)
    self.assertAllClose(
        tf.train.load_checkpoint(os.path.join(self.checkpoints, "ckpt-10"))
        .get_tensor("lr_scale/.ATTRIBUTES/VARIABLE_VALUE"), 0.5)

  def test_counters_are_read_every_max_consecutive_skips_steps(self):
    # log_every=8, max_consecutive_skips=3: the loop reads the step's
    # counters after steps 3, 6 and 8 only. Step 2 is skipped alone; steps
    # 4-6 in a row trigger the policy at the check after step 6.
    config = _config(steps=8)
    config.train.log_every = 8
    metrics, messages = self._train(_Faults(nan_noise_calls=(2, 4, 5, 6)),
                                    config)
    log = "\n".join(messages)
    self.assertIn("steps 1-3: 1 update skipped (non-finite loss or gradient), "
                  "1 so far.", log)
    self.assertIn("Training diverged at step 6: 3 non-finite steps in a row."
                  " Restored", log)
    self.assertRegex(log, r"Restored .*ckpt-4 \(step 4\)")
    self.assertEqual(metrics["steps"], 8)
    # ckpt-4 counted steps 2 and 4.
    self.assertEqual(metrics["skipped_updates"], 2)
    losses = [m for m in messages if m.startswith("step 8/8 | loss ")]
    self.assertLen(losses, 1)
    self.assertNotIn("nan", losses[0])

  def test_stop_policy_ends_with_a_clear_error_and_intact_checkpoints(self):
    with self.assertRaisesRegex(
        errors.DivergenceError,
        r"Training diverged at step 7: 3 non-finite steps in a row "
        r"\(train.on_divergence=stop\)\. The checkpoints in .* are intact"):
      self._train(_Faults(nan_noise_calls=(5, 6, 7)),
                  _config(steps=8, policy="stop"))
    self.assertEqual(
        os.path.basename(checkpointing.checkpoint_paths(self.checkpoints)[0]),
        "ckpt-6")

  def test_non_finite_weights_are_never_saved(self):
    metrics, messages = self._train(_Faults(nan_weight_calls=(5,)),
                                    _config(steps=8))
    self.assertIn("Training diverged at step 6: the weights are not finite.",
                  "\n".join(messages))
    self.assertEqual(metrics["steps"], 8)
    for path in checkpointing.checkpoint_paths(self.checkpoints):
      for name, value in _checkpoint_values(path).items():
        self.assertTrue(np.all(np.isfinite(value)), f"{path}: {name}")

  def test_unknown_policy_is_a_config_error(self):
    with self.assertRaisesRegex(errors.ConfigError,
                                r"config.train.on_divergence='retry': must "
                                r"be 'restore' or 'stop'"):
      self._train(_Faults(), _config(policy="retry"))
    self.assertFalse(os.path.exists(self.workdir))


if __name__ == "__main__":
  tf.test.main()
