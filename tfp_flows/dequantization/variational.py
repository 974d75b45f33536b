"""Variational dequantization (Flow++ section 3.1): u ~ q(u | x), a flow."""

import tensorflow as tf
import tensorflow_probability as tfp

from tfp_flows import bijectors
from tfp_flows import nets

tfd = tfp.distributions


class VariationalDequantizer(tf.Module):
  """`u = sigmoid(g(eps; context(x)))`, `eps ~ N(0, I)`, `y = x + u`.

  `g` is a conditional flow of `num_couplings` Flow++ steps (per-position
  ActNorm, a 1x1 conv per half, a mixture-of-logistics coupling whose
  network adds the context in every block), alternating the halves of a
  column split; `context(x)` is a gated conv net on the column-split image
  `x / 2^n_bits - 0.5`. By change of variables,

      log q(u | x) = log N(eps; 0, I) - log|det du / d eps|,

  and the model is trained on the ELBO `E_q[log p(x + u) - log q(u | x)]`,
  which bounds `log P(x)` from below and is tighter than uniform
  dequantization once q fits.

  Args:
    event_shape: `(H, W, C)` of the images (W even).
    n_bits: bits per pixel value.
    config: a ConfigDict with `hidden_channels`, `num_blocks`,
      `num_components`, `num_couplings`, `context_channels`,
      `context_blocks`, `attention`, `heads`, `dropout`.
  """

  def __init__(self, event_shape, n_bits, config,
               name="variational_dequantizer"):
    super().__init__(name=name)
    self.event_shape = tuple(int(d) for d in event_shape)
    self._n_bins = float(2 ** n_bits)
    self._partition = bijectors.get_partition("columns")
    with self.name_scope:
      self.context_net = nets.ContextNet(
          config.context_channels, config.context_blocks, config.dropout,
          name="context")
      network_fn = nets.network_builder(
          "flowpp", hidden_channels=config.hidden_channels,
          num_blocks=config.num_blocks, attention=config.attention,
          heads=config.heads, dropout=config.dropout, use_context=True)
      transform = bijectors.MixtureLogisticTransform(config.num_components)
      self.flow = bijectors.Sequential(
          [bijectors.steps.flowpp_step(
              self.event_shape, "columns", network_fn, transform,
              swap=bool(k % 2), seed=2 * k, name=f"dequant_{k}")
           for k in range(config.num_couplings)] + [bijectors.Sigmoid()],
          name="dequantization_flow")

  def context(self, images, training=False):
    """Context features `[N, H, W/2, context_channels]` of the images."""
    centred = tf.cast(images, tf.float32) / self._n_bins - 0.5
    return self.context_net(tf.concat(self._partition.split(centred), -1),
                            training=training)

  def sample_noise(self, shape, seed=None):
    if seed is None:
      return tf.random.normal(shape)
    return tf.random.stateless_normal(shape, seed=seed)

  def dequantize_with_noise(self, images, noise, training=False):
    u, log_det = self.flow.forward_and_log_det(
        noise, training=training, context=self.context(images, training))
    log_normal = tf.reduce_sum(tfd.Normal(0.0, 1.0).log_prob(noise),
                               axis=[1, 2, 3])
    return tf.cast(images, tf.float32) + u, log_normal - log_det

  def dequantize(self, images, seed=None, training=False):
    """Returns `(y, log_q)` with `y = images + u`, `u ~ q(u | images)`."""
    noise = self.sample_noise(tf.shape(images), seed)
    return self.dequantize_with_noise(images, noise, training=training)
