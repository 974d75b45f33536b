"""The folder and npz loaders on the real files of testdata/.

The files, and what each one is for, are listed in
scripts/make_testdata_files.py, which writes them.
"""

import os
import re

import numpy as np
import tensorflow as tf

from tests.data import data_test_util
from tfp_flows import data
from tfp_flows import errors

TESTDATA = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))), "testdata")
IMAGES = os.path.join(TESTDATA, "images")
NPZ = os.path.join(TESTDATA, "npz")
# photo.jpg is a smooth image saved at quality 100 without chroma
# subsampling; every other good file is lossless.
JPEG_TOLERANCE = 4


def _good_images():
  """File name -> the uint8 [4, 4, 3] image that file encodes."""
  with np.load(os.path.join(NPZ, "good.npz")) as archive:
    return dict(zip(archive["files"].tolist(), archive["images"]))


class ImageFilesTest(tf.test.TestCase):

  def test_every_kind_of_file_loads_as_the_rgb_image_it_encodes(self):
    good = _good_images()
    dataset = data.load_dataset(f"images:{os.path.join(IMAGES, 'mixed')}",
                                image_size=4)
    self.assertEqual(dataset.event_shape, (4, 4, 3))
    # The name hash puts landscape.png alone in the test split.
    self.assertEqual((dataset.num_train, dataset.num_test),
                     (len(good) - 1, 1))
    self.assertAllEqual(next(iter(dataset.test(1)))[0],
                        good["landscape.png"])
    loaded = data_test_util.all_images(dataset).astype(np.int32)
    for name, expected in good.items():
      with self.subTest(name):
        tolerance = JPEG_TOLERANCE if name.endswith(".jpg") else 0
        distances = np.abs(loaded - expected).max(axis=(1, 2, 3))
        self.assertEqual(np.count_nonzero(distances <= tolerance), 1)

  def test_bad_files_are_named_with_their_problem(self):
    for folder, file_name, problem in (
        ("truncated", "cut.png", r"truncated or corrupt PNG data \(.+\)$"),
        ("not_an_image", "notes.png",
         r"not a PNG or JPEG image \(the file starts with b'Notes"),
        ("translucent", "sprite.png",
         r"3 of its 16 pixels are transparent or translucent")):
      with self.subTest(folder):
        path = os.path.join(IMAGES, folder, file_name)
        with self.assertRaisesRegex(errors.DataError,
                                    f"^{re.escape(path)}: .*{problem}"):
          data.load_dataset(f"images:{os.path.join(IMAGES, folder)}")


class NpzFilesTest(tf.test.TestCase):

  def test_a_uint8_nhwc_array_loads_exactly(self):
    dataset = data.load_dataset(f"npz:{os.path.join(NPZ, 'good.npz')}")
    self.assertEqual(dataset.event_shape, (4, 4, 3))
    self.assertEqual((dataset.num_train, dataset.num_test), (6, 1))
    self.assertAllEqual(data_test_util.all_images(dataset),
                        np.stack(list(_good_images().values())))

  def test_bad_files_are_named_with_their_problem(self):
    for file_name, problem in (
        ("float32.npz", r"'images' is float32 with shape \(2, 2, 2, 3\); "
                        r"expected uint8 \[N, H, W, C\]"),
        ("int64.npz", r"'images' is int64 .*; expected uint8"),
        ("rank3.npz", r"'images' is uint8 with shape \(2, 2, 2\); "
                      r"expected uint8 \[N, H, W, C\]"),
        ("empty.npz", r"'images' has 0 images; at least 2 are needed"),
        ("no_pixels.npz", r"shape \(2, 0, 4, 3\); its images have no "
                          r"pixels"),
        ("not_zip.npz", r"not an \.npz archive .*; the file starts with "
                        r"b'Not a zip")):
      with self.subTest(file_name):
        path = os.path.join(NPZ, file_name)
        with self.assertRaisesRegex(errors.DataError,
                                    f"^{re.escape(path)}: .*{problem}"):
          data.load_dataset(f"npz:{path}")


if __name__ == "__main__":
  tf.test.main()
