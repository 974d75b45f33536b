"""Named presets per model family (shipped with the package).

`get_config(family, preset)` returns a fresh `ml_collections.ConfigDict`;
the files under the repository's `configs/` are thin wrappers over these.
"""

from tfp_flows.configs import flowpp
from tfp_flows.configs import glow
from tfp_flows.configs import realnvp

FAMILIES = {"flowpp": flowpp.PRESETS, "glow": glow.PRESETS,
            "realnvp": realnvp.PRESETS}
# Families whose models arrive with later work; named so users get a clear
# message instead of "unknown model".
PENDING_FAMILIES = {
    "macow": "MaCow is not implemented yet (tracked in its own issue)",
}


def family_names():
  return sorted(FAMILIES)


def preset_names(family):
  _check_family(family)
  return sorted(FAMILIES[family])


def get_config(family, preset="default"):
  """The preset `preset` of model family `family` as a ConfigDict."""
  _check_family(family)
  if preset not in FAMILIES[family]:
    raise ValueError(
        f"Unknown preset {preset!r} for model {family!r}; choose one of "
        f"{sorted(FAMILIES[family])}.")
  return FAMILIES[family][preset]()


def _check_family(family):
  if family in PENDING_FAMILIES:
    raise NotImplementedError(
        f"--model={family}: {PENDING_FAMILIES[family]}. Available models: "
        f"{', '.join(family_names())}.")
  if family not in FAMILIES:
    raise ValueError(
        f"Unknown model {family!r}; choose one of {family_names()}.")
