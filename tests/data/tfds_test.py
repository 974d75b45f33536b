"""The TFDS input path, on TFDS's mocked data, and its offline failure."""

import time

from absl.testing import parameterized
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from tfp_flows import data
from tfp_flows import errors

_NUM_MOCK_EXAMPLES = 6


class TfdsMockedTest(tf.test.TestCase, parameterized.TestCase):
    """With tfds.testing.mock_data, every split holds the same random images."""

    def _load(self, spec, **kwargs):
        with tfds.testing.mock_data(num_examples=_NUM_MOCK_EXAMPLES):
            return data.load_dataset(spec, data_dir=self.get_temp_dir(), **kwargs)

    @parameterized.parameters(
        ("mnist", (28, 28, 1)),
        ("cifar10", (32, 32, 3)),
        ("imagenet_resized/32x32", (32, 32, 3)),
        ("imagenet_resized/64x64", (64, 64, 3)),
        ("celeb_a", (64, 64, 3)),
    )
    def test_shapes_sizes_and_values(self, spec, event_shape):
        dataset = self._load(spec)
        self.assertEqual(dataset.name, spec)
        self.assertEqual(dataset.event_shape, event_shape)
        self.assertEqual((dataset.num_train, dataset.num_test),
                         (_NUM_MOCK_EXAMPLES, _NUM_MOCK_EXAMPLES))
        train = next(iter(dataset.train(4, seed=0)))
        self.assertEqual(train.shape, (4, *event_shape))
        self.assertEqual(train.dtype, tf.uint8)
        test = list(dataset.test(4).as_numpy_iterator())
        self.assertEqual([len(b) for b in test], [4, 2])
        # Mocked pixels are uniform over 0..255: both ends should be near.
        self.assertGreater(test[0].max(), 200)
        self.assertLess(test[0].min(), 50)

    @parameterized.parameters("cifar10", "celeb_a")
    def test_n_bits_floors_the_8_bit_values(self, spec):
        full = np.concatenate(list(self._load(spec).test(3).as_numpy_iterator()))
        low = self._load(spec, n_bits=3)
        reduced = np.concatenate(list(low.test(3).as_numpy_iterator()))
        self.assertAllEqual(reduced, full >> 5)
        self.assertLessEqual(reduced.max(), 7)
        self.assertEqual(low.pixel_counts("test").shape, (*low.event_shape, 8))
        self.assertEqual(low.pixel_counts("test").sum(),
                         _NUM_MOCK_EXAMPLES * np.prod(low.event_shape))

    def test_celeb_a_image_size(self):
        dataset = self._load("celeb_a", image_size=32)
        self.assertEqual(dataset.event_shape, (32, 32, 3))
        self.assertEqual(next(iter(dataset.test(2))).shape, (2, 32, 32, 3))

    def test_fixed_size_datasets_reject_other_sizes(self):
        with self.assertRaisesRegex(errors.ConfigError, "32x32"):
            self._load("cifar10", image_size=64)
        self.assertEqual(self._load("cifar10", image_size=32).event_shape, (32, 32, 3))


class TfdsNotPreparedTest(tf.test.TestCase):

    def test_raises_at_once_with_the_prepare_command(self):
        data_dir = self.create_tempdir().full_path
        start = time.monotonic()
        with self.assertRaises(data.DatasetNotAvailableError) as caught:
            data.load_dataset("cifar10", data_dir=data_dir)
        self.assertLess(time.monotonic() - start, 3.0)
        message = str(caught.exception)
        self.assertIn("'cifar10'", message)
        self.assertIn(data_dir, message)
        self.assertIn(f"tfds.builder('cifar10', data_dir='{data_dir}')"
                      ".download_and_prepare()", message)
        self.assertIsInstance(caught.exception, ValueError)
        # A user error: the tools print it as one line, command included.
        self.assertIsInstance(caught.exception, errors.DataError)
        self.assertNotIn("\n", message)


if __name__ == "__main__":
    tf.test.main()
