"""Adam with one fused update per variable.

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
"""

import tensorflow as tf
import tf_keras


class FusedAdam(tf_keras.optimizers.Adam):
  """`tf_keras.optimizers.Adam`, updating each variable with one kernel."""

  def apply_gradients(self, grads_and_vars, *args, **kwargs):
    # The step's shared terms live for one call: they belong to its graph.
    self._step_terms = None
    try:
      return super().apply_gradients(grads_and_vars, *args, **kwargs)
    finally:
      self._step_terms = None

  def _shared_terms(self, dtype):
    """`(lr, beta_1^t, beta_2^t, beta_1, beta_2, epsilon)` of this step,
    built at its first update."""
    if getattr(self, "_step_terms", None) is None:
      step = tf.cast(self.iterations + 1, dtype)
      beta_1, beta_2 = (tf.cast(self.beta_1, dtype),
                        tf.cast(self.beta_2, dtype))
      self._step_terms = (tf.cast(self.learning_rate, dtype),
                          tf.pow(beta_1, step), tf.pow(beta_2, step),
                          beta_1, beta_2, tf.cast(self.epsilon, dtype))
    return self._step_terms

  def update_step(self, gradient, variable):
    if (isinstance(gradient, tf.IndexedSlices) or self.amsgrad
        or self.adaptive_epsilon):
      return super().update_step(gradient, variable)
    (lr, beta_1_power, beta_2_power, beta_1, beta_2,
     epsilon) = self._shared_terms(variable.dtype)
    index = self._index_dict[self._var_key(variable)]
    return tf.raw_ops.ResourceApplyAdam(
        var=variable.handle, m=self._momentums[index].handle,
        v=self._velocities[index].handle, beta1_power=beta_1_power,
        beta2_power=beta_2_power, lr=lr, beta1=beta_1, beta2=beta_2,
        epsilon=epsilon, grad=gradient)
