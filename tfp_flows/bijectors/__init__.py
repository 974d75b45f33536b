"""Invertible layers on image events `[..., H, W, C]`, as TFP bijectors."""

from tfp_flows.bijectors import steps

from tfp_flows.bijectors.act_norm import ActNorm
from tfp_flows.bijectors.coupling import Coupling
from tfp_flows.bijectors.elementwise import AdditiveTransform
from tfp_flows.bijectors.elementwise import AffineTransform
from tfp_flows.bijectors.elementwise import MixtureLogisticTransform
from tfp_flows.bijectors.factor_out import FactorOut
from tfp_flows.bijectors.flow_bijector import FlowBijector
from tfp_flows.bijectors.invertible_conv import InvertibleConv1x1
from tfp_flows.bijectors.masked_conv import MaskedConvFlow
from tfp_flows.bijectors.mixture_logistic_cdf import LogitMixtureLogisticCDF
from tfp_flows.bijectors.partitions import get_partition
from tfp_flows.bijectors.per_half import PerHalf
from tfp_flows.bijectors.preprocessing import Centering
from tfp_flows.bijectors.preprocessing import LogitPreprocess
from tfp_flows.bijectors.preprocessing import Sigmoid
from tfp_flows.bijectors.sequential import Sequential
from tfp_flows.bijectors.sequential import recompute_gradients
from tfp_flows.bijectors.squeeze import Squeeze
from tfp_flows.bijectors.squeeze import Unsqueeze

__all__ = [
    "ActNorm", "AdditiveTransform", "AffineTransform", "Centering", "Coupling", "FactorOut",
    "FlowBijector", "InvertibleConv1x1", "LogitMixtureLogisticCDF",
    "LogitPreprocess", "MaskedConvFlow", "MixtureLogisticTransform",
    "PerHalf", "Sequential",
    "Sigmoid", "Squeeze", "Unsqueeze", "get_partition", "recompute_gradients",
    "steps",
]
