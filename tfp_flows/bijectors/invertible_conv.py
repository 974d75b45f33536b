"""Invertible 1x1 convolution (Glow), LU-parameterised."""

import numpy as np
import tensorflow as tf

from tfp_flows.bijectors import flow_bijector


class InvertibleConv1x1(flow_bijector.FlowBijector):
  """Mixes channels at every position: `y[h, w] = W @ x[h, w]`.

  `W = P @ L @ (U + diag(sign * exp(log_s)))` with `P` a fixed permutation,
  `L` unit lower-triangular and `U` strictly upper-triangular (Kingma &
  Dhariwal 2018, section 3.2). The log-det is then O(C):

      log|det J| = H * W * sum_c log_s_c.

  Trainable parameters: the strict lower and upper triangles (stored as
  vectors) and `log_s`, C*C scalars in all, the count of Flow++'s bias-free
  "Pointwise" matrix.

  Args:
    channels: C.
    init: `'rotation'` (Glow: a random orthogonal matrix) or `'identity'`
      (Flow++: the identity plus `identity_noise` Gaussian noise).
    seed: integer seed for the initial matrix.
  """

  def __init__(self, channels, init="rotation", seed=0, identity_noise=1e-3,
               validate_args=False, name="invertible_conv_1x1"):
    parameters = dict(locals())
    self._channels = int(channels)
    self._strict_lower = np.tril_indices(self._channels, -1)
    lower, upper, perm, sign, log_s = _lu_initial_factors(
        self._channels, init, seed, identity_noise)
    with tf.name_scope(name):
      self.lower = tf.Variable(lower[self._strict_lower], name="lower")
      self.upper = tf.Variable(upper.T[self._strict_lower], name="upper")
      self.log_s = tf.Variable(log_s, name="log_s")
      # Fixed by the initial matrix; variables so checkpoints carry them.
      self.permutation = tf.Variable(perm, trainable=False, name="permutation")
      self.sign = tf.Variable(sign, trainable=False, name="sign")
    super().__init__(parameters=parameters, name=name,
                     event_shape=(None, None, self._channels),
                     is_constant_jacobian=True, validate_args=validate_args)

  def weight(self):
    """The C x C matrix W, assembled from its LU factors."""
    c = self._channels
    indices = np.stack(self._strict_lower, axis=1)
    lower = tf.scatter_nd(indices, self.lower, [c, c]) + tf.eye(c)
    upper = tf.transpose(tf.scatter_nd(indices, self.upper, [c, c]))
    upper += tf.linalg.diag(self.sign * tf.exp(self.log_s))
    return tf.gather(lower @ upper, self.permutation)

  def _log_det(self, x):
    spatial = tf.cast(tf.shape(x)[1] * tf.shape(x)[2], x.dtype)
    return tf.fill(tf.shape(x)[:1], spatial * tf.reduce_sum(self.log_s))

  def _forward_and_log_det(self, x, training, context=None):
    return tf.einsum("nhwc,dc->nhwd", x, self.weight()), self._log_det(x)

  def _inverse_and_log_det(self, y, training, context=None):
    inverse_weight = tf.linalg.inv(self.weight())
    return tf.einsum("nhwc,dc->nhwd", y, inverse_weight), -self._log_det(y)


def _lu_initial_factors(channels, init, seed, identity_noise):
  rng = np.random.default_rng(seed)
  if init == "rotation":
    weight, _ = np.linalg.qr(rng.standard_normal((channels, channels)))
  elif init == "identity":
    weight = np.eye(channels) + identity_noise * rng.standard_normal(
        (channels, channels))
  else:
    raise ValueError(f"init must be 'rotation' or 'identity'; got {init!r}.")
  perm, lower, upper = _lu_with_partial_pivoting(weight)
  diag = np.diag(upper)
  return (lower.astype(np.float32), np.triu(upper, 1).astype(np.float32),
          perm.astype(np.int32), np.sign(diag).astype(np.float32),
          np.log(np.abs(diag)).astype(np.float32))


def _lu_with_partial_pivoting(a):
  """Returns `perm, L, U` with `a == (L @ U)[perm]`, L unit lower-triangular."""
  n = a.shape[0]
  u = a.astype(np.float64).copy()
  lower = np.eye(n)
  rows = np.arange(n)
  for k in range(n - 1):
    pivot = k + int(np.argmax(np.abs(u[k:, k])))
    u[[k, pivot]] = u[[pivot, k]]
    lower[[k, pivot], :k] = lower[[pivot, k], :k]
    rows[[k, pivot]] = rows[[pivot, k]]
    factors = u[k + 1:, k] / u[k, k]
    lower[k + 1:, k] = factors
    u[k + 1:] -= np.outer(factors, u[k])
  # `u = L^-1 @ a[rows]`, so `a = (L @ U)[argsort(rows)]`.
  return np.argsort(rows), lower, np.triu(u)
