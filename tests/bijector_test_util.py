"""Shared checks that every bijector of the package must pass.

Each check feeds FRESH tensors: TFP caches forward/inverse results keyed on
the input tensor object, so reusing a tensor after changing variables would
test the cache instead of the maths.
"""

import numpy as np
import tensorflow as tf

from tfp_flows.nets import initialization

PERTURBATION_SCALE = 0.1


def fresh(array):
  """A new tensor with the values of `array` (defeats TFP's bijector cache)."""
  return tf.constant(np.array(array, dtype=np.float32))


def build(bijector, event_shape, seed=0):
  """Creates lazily-built network weights with one forward pass."""
  x = np.random.default_rng(seed).normal(size=(2,) + tuple(event_shape))
  bijector.forward_and_log_det(fresh(x))


def data_initialize(bijector, x):
  with initialization.data_dependent_init():
    bijector.forward_and_log_det(fresh(x))


def perturb_all_variables(test, bijector, seed=1):
  """Adds N(0, 0.1^2)-or-larger noise to every trainable variable.

  Zero-initialised output convolutions would otherwise make couplings the
  identity, and untouched ActNorm scales would hide log-det mistakes.
  """
  rng = np.random.default_rng(seed)
  variables = bijector.trainable_variables
  test.assertNotEmpty(variables)
  for v in variables:
    v.assign_add(PERTURBATION_SCALE * rng.normal(size=v.shape).astype(
        np.float32))
  return variables


def assert_invertible(test, bijector, x, atol=1e-4, rtol=1e-4):
  """`inverse(forward(x)) == x` and the fused and TFP paths agree."""
  y, log_det = bijector.forward_and_log_det(fresh(x))
  x_back, inverse_log_det = bijector.inverse_and_log_det(fresh(y))
  test.assertAllClose(x, x_back, atol=atol, rtol=rtol)
  test.assertAllClose(log_det, -inverse_log_det, atol=1e-3, rtol=1e-4)
  test.assertAllClose(y, bijector.forward(fresh(x)), atol=1e-5, rtol=1e-5)
  test.assertAllClose(log_det,
                      bijector.forward_log_det_jacobian(fresh(x)),
                      atol=1e-4, rtol=1e-5)
  test.assertAllClose(x, bijector.inverse(fresh(y)), atol=atol, rtol=rtol)
  test.assertAllClose(inverse_log_det,
                      bijector.inverse_log_det_jacobian(fresh(y)),
                      atol=1e-4, rtol=1e-5)
  return np.asarray(y), np.asarray(log_det)


def autodiff_log_det(bijector, x):
  """log|det dy/dx| of one image `x` `[H, W, C]` from the dense Jacobian."""
  x = tf.constant(np.asarray(x, np.float64).astype(np.float32)[None])
  with tf.GradientTape() as tape:
    tape.watch(x)
    y = bijector.forward(x)
  jacobian = tape.jacobian(y, x)
  size = int(np.prod(x.shape))
  matrix = tf.reshape(tf.cast(jacobian, tf.float64), [size, size])
  _, log_abs_det = tf.linalg.slogdet(matrix)
  return float(log_abs_det)


def assert_log_det_matches_autodiff(test, bijector, images, atol=2e-3):
  """The fused log-det equals log|det| of the autodiff Jacobian per image."""
  _, log_det = bijector.forward_and_log_det(fresh(images))
  for image, value in zip(images, np.asarray(log_det)):
    test.assertAllClose(value, autodiff_log_det(bijector, image),
                        atol=atol, rtol=1e-4)
  return np.asarray(log_det)


def assert_log_det_varies(test, bijector, images):
  """Two different inputs give different log-dets (not a constant by accident)."""
  _, log_det = bijector.forward_and_log_det(fresh(images))
  test.assertGreater(float(np.abs(log_det[0] - log_det[1])), 1e-3)


def assert_gradient_has_no_strided_writes(test, bijector, images):
  """The training gradient has no `StridedSliceGrad`.

  Indexing a tensor (`x[..., :c]`) differentiates to a strided write into a
  zeroed copy of the whole tensor, one per index; on a CPU those were a
  tenth of Glow's training step. Splits, unstacks and `tf.slice` have cheap
  gradients (a concatenation, a stack, a pad).
  """
  x = fresh(images)

  @tf.function
  def gradients(x):
    with tf.GradientTape() as tape:
      tape.watch(x)
      y, log_det = bijector.forward_and_log_det(x)
      loss = tf.reduce_sum(y * y) - tf.reduce_sum(log_det)
    return tape.gradient(loss, [x] + list(bijector.trainable_variables))

  graph = gradients.get_concrete_function(x).graph
  types = {op.type for op in graph.get_operations()}
  test.assertNotIn("StridedSliceGrad", types)
