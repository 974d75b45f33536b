"""What every property test shares: hypothesis settings and input strategies.

`SETTINGS` is every property's: derandomized (the same examples on every run
and machine), no example database (Bazel runs tests in read-only sandboxes;
hypothesis's other files go to a scratch folder), no deadline (the first
example of a bijector pays for building and tracing it), and
`max_examples` at least 200.
"""

import os
import tempfile

import hypothesis
from hypothesis import configuration
from hypothesis import strategies as st
import numpy as np
import tensorflow as tf

# Even without a database hypothesis caches data in a folder, by default in
# the working directory: Bazel's runfiles (read-only) or the checkout. Tests
# get a writable scratch folder instead.
configuration.set_hypothesis_home_dir(os.path.join(
    os.environ.get("TEST_TMPDIR", tempfile.gettempdir()), "hypothesis"))

MAX_EXAMPLES = 200

SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES, derandomize=True, deadline=None,
    database=None, suppress_health_check=[hypothesis.HealthCheck.too_slow])

# Event sizes the bijector tests draw from: H, W in [1, 8], C in [1, 4].
MAX_SIDE = 8
MAX_CHANNELS = 4

# For test helpers that report through a TestCase (e.g. assertNotEmpty) when
# called to build something cached across tests, outside any one test.
ASSERTIONS = tf.test.TestCase()

seeds = st.integers(0, 2 ** 32 - 1)
batch_sizes = st.integers(1, 3)
# Leading batch dimensions of an event: [N], or [N1, N2] (flattened inside).
batch_shapes = st.lists(batch_sizes, min_size=1, max_size=2).map(tuple)


@st.composite
def event_shapes(draw, min_channels=1, even_height=False, even_width=False,
                 channels_multiple=1):
  """`(H, W, C)` with H, W in [1, 8], C in [1, 4] and the given constraints."""
  height = draw(st.integers(1, MAX_SIDE).filter(
      lambda h: h % 2 == 0 or not even_height))
  width = draw(st.integers(1, MAX_SIDE).filter(
      lambda w: w % 2 == 0 or not even_width))
  channels = draw(st.integers(min_channels, MAX_CHANNELS).filter(
      lambda c: c % channels_multiple == 0))
  return height, width, channels


def uniform(seed, shape, low, high):
  """float32 values in `[low, high]` of `shape`, the same for the same seed.

  Drawing arrays element by element through hypothesis is slow for images;
  hypothesis draws the seed and the range, numpy the values.
  """
  rng = np.random.default_rng(seed)
  return rng.uniform(low, high, size=shape).astype(np.float32)


# dtypes an array of user data may come in (the loaders accept only uint8).
NUMPY_DTYPES = (np.uint8, np.int8, np.uint16, np.int32, np.int64, np.float16,
                np.float32, np.float64, np.bool_)


@st.composite
def arrays(draw, dtypes=NUMPY_DTYPES, min_rank=0, max_rank=5, max_side=5):
  """Random arrays: any of `dtypes` and ranks, sides from 0 to `max_side`."""
  dtype = np.dtype(draw(st.sampled_from(dtypes)))
  shape = tuple(draw(st.lists(st.integers(0, max_side), min_size=min_rank,
                              max_size=max_rank)))
  values = np.random.default_rng(draw(seeds)).integers(
      0, 256, size=shape)
  return values.astype(dtype)
