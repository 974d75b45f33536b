"""Variational dequantization (Flow++ section 3.1): u ~ q(u | x), a flow."""

import tensorflow as tf

from tfp_flows.densities import standard_normal_log_prob
from tfp_flows.dequantization import base


class VariationalDequantizer(base.Dequantizer):
  """`u = g(eps; context(x))`, `eps ~ N(0, I)`, `y = x + u`.

  Assembled from two parts: a context network on the centred image
  `x / 2^n_bits - 0.5`, and a conditional flow `g` that ends in a sigmoid
  (so `u` lies in `(0, 1)^D`) and hands the context to its layers. By change
  of variables,

      log q(u | x) = log N(eps; 0, I) - log|det du / d eps|,

  and the model is trained on the ELBO `E_q[log p(x + u) - log q(u | x)]`,
  which bounds `log P(x)` from below and is tighter than uniform
  dequantization once q fits. Flow++'s q (gated convs on the column-split
  image, Flow++ coupling steps) and MaCow's (a ResNet encoding, a small
  MaCow) are two assemblies of this class (`tfp_flows.models`).

  Args:
    event_shape: `(H, W, C)` of the images.
    context_network: a `tf_keras` layer, called as
      `context_network(inputs, training=...)`.
    flow: a conditional `FlowBijector` from `eps` to `u`, shape-preserving,
      called with `context=`.
    n_bits: bits per pixel value.
    context_inputs: maps the centred images to the context network's input
      (default: the identity; Flow++ stacks the two column halves).
  """

  def __init__(self, event_shape, context_network, flow, n_bits,
               context_inputs=None, name="variational_dequantizer"):
    super().__init__(name=name)
    self._n_bins = float(2 ** n_bits)
    self._context_inputs = context_inputs or (lambda centred: centred)
    self.context_net = context_network
    self.flow = flow
    # Creates the context network's weights now (the flow's exist already).
    self.context(tf.zeros((1,) + tuple(event_shape), tf.uint8))

  def context(self, images, training=False):
    """The context features the flow is conditioned on."""
    centred = tf.cast(images, tf.float32) / self._n_bins - 0.5
    return self.context_net(self._context_inputs(centred), training=training)

  def sample_noise(self, shape, seed=None):
    if seed is None:
      return tf.random.normal(shape)
    return tf.random.stateless_normal(shape, seed=seed)

  def dequantize_with_noise(self, images, noise, training=False):
    u, log_det = self.flow.forward_and_log_det(
        noise, training=training, context=self.context(images, training))
    return (tf.cast(images, tf.float32) + u,
            standard_normal_log_prob(noise) - log_det)
