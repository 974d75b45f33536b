"""Glow presets: `--config=configs/glow.py:<preset>` (default, cifar10, tiny).

The presets ship inside the package (`tfp_flows.configs.glow`); this file lets
`--config` name them by path, as ml_collections config files are named.
"""

from tfp_flows.configs.glow import get_config  # pylint: disable=unused-import
