"""Spec parsing and argument checks of load_dataset."""

import tensorflow as tf

from tfp_flows import data
from tfp_flows import errors


class LoadDatasetTest(tf.test.TestCase):

    def test_unknown_spec_lists_the_valid_ones(self):
        for spec in ("cifar100", "images:", "npz:", "MNIST", ""):
            with self.assertRaisesRegex(errors.ConfigError, "unknown dataset spec") as caught:
                data.load_dataset(spec)
            for valid in data.VALID_SPECS:
                self.assertIn(valid, str(caught.exception))

    def test_n_bits_must_be_1_to_8(self):
        for n_bits in (0, 9, 4.0):
            with self.assertRaisesRegex(errors.ConfigError, "n_bits"):
                data.load_dataset("embedded", n_bits=n_bits)

    def test_image_size_must_be_positive(self):
        with self.assertRaisesRegex(errors.ConfigError, "image_size"):
            data.load_dataset("images:/anywhere", image_size=0)

    def test_every_n_bits_keeps_the_largest_value_in_range(self):
        for n_bits in range(1, 9):
            dataset = data.load_dataset("embedded", n_bits=n_bits)
            self.assertEqual(int(tf.reduce_max(next(iter(dataset.test(1000))))),
                             2 ** n_bits - 1)


if __name__ == "__main__":
    tf.test.main()
