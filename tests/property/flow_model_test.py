"""Properties of `FlowModel` on random images: a tiny Glow at 8x8x1.

Valid images give finite log-probs that do not depend on the rest of the
batch, and `decode(encode(x)) == x`; images of the wrong dtype, rank, shape
or range, and latents of the wrong dtype or shape, are the project's errors,
raised before any work. The valid-input checks run traced (one trace each):
an eager pass of the model takes about 0.1 s.
"""

import functools

import hypothesis
from hypothesis import strategies as st
import numpy as np
import tensorflow as tf

from tests.models import model_test_util
from tests.property import strategies
from tfp_flows import errors

EVENT_SHAPE = (8, 8, 1)
IMAGES = tf.TensorSpec((None,) + EVENT_SHAPE, tf.uint8)
LATENTS = tf.TensorSpec((None,) + EVENT_SHAPE, tf.float32)
MAX_BATCH = 4
# The bad inputs each check draws from.
FLOAT_DTYPES = (np.float16, np.float32, np.float64, np.bool_)
INTEGER_DTYPES = (np.uint8, np.int8, np.int32, np.int64, np.uint16)
IMAGE_METHODS = ("log_prob", "bits_per_dim", "encode",
                 "importance_weighted_log_prob")


@functools.lru_cache(maxsize=None)
def _model():
  """Glow's tiny preset, data-initialised and off its zero weights."""
  return model_test_util.initialized_and_perturbed(
      strategies.ASSERTIONS,
      model_test_util.tiny_model("glow", event_shape=EVENT_SHAPE))


@functools.lru_cache(maxsize=None)
def _traced(method):
  """The model's `log_prob`, `log_prob_with_noise` or round trip, traced."""
  model = _model()
  functions = {
      "log_prob": (model.log_prob, [IMAGES, tf.TensorSpec([2], tf.int32)]),
      "log_prob_with_noise": (model.log_prob_with_noise, [IMAGES, LATENTS]),
      "round_trip": (lambda x: model.decode(model.encode(x)), [IMAGES]),
  }
  function, signature = functions[method]
  return tf.function(function, input_signature=signature, autograph=False)


@st.composite
def _images(draw):
  batch = draw(st.integers(1, MAX_BATCH))
  return model_test_util.random_images((batch,) + EVENT_SHAPE,
                                       seed=draw(strategies.seeds))


def _other_shapes():
  """`[N, H, W, C]` batches of another event shape than the model's."""
  return st.tuples(st.integers(1, MAX_BATCH), st.integers(1, 9),
                   st.integers(1, 9), st.integers(1, 4)).filter(
                       lambda s: s[1:] != EVENT_SHAPE)


@st.composite
def _bad_images(draw):
  """`(images, error type)`: one thing wrong with otherwise valid images."""
  problem = draw(st.sampled_from(("dtype", "rank", "shape", "range")))
  shape = (draw(st.integers(1, MAX_BATCH)),) + EVENT_SHAPE
  dtype = np.uint8
  error = errors.ShapeError
  if problem == "dtype":
    dtype, error = draw(st.sampled_from(FLOAT_DTYPES)), errors.InputTypeError
  elif problem == "rank":
    shape = tuple(draw(st.lists(st.integers(1, 8), max_size=6).filter(
        lambda s: len(s) != 4)))
  elif problem == "shape":
    shape = draw(_other_shapes())
  images = np.zeros(shape, dtype)
  if problem == "range":
    dtype, error = draw(st.sampled_from(INTEGER_DTYPES[1:])), errors.DataError
    images = images.astype(dtype)
    info = np.iinfo(dtype)
    bad = draw(st.sampled_from([
        v for v in (-1, 256, int(info.min), int(info.max))
        if info.min <= v <= info.max and not 0 <= v < 256]))
    images.flat[draw(st.integers(0, images.size - 1))] = bad
  return images, error


class FlowModelPropertyTest(tf.test.TestCase):

  @strategies.SETTINGS
  @hypothesis.given(_images(), strategies.seeds)
  def test_log_prob_is_finite_and_independent_of_the_batch(self, images,
                                                           seed):
    model = _model()
    seed = np.array([seed % 2 ** 31, 0], np.int32)
    noise = model.dequantizer.sample_noise(images.shape, seed)
    batch = _traced("log_prob_with_noise")(images, noise).numpy()
    self.assertEqual(batch.shape, images.shape[:1])
    self.assertTrue(np.all(np.isfinite(batch)), batch)
    self.assertAllClose(_traced("log_prob")(images, seed), batch,
                        atol=1e-2, rtol=1e-5)
    for i in range(len(images)):
      alone = _traced("log_prob_with_noise")(images[i:i + 1],
                                             noise[i:i + 1])
      self.assertAllClose(alone, batch[i:i + 1], atol=1e-2, rtol=1e-5)

  @strategies.SETTINGS
  @hypothesis.given(_images())
  def test_decode_inverts_encode(self, images):
    self.assertAllEqual(_traced("round_trip")(images), images)

  @strategies.SETTINGS
  @hypothesis.given(_bad_images(), st.sampled_from(IMAGE_METHODS))
  def test_bad_images_are_project_errors(self, bad, method):
    images, error = bad
    args = (2,) if method == "importance_weighted_log_prob" else ()
    with self.assertRaises(error):
      getattr(_model(), method)(images, *args)

  @strategies.SETTINGS
  @hypothesis.given(st.data())
  def test_bad_latents_are_project_errors(self, data):
    problem = data.draw(st.sampled_from(("dtype", "rank", "shape")))
    shape, dtype, error = (1,) + EVENT_SHAPE, tf.float32, errors.ShapeError
    if problem == "dtype":
      dtype = data.draw(st.sampled_from(
          (tf.float16, tf.float64, tf.int32, tf.uint8)))
      error = errors.InputTypeError
    elif problem == "rank":
      shape = tuple(data.draw(st.lists(st.integers(1, 8), max_size=2)))
    else:
      shape = data.draw(_other_shapes())
    with self.assertRaises(error):
      _model().decode(tf.zeros(shape, dtype))


if __name__ == "__main__":
  tf.test.main()
