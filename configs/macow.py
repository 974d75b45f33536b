"""MaCow presets: `--config=configs/macow.py:<preset>`.

Presets: default, cifar10, imagenet64, celeba256, tiny.

The presets ship inside the package (`tfp_flows.configs.macow`); this file lets
`--config` name them by path, as ml_collections config files are named.
"""

from tfp_flows.configs.macow import get_config  # pylint: disable=unused-import
