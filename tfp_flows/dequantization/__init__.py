"""Dequantizers: integer images to continuous `y` with `log q(y - x | x)`.

Interface: `dequantize(images, seed) -> (y, log_q)`, built on
`sample_noise(shape, seed)` and `dequantize_with_noise(images, noise)` so that
the same base noise can be drawn once for a global batch.
"""

from tfp_flows.dequantization.uniform import UniformDequantizer

_DEQUANTIZERS = {"uniform": UniformDequantizer}


def get_dequantizer(name, event_shape=None, config=None):
  """Builds the dequantizer called `name` for images of `event_shape`."""
  del event_shape, config  # The uniform one needs neither.
  if name not in _DEQUANTIZERS:
    raise ValueError(
        f"Unknown dequantization {name!r}; choose one of "
        f"{sorted(_DEQUANTIZERS)}.")
  return _DEQUANTIZERS[name]()


__all__ = ["UniformDequantizer", "get_dequantizer"]
