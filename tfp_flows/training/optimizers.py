"""Adam with one fused update per variable, and updates that can be skipped.

tf_keras's Adam builds each variable's update from about 30 operations,
recomputing the learning-rate schedule and the bias corrections for every
variable: for a CIFAR-10 Glow (1,252 variables) that was most of the
40,000 nodes its first training step traced and then had grappler
optimise. `FusedAdam` computes those shared terms once per step and updates
each variable with TensorFlow's fused `ResourceApplyAdam` kernel, which
implements the same update as tf_keras:

    m <- m + (g - m) (1 - beta_1)
    v <- v + (g^2 - v) (1 - beta_2)
    w <- w - lr sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + eps)

with t the step number (from 1). Its variables (iterations, m and v slots)
are tf_keras Adam's, so checkpoints written by either load into the other.
Sparse gradients, `amsgrad` and `adaptive_epsilon` take tf_keras's own path.

`apply_gradients(..., condition=c)` skips the update where `c` is False
without control flow: the same kernels run with `lr = 0` and
`beta_1 = beta_2 = 1`, which leave w, m and v exactly as they were for any
finite gradient, and the iteration count is not advanced. A training step
that must skip non-finite updates then needs no `tf.cond`, whose branches
would capture every variable and slot of the model (MaCow's CIFAR-10 step:
about 16,000 captured handles, each lowered to a switch node).
"""

import tensorflow as tf
import tf_keras


class FusedAdam(tf_keras.optimizers.Adam):
  """`tf_keras.optimizers.Adam`, updating each variable with one kernel."""

  def apply_gradients(self, grads_and_vars, *args, condition=None, **kwargs):
    """tf_keras's `apply_gradients`; `condition` (a scalar bool tensor, or
    None for always) says whether to update.

    Where `condition` is False the gradients must still be finite (zeros
    will do): the skipped update multiplies them by 0.
    """
    # The step's shared terms live for one call: they belong to its graph.
    self._step_terms = None
    self._condition = condition
    try:
      return super().apply_gradients(grads_and_vars, *args, **kwargs)
    finally:
      self._step_terms = None
      self._condition = None

  def _distributed_apply_gradients_fn(self, distribution, grads_and_vars,
                                      **kwargs):
    # Runs in cross-replica context, where the count can be corrected.
    iterations = super()._distributed_apply_gradients_fn(
        distribution, grads_and_vars, **kwargs)
    if self._condition is None:
      return iterations
    return self.iterations.assign_sub(
        1 - tf.cast(self._condition, self.iterations.dtype))

  def _shared_terms(self, dtype):
    """`(lr, beta_1^t, beta_2^t, beta_1, beta_2, epsilon)` of this step,
    built at its first update; with `condition` False, lr 0 and betas 1."""
    if getattr(self, "_step_terms", None) is None:
      step = tf.cast(self.iterations + 1, dtype)
      lr = tf.cast(self.learning_rate, dtype)
      beta_1, beta_2 = (tf.cast(self.beta_1, dtype),
                        tf.cast(self.beta_2, dtype))
      # The bias corrections keep the true betas: 1 - 1^t would divide 0/0.
      beta_1_power, beta_2_power = tf.pow(beta_1, step), tf.pow(beta_2, step)
      condition = getattr(self, "_condition", None)
      if condition is not None:
        lr = tf.where(condition, lr, tf.zeros_like(lr))
        beta_1 = tf.where(condition, beta_1, tf.ones_like(beta_1))
        beta_2 = tf.where(condition, beta_2, tf.ones_like(beta_2))
      self._step_terms = (lr, beta_1_power, beta_2_power, beta_1, beta_2,
                          tf.cast(self.epsilon, dtype))
    return self._step_terms

  def update_step(self, gradient, variable):
    if (isinstance(gradient, tf.IndexedSlices) or self.amsgrad
        or self.adaptive_epsilon):
      if getattr(self, "_condition", None) is not None:
        raise NotImplementedError(
            "FusedAdam's condition needs dense gradients and plain Adam "
            "(no amsgrad, no adaptive_epsilon).")
      return super().update_step(gradient, variable)
    (lr, beta_1_power, beta_2_power, beta_1, beta_2,
     epsilon) = self._shared_terms(variable.dtype)
    index = self._index_dict[self._var_key(variable)]
    return tf.raw_ops.ResourceApplyAdam(
        var=variable.handle, m=self._momentums[index].handle,
        v=self._velocities[index].handle, beta1_power=beta_1_power,
        beta2_power=beta_2_power, lr=lr, beta1=beta_1, beta2=beta_2,
        epsilon=epsilon, grad=gradient)
