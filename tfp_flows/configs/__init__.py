"""Named presets per model family (shipped with the package).

`tfp_flows/configs/<family>.py` holds a family's presets as functions
returning a fresh `ml_collections.ConfigDict`; `common` holds the settings
they share. The families are registered in `tfp_flows.models.registry`;
the files under the repository's `configs/` are thin wrappers over these.
"""
