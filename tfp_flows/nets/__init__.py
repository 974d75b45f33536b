"""Conditioning networks (tf_keras layers), looked up by name.

`network_builder(kind, **hyperparameters)` returns a function
`output_channels -> layer`, the form couplings and factor-outs take, so any
network fits any coupling.
"""

import functools

from tfp_flows.nets import initialization
from tfp_flows.nets import layers
from tfp_flows.nets.flowpp_net import ContextNet
from tfp_flows.nets.flowpp_net import FlowppNet
from tfp_flows.nets.glow_net import GlowNet
from tfp_flows.nets.macow_nets import MacowCouplingNet
from tfp_flows.nets.macow_nets import MacowEncoder
from tfp_flows.nets.resnet import ResNet


def _zero_conv_net(output_channels, kernel_size=3):
  return layers.zero_conv(output_channels, kernel_size)


_NETWORKS = {
    "flowpp": FlowppNet,
    "glow": GlowNet,
    "macow": MacowCouplingNet,
    "resnet": ResNet,
    "zero_conv": _zero_conv_net,
}


def network_builder(kind, **hyperparameters):
  """Returns `output_channels -> tf_keras layer` for network `kind`."""
  if kind not in _NETWORKS:
    raise ValueError(
        f"Unknown network {kind!r}; choose one of {sorted(_NETWORKS)}.")
  return functools.partial(_NETWORKS[kind], **hyperparameters)


__all__ = ["ContextNet", "FlowppNet", "GlowNet", "MacowCouplingNet",
           "MacowEncoder", "ResNet", "initialization", "layers",
           "network_builder"]
