"""Pixel values outside `[0, 2^n_bits)` given to `FlowModel.log_prob`.

Eagerly they raise `errors.DataError`. Traced (a user's `tf.function`, with
or without XLA) no Python error is possible and graph assertions vanish
under XLA, so such an image gets `log_prob = -inf`: probability zero under
the model, never NaN nor a finite number for pixels it does not model.
"""

from absl.testing import parameterized
import numpy as np
import tensorflow as tf

from tfp_flows import errors
from tfp_flows import models

_SHAPE = (3, 4, 4, 1)
_SEED = (1, 2)


def _model(n_bits, dequantization):
  config = models.get_config("glow", "tiny")
  config.data.n_bits = n_bits
  config.model.dequantization = dequantization
  model = models.build_model(config, _SHAPE[1:])
  model.build()
  return model


def _images(n_bits, bad_value, dtype):
  """Three images of in-range values; the middle one has one pixel bad."""
  images = np.random.default_rng(0).integers(
      0, 2 ** n_bits, size=_SHAPE).astype(dtype)
  bad = images.copy()
  bad[1, 2, 3, 0] = bad_value
  return images, bad


_CASES = (
    # n_bits, bad value, dtype: the reported NaN, a finite wrong number, and
    # a negative value.
    ("five_bits_40", 5, 40, np.uint8),
    ("eight_bits_300", 8, 300, np.int32),
    ("negative", 8, -1, np.int64),
)


class PixelRangeTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.named_parameters(*_CASES)
  def test_eager_call_raises(self, n_bits, bad_value, dtype):
    model = _model(n_bits, "uniform")
    _, bad = _images(n_bits, bad_value, dtype)
    with self.assertRaisesRegex(
        errors.DataError,
        rf"\[0, {2 ** n_bits}\) for n_bits={n_bits}.*{bad_value}"):
      model.log_prob(tf.constant(bad), seed=_SEED)
    with self.assertRaises(ValueError):
      model.log_prob(bad, seed=_SEED)

  # Each bad value in both compile modes and with both dequantizers, and
  # every (mode, dequantizer) pair met: 6 of the 12 combinations.
  @parameterized.parameters(
      (_CASES[0][1:], False, "uniform"), (_CASES[0][1:], True, "variational"),
      (_CASES[1][1:], True, "uniform"), (_CASES[1][1:], False, "variational"),
      (_CASES[2][1:], False, "uniform"), (_CASES[2][1:], True, "variational"),
  )
  def test_traced_call_gives_minus_infinity(self, case, jit_compile,
                                            dequantization):
    n_bits, bad_value, dtype = case
    model = _model(n_bits, dequantization)
    images, bad = _images(n_bits, bad_value, dtype)
    log_prob = tf.function(lambda x: model.log_prob(x, seed=_SEED),
                           jit_compile=jit_compile)
    result = log_prob(tf.constant(bad)).numpy()
    self.assertEqual(result[1], -np.inf)
    # The other images of the batch keep their values. (Compared within one
    # traced function: XLA may draw other dequantization noise than eager.)
    expected = log_prob(tf.constant(images)).numpy()
    self.assertTrue(np.all(np.isfinite(expected)))
    self.assertAllClose(result[[0, 2]], expected[[0, 2]], rtol=1e-6)


if __name__ == "__main__":
  tf.test.main()
