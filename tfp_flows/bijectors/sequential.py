"""A flow: bijectors applied one after another, with a fused pass throughout."""

import tensorflow as tf

from tfp_flows.bijectors import flow_bijector


class Sequential(flow_bijector.FlowBijector):
  """Applies `layers` in list order: `forward(x) = layers[-1](...layers[0](x))`.

  The order is the reverse of `tfb.Chain`'s: a model file lists its layers in
  the order the paper's architecture table does (data towards latent). The
  log-det of the composition is the sum of the layers' log-dets, each
  computed in the same pass as its output (chain rule).
  """

  def __init__(self, layers, validate_args=False, name="sequential"):
    parameters = dict(locals())
    self._layers = list(layers)
    for layer in self._layers:
      if not isinstance(layer, flow_bijector.FlowBijector):
        raise TypeError(
            f"Sequential takes FlowBijectors (with a fused pass); got "
            f"{type(layer).__name__}.")
    super().__init__(parameters=parameters, name=name,
                     is_constant_jacobian=all(
                         l.is_constant_jacobian for l in self._layers),
                     validate_args=validate_args)

  @property
  def layers(self):
    return list(self._layers)

  def transform_context(self, context):
    for layer in self._layers:
      context = layer.transform_context(context)
    return context

  def _contexts(self, context):
    """The context each layer sees, in order."""
    contexts = []
    for layer in self._layers:
      contexts.append(context)
      if context is not None:
        context = layer.transform_context(context)
    return contexts

  def _forward_and_log_det(self, x, training, context=None):
    total = tf.zeros(tf.shape(x)[:1], x.dtype)
    for layer, layer_context in zip(self._layers, self._contexts(context)):
      x, log_det = layer.forward_and_log_det(x, training=training,
                                              context=layer_context)
      total += log_det
    return x, total

  def _inverse_and_log_det(self, y, training, context=None):
    total = tf.zeros(tf.shape(y)[:1], y.dtype)
    for layer, layer_context in reversed(list(zip(self._layers,
                                                  self._contexts(context)))):
      y, log_det = layer.inverse_and_log_det(y, training=training,
                                              context=layer_context)
      total += log_det
    return y, total
