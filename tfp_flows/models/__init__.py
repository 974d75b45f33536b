"""Models assembled from the parts, looked up by name.

`build_model(config, event_shape)` reads only `config.model` and
`config.data.n_bits`; `get_config(family, preset)` returns a preset.
"""

from tfp_flows import bijectors
from tfp_flows import dequantization
from tfp_flows import errors
from tfp_flows.models import registry
from tfp_flows.models.flow_model import FlowModel
from tfp_flows.models.flow_model import validate_images
from tfp_flows.models import flowpp
from tfp_flows.models import glow
from tfp_flows.models import macow
from tfp_flows.models import realnvp
from tfp_flows.models.registry import family_names
from tfp_flows.models.registry import get_config
from tfp_flows.models.registry import preset_names
from tfp_flows.models.shapes import IncompatibleShapeError

_PREPROCESSING = {"centering": bijectors.Centering,
                  "logit": bijectors.LogitPreprocess}


def compatible_presets(family, event_shape):
  """Names of `family`'s presets whose architecture can take `event_shape`."""
  names = []
  for preset in preset_names(family):
    try:
      registry.family(family).architecture.check_event_shape(
          get_config(family, preset).model, event_shape)
      names.append(preset)
    except IncompatibleShapeError:
      pass
  return names


def build_model(config, event_shape) -> FlowModel:
  """Builds (without creating weights) the model that `config` describes."""
  family = config.model.name
  architecture = registry.family(family).architecture
  event_shape = tuple(int(d) for d in event_shape)
  try:
    architecture.check_event_shape(config.model, event_shape)
  except IncompatibleShapeError as error:
    raise IncompatibleShapeError(
        f"{error} Presets of {family!r} that can take this shape: "
        f"{compatible_presets(family, event_shape) or 'none'}.") from None
  if config.model.preprocessing not in _PREPROCESSING:
    raise errors.ConfigError(
        f"Unknown preprocessing {config.model.preprocessing!r}; choose one "
        f"of {sorted(_PREPROCESSING)}.")
  n_bits = config.data.n_bits
  # Configs saved before the option existed have no such field.
  scan_repeats = bool(config.get("train", {}).get("scan_repeats", False))
  return FlowModel(
      event_shape, n_bits,
      preprocessing=_PREPROCESSING[config.model.preprocessing](n_bits),
      core=architecture.build_core(config.model, event_shape,
                                   scan_repeats=scan_repeats),
      dequantizer=_dequantizer(config.model, registry.family(family),
                               event_shape, n_bits, scan_repeats),
      name=family)


def _dequantizer(model_config, family, event_shape, n_bits, scan_repeats):
  name = model_config.dequantization
  if name == "uniform":
    return dequantization.UniformDequantizer()
  if name == "variational":
    return family.variational_dequantizer(
        model_config.dequantizer, event_shape, n_bits,
        scan_repeats=scan_repeats)
  raise errors.ConfigError(
      f"Unknown dequantization {name!r} (config.model.dequantization); "
      f"choose one of {list(dequantization.DEQUANTIZATIONS)}.")


__all__ = ["FlowModel", "IncompatibleShapeError", "build_model",
           "compatible_presets", "family_names", "get_config", "preset_names",
           "validate_images"]
