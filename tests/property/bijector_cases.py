"""The bijectors of `tfp_flows.bijectors` as property-test cases.

Building a bijector with networks and tracing it takes far longer than
running it, so each case is built (and traced) once per event shape and
cached, and the examples randomise the inputs and batch shapes. A case with
weights is tested on a few fixed event shapes at the edges of what it takes
(H, W in [1, 8], C in [1, 4]: 1 and 8, odd and even, non-square); a case
without weights is one instance for every shape, so its shapes are random.

Events are small (at most 8x8x4 = 256 scalars, 64 for the cases with
weights), so every example can afford the dense autodiff Jacobian.
"""

import dataclasses
import functools
from typing import Callable

from hypothesis import strategies as st
import tensorflow as tf

from tests import bijector_test_util
from tests.property import strategies
from tfp_flows import bijectors
from tfp_flows import nets

FUSED = ("forward_and_log_det", "inverse_and_log_det")
TFP_API = ("forward", "inverse", "forward_log_det_jacobian",
           "inverse_log_det_jacobian")
# Weighted cases take the first shapes of this list that they allow.
EDGE_SHAPES = ((8, 2, 4), (1, 1, 1), (3, 5, 2), (2, 6, 3), (5, 2, 4),
               (2, 8, 1), (2, 2, 1), (1, 4, 4), (8, 8, 1))
SHAPES_PER_CASE = 2


@dataclasses.dataclass(frozen=True)
class Case:
  """One way to build a bijector, and the inputs it takes.

  Attributes:
    name: unique among the cases (the cache key).
    make: `(event_shape, validate_args) -> FlowBijector`.
    shapes: a strategy of the event shapes it is tested on.
    takes: `(built_shape, shape) -> bool`, whether the bijector built for
      `built_shape` takes events of `shape`.
    any_shape: one instance serves every shape (it has no weights).
    keeps_shape: whether its output has its input's shape. When not, `takes`
      and `shapes` describe the forward direction only.
    low, high: the range of valid inputs.
    atol: the round trip's tolerance, in input units.
    eager_inverse: whether the examples run the inverse eagerly too. Not
      where it is a root search: eager, its while_loop runs op by op (0.2 s
      a call, whatever the size), so it runs compiled only here;
      tests/bijectors runs it eagerly.
  """

  name: str
  make: Callable[..., bijectors.FlowBijector]
  shapes: st.SearchStrategy
  takes: Callable[[tuple, tuple], bool] = lambda built, shape: built == shape
  any_shape: bool = False
  keeps_shape: bool = True
  low: float = -3.0
  high: float = 3.0
  atol: float = 1e-4
  eager_inverse: bool = True


def _edge_shapes(allowed=lambda h, w, c: True):
  return st.sampled_from(
      [s for s in EDGE_SHAPES if allowed(*s)][:SHAPES_PER_CASE])


_EVEN_WIDTH = lambda h, w, c: w % 2 == 0
_TWO_CHANNELS = lambda h, w, c: c >= 2
_EVEN_SIDES = lambda h, w, c: h % 2 == 0 and w % 2 == 0


def _network():
  return nets.network_builder("zero_conv")


def _invertible_conv(init):
  def make(shape, validate_args):
    return bijectors.InvertibleConv1x1(shape[-1], init=init,
                                       validate_args=validate_args)
  return make


def _coupling(partition, transform, swap=False):
  def make(shape, validate_args):
    return bijectors.Coupling(shape, partition, _network(),
                              transform=transform, swap=swap,
                              validate_args=validate_args)
  return make


def _factor_out(prior_scale):
  def make(shape, validate_args):
    height, width, channels = shape
    leaving = channels // 2
    return bijectors.FactorOut(
        shape, leaving, _network(),
        inner=bijectors.ActNorm((height, width, channels - leaving)),
        mix=bijectors.InvertibleConv1x1(channels), prior_scale=prior_scale,
        validate_args=validate_args)
  return make


