"""Dequantizers: integer images to continuous `y` with `log q(y - x | x)`.

Interface (`Dequantizer`): `dequantize(images, seed) -> (y, log_q)`, built on
`sample_noise(shape, seed)` and `dequantize_with_noise(images, noise)` so that
the same base noise can be drawn once for a global batch. The model builder
(`tfp_flows.models`) assembles a variational dequantizer from its parts and
reads the config; these classes take plain arguments.
"""

from tfp_flows.dequantization.base import Dequantizer
from tfp_flows.dequantization.uniform import UniformDequantizer
from tfp_flows.dequantization.variational import VariationalDequantizer

DEQUANTIZATIONS = ("uniform", "variational")

__all__ = ["DEQUANTIZATIONS", "Dequantizer", "UniformDequantizer",
           "VariationalDequantizer"]
