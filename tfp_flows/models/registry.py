"""The model families, registered in one place.

A family is an architecture module (`build_core(config, event_shape,
scan_repeats)` and `check_event_shape(config, event_shape)`), its presets
(name -> function returning a ConfigDict, in `tfp_flows.configs.<family>`)
and the assembly of its variational dequantizer
(`(config.model.dequantizer, event_shape, n_bits, scan_repeats) ->
Dequantizer`); `scan_repeats` is `config.train.scan_repeats`. Adding a family is one line in `FAMILIES`, beside
its two files (and the `configs/<family>.py` wrapper that lets `--config`
name the presets by path).
"""

import dataclasses
import types
from typing import Callable, Mapping

from tfp_flows import errors
from tfp_flows.configs import common
from tfp_flows.configs import flowpp as flowpp_presets
from tfp_flows.configs import glow as glow_presets
from tfp_flows.configs import macow as macow_presets
from tfp_flows.configs import realnvp as realnvp_presets
from tfp_flows.models import flowpp
from tfp_flows.models import glow
from tfp_flows.models import macow
from tfp_flows.models import realnvp


@dataclasses.dataclass(frozen=True)
class Family:
  architecture: types.ModuleType
  presets: Mapping[str, Callable]
  variational_dequantizer: Callable


FAMILIES = {
    "flowpp": Family(flowpp, flowpp_presets.PRESETS, flowpp.build_dequantizer),
    "glow": Family(glow, glow_presets.PRESETS, flowpp.build_dequantizer),
    "macow": Family(macow, macow_presets.PRESETS, macow.build_dequantizer),
    "realnvp": Family(realnvp, realnvp_presets.PRESETS,
                      flowpp.build_dequantizer),
}


def family_names():
  return sorted(FAMILIES)


def family(name) -> Family:
  """The registered family `name`, or a `ConfigError` naming the choices."""
  if name not in FAMILIES:
    raise errors.ConfigError(
        f"Unknown model {name!r} (--model); choose one of {family_names()}.")
  return FAMILIES[name]


def preset_names(name):
  return sorted(family(name).presets)


def get_config(name, preset="default"):
  """The preset `preset` of family `name` as a fresh ConfigDict."""
  return common.preset(family(name).presets, preset, family=name)
