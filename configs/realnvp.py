"""RealNVP presets: `--config=configs/realnvp.py:<preset>` (default, cifar10, tiny).

The presets ship inside the package (`tfp_flows.configs.realnvp`); this file lets
`--config` name them by path, as ml_collections config files are named.
"""

from tfp_flows.configs.realnvp import get_config  # pylint: disable=unused-import
