"""Every property test of `tests/property/` in one process.

Bazel runs this one target instead of one per module, so TensorFlow and
hypothesis are imported once (each import costs more than most properties).
Each module still runs alone: `python tests/property/<module>_test.py`.
"""

import tensorflow as tf

# pylint: disable=unused-import
from tests.property.bijector_bad_input_test import BijectorBadInputTest
from tests.property.bijector_round_trip_test import BijectorRoundTripTest
from tests.property.cli_flags_test import CliFlagsPropertyTest
from tests.property.flow_model_test import FlowModelPropertyTest
from tests.property.loaders_test import LoadersPropertyTest
# pylint: enable=unused-import

if __name__ == "__main__":
  tf.test.main()
