"""A flow: bijectors applied one after another, with a fused pass throughout."""

import contextlib

import tensorflow as tf
import tf_keras

from tfp_flows import errors
from tfp_flows import recomputation
from tfp_flows import scanning
from tfp_flows.bijectors import flow_bijector
from tfp_flows.bijectors import factor_out

# Read while a function is traced, so it holds for every replica's thread.
_recompute = False


@contextlib.contextmanager
def recompute_gradients(enabled=True):
  """Within it, traced flows keep less for the backward pass (forward only).

  Each layer of a `Sequential` that has weights (an ActNorm, a 1x1 conv, a
  coupling, a masked-conv flow) runs under `recomputation.recomputing`: the
  gradient keeps only the layer's input and recomputes the layer's
  intermediate tensors (its network's activations) from it when the
  backward pass reaches the layer. Containers are not wrapped whole: a nested
  `Sequential` (a step of flow, a level) and a `FactorOut`'s inner flow
  wrap their own layers. The activation memory of a flow of K layers drops
  from every layer's intermediates to K inputs plus one layer's
  intermediates, for one more forward pass of each layer. Gradients are the
  same up to rounding. XLA may merge the recomputation back into the
  forward pass (it can see both).

  A dropout layer would draw a new mask when recomputed, so the gradient
  would not belong to the forward pass: a layer with active dropout is a
  `ConfigError`.
  """
  global _recompute
  previous, _recompute = _recompute, bool(enabled)
  try:
    yield
  finally:
    _recompute = previous


class Sequential(flow_bijector.FlowBijector):
  """Applies `layers` in list order: `forward(x) = layers[-1](...layers[0](x))`.

  The order is the reverse of `tfb.Chain`'s: a model file lists its layers in
  the order the paper's architecture table does (data towards latent). The
  log-det of the composition is the sum of the layers' log-dets, each
  computed in the same pass as its output (chain rule).

  With `scan_repeats=True`, consecutive layers that repeat (a level's K
  identical steps of flow, or K/2 pairs of a step and its mirror image) run
  in a traced function as one loop over their weights
  (`scanning.run_repeated`): the graph holds one step, not K, so tracing
  and compiling take a fraction of the time. The layers, their variables and
  the checkpoints are the same either way.
  """

  def __init__(self, layers, scan_repeats=False, validate_args=False,
               name="sequential"):
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
    # (start, period, count) runs of the layers; count 1: run as they are.
    self._runs = tuple(
        scanning.repeated_runs(self._layers) if scan_repeats
        else [(index, 1, 1) for index in range(len(self._layers))])

  @property
  def layers(self):
    return list(self._layers)

  def transform_context(self, context):
    for layer in self._layers:
      context = layer.transform_context(context)
    return context

  @property
  def keeps_layout(self):
    return all(layer.keeps_layout for layer in self._layers)

  def _contexts(self, context):
    """The context each layer sees, in order."""
    contexts = []
    for layer in self._layers:
      contexts.append(context)
      if context is not None:
        context = layer.transform_context(context)
    return contexts

  def _forward_and_log_det(self, x, training, context=None):
    return self._run(x, training, context, inverse=False)

  def _inverse_and_log_det(self, y, training, context=None):
    return self._run(y, training, context, inverse=True)

  def _run(self, x, training, context, inverse):
    """The layers' pass in either direction, repeated runs as one loop."""
    contexts = self._contexts(context)

    def apply(layers, layer_contexts, carry):
      x, total = carry
      pairs = list(zip(layers, layer_contexts))
      for layer, layer_context in reversed(pairs) if inverse else pairs:
        x, log_det = self._apply_layer(layer, x, training, layer_context,
                                       inverse)
        total += log_det
      return x, total

    carry = (x, tf.zeros(tf.shape(x)[:1], x.dtype))
    for start, period, count in (reversed(self._runs) if inverse
                                 else self._runs):
      end = start + period * count
      if count == 1:
        carry = apply(self._layers[start:end], contexts[start:end], carry)
        continue
      if _recompute and not inverse:
        # Recomputation would pass no gradient to the weights the loop
        # body reads from its stacks (tensors, not variables).
        raise errors.ConfigError(
            f"{self.name} runs repeated layers as one loop (train."
            f"scan_repeats), which train.recompute_gradients cannot wrap: "
            f"turn one of them off.")
      # A repeated run neither moves nor changes the context: every unit
      # sees its first unit's.
      units = [tuple(self._layers[k:k + period])
               for k in range(start, end, period)]
      unit_contexts = contexts[start:start + period]
      carry = scanning.run_repeated(
          units[::-1] if inverse else units,
          lambda unit, unit_carry: apply(unit, unit_contexts, unit_carry),
          carry)
    return carry

  def _apply_layer(self, layer, x, training, context, inverse):
    if inverse:
      return layer.inverse_and_log_det(x, training=training, context=context)
    if _recompute and _recomputable(layer):
      return _recomputed_forward(layer, x, training, context)
    return layer.forward_and_log_det(x, training=training, context=context)


def _recomputable(layer):
  # Containers are not: recomputing a whole level (or the whole flow) at
  # once would hold all of its intermediates again in the backward pass.
  return (bool(layer.trainable_variables)
          and not isinstance(layer, (Sequential, factor_out.FactorOut)))


def _recomputed_forward(layer, x, training, context):
  """`layer.forward_and_log_det` that keeps only `x` for the backward pass."""
  if training:
    dropouts = [m.name for m in layer.submodules
                if isinstance(m, tf_keras.layers.Dropout) and m.rate > 0]
    if dropouts:
      raise errors.ConfigError(
          f"{layer.name} has dropout ({', '.join(dropouts)}), which would "
          f"draw a different mask when recomputed: set its dropout rate to 0 "
          f"or train without train.recompute_gradients.")

  def forward(inputs, *maybe_context):
    global _recompute
    # The layer's own layers are recomputed with it, not once more inside.
    previous, _recompute = _recompute, False
    try:
      return layer.forward_and_log_det(
          inputs, training=training,
          context=maybe_context[0] if maybe_context else None)
    finally:
      _recompute = previous

  args = (x,) if context is None else (x, context)
  return recomputation.recomputing(forward)(*args)
