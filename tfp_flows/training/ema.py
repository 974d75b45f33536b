"""Exponential moving average (Polyak averaging) of a model's weights."""

import tensorflow as tf


class ExponentialMovingAverage(tf.Module):
  """Shadow copies of `variables`, averaged after every applied update.

  The decay warms up as `min(decay, (1 + t) / (10 + t))` (t = updates so far)
  so the early average is not dominated by the random initial weights. Create
  it under the distribution strategy's scope; call `update` in cross-replica
  context (its assignments then reach every replica).
  """

  def __init__(self, variables, decay, name="ema"):
    super().__init__(name=name)
    self._decay = float(decay)
    with tf.name_scope(name):
      self.shadows = [
          tf.Variable(v, trainable=False,
                      name=v.name.split(":")[0].replace("/", "_"))
          for v in variables
      ]
      self.num_updates = tf.Variable(0, trainable=False, dtype=tf.int64,
                                     name="num_updates")

  def decay(self):
    t = tf.cast(self.num_updates, tf.float32)
    return tf.minimum(self._decay, (1.0 + t) / (10.0 + t))

  def update(self, variables, condition=None):
    """`shadow <- decay * shadow + (1 - decay) * variable`, for each pair.

    Written as `shadow -= (1 - decay) * (shadow - variable)` with the rate
    computed once: a model's step then traces (and has grappler optimise)
    five nodes per variable rather than eight. `condition` (a scalar bool
    tensor, or None for always): where False the rate is 0 and the update
    count stays, so nothing changes, without control flow.
    """
    rate = 1.0 - self.decay()
    count = 1
    if condition is not None:
      rate = tf.where(condition, rate, 0.0)
      count = tf.cast(condition, self.num_updates.dtype)
    for shadow, variable in zip(self.shadows, variables):
      shadow.assign_sub(rate * (shadow - variable))
    self.num_updates.assign_add(count)

  def copy_to(self, variables):
    """Writes the averaged weights into `variables` (same order)."""
    for shadow, variable in zip(self.shadows, variables):
      variable.assign(shadow)
