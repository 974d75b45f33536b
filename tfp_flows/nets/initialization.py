"""Data-dependent initialisation, switched on for one eager forward pass.

Glow's ActNorm and Flow++'s convolutions set their parameters from the
statistics of the first batch they see. Rather than threading an `init` flag
through every call signature, layers consult this context: the model runs one
forward pass inside `data_dependent_init()` (eagerly, outside
`strategy.run`, so every replica receives the same values) and each layer that
supports it rewrites its variables from the activations it receives before
using them.
"""

import contextlib
import threading

import tensorflow as tf

# Keeps the initial scale finite for a channel that is constant in the batch.
_EPSILON = 1e-6

_state = threading.local()


@contextlib.contextmanager
def data_dependent_init():
  """Within this context, layers initialise themselves from their inputs."""
  previous = getattr(_state, "active", False)
  _state.active = True
  try:
    yield
  finally:
    _state.active = previous


def is_initializing() -> bool:
  """Whether the current forward pass should set data-dependent parameters."""
  return getattr(_state, "active", False)


def standardizing_affine(x, axes):
  """`(shift, log_scale)` making `(x + shift) * exp(log_scale)` standard.

  Over `axes`, the result has zero mean and unit variance: `shift = -mean`,
  `log_scale = -log(std)`. Every data-initialised layer (ActNorm bijector and
  network layer, data-initialised convs) starts from these statistics.
  """
  mean, variance = tf.nn.moments(x, axes=axes)
  return -mean, -0.5 * tf.math.log(variance + _EPSILON)
