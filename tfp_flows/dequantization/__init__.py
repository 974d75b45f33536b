"""Dequantizers: integer images to continuous `y` with `log q(y - x | x)`.

Interface: `dequantize(images, seed) -> (y, log_q)`, built on
`sample_noise(shape, seed)` and `dequantize_with_noise(images, noise)` so that
the same base noise can be drawn once for a global batch. Any model can use
either (`config.model.dequantization`).
"""

from tfp_flows.dequantization.uniform import UniformDequantizer
from tfp_flows.dequantization.variational import VariationalDequantizer

DEQUANTIZATIONS = ("uniform", "variational")


def get_dequantizer(name, event_shape, n_bits, config):
  """Builds dequantizer `name` for images of `event_shape`.

  `config` is the model's ConfigDict; the variational dequantizer reads its
  `dequantizer` section.
  """
  if name == "uniform":
    return UniformDequantizer()
  if name == "variational":
    return VariationalDequantizer(event_shape, n_bits, config.dequantizer)
  raise ValueError(
      f"Unknown dequantization {name!r}; choose one of "
      f"{list(DEQUANTIZATIONS)}.")


__all__ = ["DEQUANTIZATIONS", "UniformDequantizer", "VariationalDequantizer",
           "get_dequantizer"]