def _flowpp_step(shape, validate_args):
  step = bijectors.steps.flowpp_step(
      shape, "checkerboard", _network(), bijectors.AffineTransform("exp_tanh"),
      swap=True)
  return bijectors.Sequential([step], validate_args=validate_args)


def _squeeze_sandwich(shape, validate_args):
  height, width, channels = shape
  return bijectors.Sequential([
      bijectors.Squeeze(),
      bijectors.Coupling((height // 2, width // 2, 4 * channels), "channels",
                         _network()),
      bijectors.Unsqueeze(),
  ], validate_args=validate_args)


def _masked_conv(orientation, additive):
  def make(shape, validate_args):
    return bijectors.MaskedConvFlow(shape, orientation, hidden_channels=4,
                                    additive=additive,
                                    validate_args=validate_args)
  return make


def _any_shape(factory, **kwargs):
  """A case's `make` for a bijector without weights (shape ignored)."""
  return lambda shape, validate_args: factory(validate_args=validate_args,
                                              **kwargs)


_ANY_SHAPE = lambda built, shape: True
_SAME_CHANNELS = lambda built, shape: built[-1] == shape[-1]

CASES = {case.name: case for case in (
    Case("act_norm", lambda s, v: bijectors.ActNorm(s, validate_args=v),
         _edge_shapes()),
    Case("act_norm_per_position",
         lambda s, v: bijectors.ActNorm(s, per_position=True,
                                        validate_args=v),
         _edge_shapes()),
    Case("invertible_conv_rotation", _invertible_conv("rotation"),
         _edge_shapes(), takes=_SAME_CHANNELS),
    Case("invertible_conv_identity", _invertible_conv("identity"),
         _edge_shapes(), takes=_SAME_CHANNELS),
    Case("coupling_channels_affine",
         _coupling("channels", bijectors.AffineTransform("sigmoid")),
         _edge_shapes(_TWO_CHANNELS)),
    Case("coupling_columns_exp_tanh_swapped",
         _coupling("columns", bijectors.AffineTransform("exp_tanh"),
                   swap=True),
         _edge_shapes(_EVEN_WIDTH)),
    Case("coupling_checkerboard_additive",
         _coupling("checkerboard", bijectors.AdditiveTransform()),
         _edge_shapes(_EVEN_WIDTH)),
    Case("coupling_channels_mixture",
         _coupling("channels", bijectors.MixtureLogisticTransform(2)),
         _edge_shapes(_TWO_CHANNELS), atol=1e-3, eager_inverse=False),
    *(Case(f"factor_out_{prior_scale}", _factor_out(prior_scale),
           _edge_shapes(_TWO_CHANNELS))
      for prior_scale in bijectors.factor_out.PRIOR_SCALES),
    Case("flowpp_step", _flowpp_step, _edge_shapes(_EVEN_WIDTH)),
    Case("squeeze_coupling_unsqueeze", _squeeze_sandwich,
         _edge_shapes(_EVEN_SIDES)),
    *(Case(f"masked_conv_{orientation}_{mode}",
           _masked_conv(orientation, mode == "additive"), _edge_shapes(),
           takes=_SAME_CHANNELS)
      for orientation, mode in (("A", "affine"), ("B", "additive"),
                                ("C", "affine"), ("D", "additive"))),
    Case("squeeze", _any_shape(bijectors.Squeeze),
         strategies.event_shapes(even_height=True, even_width=True),
         takes=lambda built, shape: _EVEN_SIDES(*shape), any_shape=True,
         keeps_shape=False),
    Case("unsqueeze", _any_shape(bijectors.Unsqueeze),
         strategies.event_shapes(channels_multiple=4),
         takes=lambda built, shape: shape[-1] % 4 == 0, any_shape=True,
         keeps_shape=False),
    Case("centering", _any_shape(bijectors.Centering, n_bits=5),
         strategies.event_shapes(), takes=_ANY_SHAPE, any_shape=True,
         low=0.0, high=32.0),
    Case("logit_preprocess", _any_shape(bijectors.LogitPreprocess),
         strategies.event_shapes(), takes=_ANY_SHAPE, any_shape=True,
         low=0.0, high=256.0, atol=2e-3),
    Case("sigmoid", _any_shape(bijectors.Sigmoid), strategies.event_shapes(),
         takes=_ANY_SHAPE, any_shape=True, low=-6.0, high=6.0, atol=2e-4),
)}
# The properties draw a case from one of these lists per example.
WEIGHTED = sorted(name for name, case in CASES.items() if not case.any_shape)
WEIGHTLESS = sorted(name for name, case in CASES.items() if case.any_shape)


def _key(name, shape):
  """The cache key: cases without weights share one instance for all shapes."""
  return name, None if CASES[name].any_shape else shape


@functools.lru_cache(maxsize=None)
def _bijector(name, shape, validate_args):
  built = CASES[name].make(shape, validate_args)
  if built.trainable_variables:
    bijector_test_util.perturb_all_variables(strategies.ASSERTIONS, built)
  return built


def bijector(name, shape, validate_args=False):
  """The case's bijector for `shape`, off its zero-initialised weights."""
  return _bijector(*_key(name, shape), validate_args)


def _spec(shape):
  """Batches of any size of `shape`, or of any image shape for None."""
  return tf.TensorSpec([None, *shape] if shape else [None] * 4, tf.float32)


@functools.lru_cache(maxsize=None)
def _traced_pass(name, shape):
  flow = _bijector(name, shape, False)

  # Without autograph: the bijectors must not need it, and tracing them is
  # several times faster.
  @tf.function(input_signature=[_spec(shape)], autograph=False)
  def traced_pass(x):
    y, log_det = flow.forward_and_log_det(x)
    x_back, inverse_log_det = flow.inverse_and_log_det(y)
    return (y, log_det, x_back, inverse_log_det,
            _autodiff_log_det(flow, x[0]))
  return traced_pass


def traced_pass(name, shape):
  """A `tf.function` of `x -> (y, log_det, x_back, inverse_log_det, ad)`.

  `y, log_det` are the forward pass of `x` `[N, H, W, C]`, `x_back,
  inverse_log_det` the inverse pass of `y`, and `ad` the log|det| of the
  autodiff Jacobian of `x[0]` through the TFP API's `forward`. Traced once
  per bijector: the batch size (and for cases without weights, the event
  shape) is left unknown.
  """
  return _traced_pass(*_key(name, shape))


def methods(name, candidates):
  """The methods among `candidates` that take the case's `shapes`.

  All of them, or the forward ones only for a case that changes the shape
  (its inverse takes the output's shape).
  """
  if CASES[name].keeps_shape:
    return candidates
  return tuple(m for m in candidates if m.startswith("forward"))


def call(flow, method, x):
  """`flow.<method>(x)`; the TFP log-det methods take the event rank too."""
  if method.endswith("log_det_jacobian"):
    return getattr(flow, method)(x, event_ndims=3)
  return getattr(flow, method)(x)


@functools.lru_cache(maxsize=None)
def _traced_method(name, shape, method, validate_args):
  flow = _bijector(name, shape, validate_args)
  return tf.function(lambda x: call(flow, method, x),
                     input_signature=[_spec(shape)], autograph=False)


def traced_method(name, shape, method, validate_args=False):
  """`x -> flow.<method>(x)` as a `tf.function`, traced once per bijector."""
  return _traced_method(*_key(name, shape), method, validate_args)


def _autodiff_log_det(flow, image):
  """log|det dy/dx| of one image from its autodiff Jacobian, in float64.

  Images of a batch do not interact, so row i of the Jacobian is the
  gradient of output i of copy i among D copies: one backward pass gives
  the whole D x D matrix (`tape.jacobian` would run D of them).
  """
  size = tf.size(image)
  copies = tf.repeat(image[None], size, axis=0)
  with tf.GradientTape() as tape:
    tape.watch(copies)
    outputs = tf.reshape(flow.forward(copies), [size, size])
    diagonal = tf.linalg.diag_part(outputs)
  jacobian = tf.reshape(tape.gradient(diagonal, copies), [size, size])
  return tf.linalg.slogdet(tf.cast(jacobian, tf.float64))[1]
