"""XLA-compiled training and density evaluation match the uncompiled ones."""

import numpy as np
import tensorflow as tf

from tests.models import model_test_util
from tests.training import tiny_run
from tfp_flows import data

_STEPS = 2


class XlaTest(tf.test.TestCase):

  @classmethod
  def setUpClass(cls):
    super().setUpClass()
    dataset = data.load_dataset("embedded")
    # Initialise on a different batch from the training one: right after
    # initialising on the training batch some gradients (ActNorm biases) are
    # zero in exact arithmetic, and Adam rescales their rounding noise into
    # updates of ~2e-5 that differ between any two summation orders.
    cls.init_images = next(iter(dataset.train(16, seed=1))).numpy()
    cls.images = next(iter(dataset.train(8, seed=0))).numpy()

  def test_compiled_train_step_matches_uncompiled(self):
    # XLA draws a different stream from a stateless seed than TF's kernels;
    # TrainStep draws the noise outside the compiled part, so both runs see
    # the same noise and this compares the compiled maths only.
    plain = tiny_run.TinyRun(self.init_images, jit_compile=False)
    compiled = tiny_run.TinyRun(self.init_images, jit_compile=True)
    self.assertTrue(compiled.step.jit_compile)
    self.assertFalse(plain.step.jit_compile)
    for a, b in zip(plain.model.variables, compiled.model.variables):
      np.testing.assert_array_equal(a.numpy(), b.numpy())
    start = [v.numpy() for v in plain.model.trainable_variables]

    for i in range(_STEPS):
      out_plain = plain.step(tf.constant(self.images), seed=(0, i))
      out_xla = compiled.step(tf.constant(self.images), seed=(0, i))
      self.assertTrue(bool(out_plain["applied"].numpy()))
      self.assertTrue(bool(out_xla["applied"].numpy()))
      # Measured: equal losses, grad norms ~2e-7 apart (~2 float32 ulps).
      self.assertAllClose(out_plain["loss_bpd"], out_xla["loss_bpd"],
                          atol=1e-5, rtol=1e-6)
      self.assertAllClose(out_plain["grad_norm"], out_xla["grad_norm"],
                          atol=1e-5, rtol=1e-5)

    # XLA fuses and reorders float32 arithmetic. Measured max abs difference
    # over all trainable variables after 2 Adam steps (lr 1e-3): 3.9e-08;
    # a wrong compiled step would be off by about one Adam step (1e-3).
    for a, b in zip(plain.model.trainable_variables,
                    compiled.model.trainable_variables):
      self.assertEqual(a.shape, b.shape)
      self.assertAllClose(a, b, atol=1e-6, rtol=1e-5)
    for a, b in zip(plain.ema.shadows, compiled.ema.shadows):
      self.assertAllClose(a, b, atol=1e-6, rtol=1e-5)
    self.assertEqual(int(compiled.optimizer.iterations.numpy()), _STEPS)
    # The steps moved the weights by much more than the tolerance.
    moved = max(float(np.abs(v.numpy() - old).max())
                for v, old in zip(plain.model.trainable_variables, start))
    self.assertGreater(moved, 1e-3)

  def test_compiled_log_prob_with_noise_matches_eager(self):
    model = model_test_util.tiny_model("glow", tiny_run.EVENT_SHAPE)
    model_test_util.initialized_and_perturbed(self, model, seed=0)
    noise = model.dequantizer.sample_noise(self.images.shape, (5, 6))

    compiled = tf.function(
        lambda images, noise: model.log_prob_with_noise(images, noise),
        jit_compile=True)
    # Fresh tensors for each call (TFP's bijector cache is keyed on them).
    xla = compiled(tf.constant(self.images), tf.identity(noise)).numpy()
    eager = model.log_prob_with_noise(tf.constant(self.images),
                                      tf.identity(noise)).numpy()
    self.assertEqual(eager.shape, (len(self.images),))
    self.assertTrue(np.all(np.isfinite(eager)))
    # Measured: max abs difference 2.4e-3 nats on values of -6400 to -6850
    # nats per image (4e-7 relative, a few float32 ulps of the sums).
    self.assertAllClose(xla, eager, atol=1e-2, rtol=1e-5)

  def test_compiled_flowpp_matches_eager(self):
    """Flow++ under XLA: log_prob (variational dequantization) and sampling
    (the float64 root search inside the compiled graph)."""
    model = model_test_util.tiny_model("flowpp", tiny_run.EVENT_SHAPE)
    model_test_util.initialized_and_perturbed(self, model, seed=0)
    noise = model.dequantizer.sample_noise(self.images.shape, (5, 6))
    log_prob = tf.function(model.log_prob_with_noise, jit_compile=True)
    xla = log_prob(tf.constant(self.images), tf.identity(noise)).numpy()
    eager = model.log_prob_with_noise(tf.constant(self.images),
                                      tf.identity(noise)).numpy()
    self.assertTrue(np.all(np.isfinite(eager)))
    self.assertAllClose(xla, eager, atol=1e-2, rtol=1e-5)

    latents = tf.random.stateless_normal((4,) + tiny_run.EVENT_SHAPE, (1, 2))
    decode = tf.function(model.decode, jit_compile=True)
    xla_samples = decode(tf.identity(latents)).numpy().astype(np.int32)
    eager_samples = model.decode(tf.identity(latents)).numpy().astype(np.int32)
    # floor() of values that XLA and eager round differently may move a
    # pixel by one level.
    self.assertLessEqual(int(np.abs(xla_samples - eager_samples).max()), 1)
    self.assertGreaterEqual(float(np.mean(xla_samples == eager_samples)), 0.99)


if __name__ == "__main__":
  tf.test.main()
