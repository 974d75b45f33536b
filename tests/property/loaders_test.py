"""Properties of the npz: and images: loaders on random files.

A file either loads exactly what it holds, or stops the load with a
`DataError` naming the file and the problem; nothing else escapes (no
numpy, zip or TensorFlow error, no wrong values).
"""

import io
import os
import re

import hypothesis
from hypothesis import strategies as st
import numpy as np
import tensorflow as tf

from tests.data import data_test_util
from tests.property import strategies
from tfp_flows import data
from tfp_flows import errors

# Array names np.savez might write: the loader reads `images`, or the only
# array whatever its name.
NAMES = ("images", "arr_0", "pixels")
# Random arrays are rarely uint8 of rank 4; half the examples draw these.
UINT8_IMAGES = strategies.arrays(dtypes=(np.uint8,), min_rank=4, max_rank=4,
                                 max_side=12)
# Two files whose names the split hash puts in train and in test.
TRAIN_NAME, TEST_NAME = "rgb.png", "landscape.png"


def _npz_problem(images):
  """What the loader must say is wrong with `images`, or None if nothing."""
  if images.dtype != np.uint8 or images.ndim != 4:
    return re.escape(f"is {images.dtype} with shape {images.shape}")
  if images.shape[0] < 2:
    return f"has {images.shape[0]} images"
  if 0 in images.shape[1:]:
    return "no pixels"
  return None


def _npz_bytes(images):
  """The bytes np.savez writes for `images`."""
  buffer = io.BytesIO()
  np.savez(buffer, images=images)
  return buffer.getvalue()


@st.composite
def _encoded_images(draw):
  """`(image, file bytes)`: a random PNG or JPEG, and its decoded RGB."""
  shape = (draw(st.integers(1, 6)), draw(st.integers(1, 6)),
           draw(st.sampled_from((1, 3))))
  image = np.random.default_rng(draw(strategies.seeds)).integers(
      0, 256, shape, dtype=np.uint8)
  encoded = draw(st.sampled_from((tf.io.encode_png, tf.io.encode_jpeg)))(
      image).numpy()
  decoded = tf.io.decode_image(encoded, channels=3).numpy()
  return decoded, encoded


class LoadersPropertyTest(tf.test.TestCase):

  def setUp(self):
    super().setUp()
    # One folder per test method: hypothesis reuses it for every example.
    self.folder = self.create_tempdir().full_path

  def _write(self, name, contents):
    path = os.path.join(self.folder, name)
    with open(path, "wb") as file:
      file.write(contents)
    return path

  @strategies.SETTINGS
  @hypothesis.given(strategies.arrays() | UINT8_IMAGES, st.sampled_from(NAMES),
                    st.integers(1, 8))
  def test_an_npz_array_loads_exactly_or_is_a_data_error(self, images, name,
                                                         n_bits):
    path = os.path.join(self.folder, "data.npz")
    np.savez(path, **{name: images})
    problem = _npz_problem(images)
    if problem is not None:
      with self.assertRaisesRegex(errors.DataError,
                                  f"^{re.escape(path)}: .*{problem}"):
        data.load_dataset(f"npz:{path}", n_bits=n_bits)
      return
    dataset = data.load_dataset(f"npz:{path}", n_bits=n_bits)
    num_test = max(1, len(images) // 10)
    self.assertEqual(dataset.event_shape, images.shape[1:])
    self.assertEqual((dataset.num_train, dataset.num_test),
                     (len(images) - num_test, num_test))
    self.assertAllEqual(data_test_util.all_images(dataset),
                        images >> (8 - n_bits))

  @strategies.SETTINGS
  @hypothesis.given(st.binary(max_size=64) | st.builds(
      lambda contents, cut: contents[:cut],
      st.builds(_npz_bytes, strategies.arrays()), st.integers(0, 400)))
  def test_any_bytes_named_npz_load_or_are_a_data_error(self, contents):
    path = self._write("data.npz", contents)
    try:
      data.load_dataset(f"npz:{path}")
    except errors.DataError as error:
      self.assertStartsWith(str(error), f"{path}: ")

  @strategies.SETTINGS
  @hypothesis.given(_encoded_images(), st.integers(0, 2000))
  def test_a_cut_image_file_loads_whole_or_is_a_data_error(self, image, cut):
    decoded, encoded = image
    side = min(decoded.shape[:2])
    self._write(TRAIN_NAME, tf.io.encode_png(decoded).numpy())
    path = self._write(TEST_NAME, encoded[:cut])
    try:
      dataset = data.load_dataset(f"images:{self.folder}", image_size=side)
    except errors.DataError as error:
      self.assertStartsWith(str(error), f"{path}: ")
      return
    self.assertAllEqual(next(iter(dataset.test(1)))[0],
                        tf.image.resize_with_crop_or_pad(decoded, side, side))


if __name__ == "__main__":
  tf.test.main()
