"""Two mirrored replicas train exactly like one device, and skip NaN steps.

Two logical CPU devices stand in for two accelerators: they must be
configured before TensorFlow creates its devices, hence at import time.
"""

import numpy as np
import tensorflow as tf

from tests.training import tiny_run
from tfp_flows import data

_CPUS = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(
    _CPUS[0], [tf.config.LogicalDeviceConfiguration()] * 2)

_GLOBAL_BATCH = 8
_STEPS = 3


def _batches():
  """`(init_images, train_images)`: two different batches of real digits.

  Initialising on the training batch itself would make some gradients zero
  in exact arithmetic (an ActNorm bias right after initialisation on the
  same images), leaving pure rounding noise that Adam rescales to steps of
  ~2e-5 (measured): summation-order noise, not a replica bug. `train.py` also
  initialises on a separate batch.
  """
  dataset = data.load_dataset("embedded")
  init = next(iter(dataset.train(16, seed=1))).numpy()
  train = next(iter(dataset.train(_GLOBAL_BATCH, seed=0))).numpy()
  return init, train


def _values(variables):
  return [np.array(v.numpy()) for v in variables]


class DistributedTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    cls.init_images, cls.images = _batches()

  def _mirrored(self):
    devices = tf.config.list_logical_devices("CPU")
    self.assertLen(devices, 2)
    return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])

  def _assert_replicas_identical(self, strategy, variables, when):
    for v in variables:
      local = strategy.experimental_local_results(v)
      self.assertLen(local, 2, msg=v.name)
      np.testing.assert_array_equal(
          local[0].numpy(), local[1].numpy(),
          err_msg=f"{when}: replicas disagree on {v.name}")

  def test_two_replicas_match_one(self):
    single = tiny_run.TinyRun(self.init_images)
    mirrored = tiny_run.TinyRun(self.init_images, self._mirrored())
    self.assertEqual(mirrored.strategy.num_replicas_in_sync, 2)
    self.assertFalse(mirrored.step.jit_compile)

    # Identical starts, and replicas identical after initialize().
    self.assertTrue(bool(mirrored.model.initialized.numpy()))
    self._assert_replicas_identical(mirrored.strategy,
                                    mirrored.model.variables, "after init")
    for a, b in zip(single.model.variables, mirrored.model.variables):
      np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.name)
    start = _values(single.model.trainable_variables)

    for i in range(_STEPS):
      batch = tf.constant(self.images)
      out_1 = single.step(batch, seed=(0, i))
      out_2 = mirrored.step(batch, seed=(0, i))
      self.assertTrue(bool(out_1["applied"].numpy()))
      self.assertTrue(bool(out_2["applied"].numpy()))
      # Measured: the losses differ by at most 1 float32 ulp (~1e-6 bits/dim
      # at a loss of ~8).
      self.assertAllClose(out_1["loss_bpd"], out_2["loss_bpd"],
                          atol=1e-5, rtol=1e-6)
      self.assertAllClose(out_1["grad_norm"], out_2["grad_norm"],
                          atol=1e-5, rtol=1e-5)

    self._assert_replicas_identical(
        mirrored.strategy, mirrored.all_variables(), "after training")
    # The replicas only change the order of summation (two half-batch sums
    # and an all-reduce instead of one sum). Measured max abs difference over
    # all trainable variables after 3 steps: 8.9e-08. A real replica bug
    # (wrong slice, missing all-reduce, per-replica init) shows up as
    # differences of the order of one Adam step, lr = 1e-3.
    self.assertEqual(len(single.model.trainable_variables),
                     len(mirrored.model.trainable_variables))
    for a, b in zip(single.model.trainable_variables,
                    mirrored.model.trainable_variables):
      self.assertEqual(a.shape, b.shape)
      self.assertAllClose(a, b, atol=1e-6, rtol=1e-5, msg=a.name)
    for a, b in zip(single.ema.shadows, mirrored.ema.shadows):
      self.assertAllClose(a, b, atol=1e-6, rtol=1e-5, msg=a.name)
    self.assertEqual(int(single.optimizer.iterations.numpy()), _STEPS)
    self.assertEqual(int(mirrored.optimizer.iterations.numpy()), _STEPS)
    # Training moved the weights by far more than the tolerance.
    moved = max(float(np.abs(v.numpy() - old).max())
                for v, old in zip(single.model.trainable_variables, start))
    self.assertGreater(moved, 1e-3)

  def test_nan_batch_skips_the_update_on_every_replica(self):
    mirrored = tiny_run.TinyRun(self.init_images, self._mirrored())
    batch = tf.constant(self.images)
    # One ordinary step first so the optimizer slots and EMA are non-trivial.
    self.assertTrue(bool(mirrored.step(batch, seed=(0, 0))["applied"].numpy()))
    before = _values(mirrored.all_variables())
    iterations = int(mirrored.optimizer.iterations.numpy())
    self.assertEqual(iterations, 1)
    self.assertGreater(len(mirrored.optimizer.variables()), 1)

    # The dequantization noise is drawn inside the compiled step: NaN noise
    # makes every image's log-density (hence the loss and gradients) NaN on
    # both replicas. `mirrored.step` has already traced the real noise, so a
    # new TrainStep is traced while the patch is in place.
    dequantizer = mirrored.model.dequantizer
    original = dequantizer.sample_noise

    def nan_noise(shape, seed=None):
      return original(shape, seed) * float("nan")

    dequantizer.sample_noise = nan_noise
    try:
      nan_step = mirrored.make_step()
      out = nan_step(batch, seed=(0, 1))
    finally:
      dequantizer.sample_noise = original

    self.assertFalse(bool(out["applied"].numpy()))
    self.assertFalse(np.isfinite(out["loss_bpd"].numpy()))
    self.assertEqual(int(mirrored.optimizer.iterations.numpy()), iterations)
    after = mirrored.all_variables()
    self.assertLen(after, len(before))
    for v, old in zip(after, before):
      np.testing.assert_array_equal(
          v.numpy(), old, err_msg=f"{v.name} changed on a skipped step")
    self._assert_replicas_identical(mirrored.strategy, after,
                                    "after a skipped step")

    # A finite batch afterwards is applied again.
    out = mirrored.step(batch, seed=(0, 2))
    self.assertTrue(bool(out["applied"].numpy()))
    self.assertEqual(int(mirrored.optimizer.iterations.numpy()),
                     iterations + 1)


if __name__ == "__main__":
  tf.test.main()
