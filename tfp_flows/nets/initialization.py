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
