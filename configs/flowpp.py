"""Flow++ presets: `--config=configs/flowpp.py:<preset>`.

Presets: default, cifar10, imagenet32, imagenet64, tiny. They ship inside the
package (`tfp_flows.configs.flowpp`); this file lets `--config` name them by
path, as ml_collections config files are named.
"""

from tfp_flows.configs.flowpp import get_config  # pylint: disable=unused-import
