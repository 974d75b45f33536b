"""The per-pixel categorical baseline against hand-computed values."""

import math

import numpy as np
import tensorflow as tf

from tfp_flows.data import baseline


class PerPixelBaselineTest(tf.test.TestCase):

    def test_single_position_by_hand(self):
        # Train counts [3, 1] smooth to p = [4/6, 2/6]; test sees each value once.
        bits = baseline.per_pixel_baseline_bits_per_dim(np.array([3, 1]), np.array([1, 1]))
        self.assertAlmostEqual(bits, -(math.log2(2 / 3) + math.log2(1 / 3)) / 2)

    def test_positions_are_fitted_separately_and_averaged(self):
        # Position 0: train [0, 2, 0, 0] -> p = [1, 3, 1, 1] / 6; test value 1 twice.
        # Position 1: train [1, 0, 0, 1] -> p = [2, 1, 1, 2] / 6; test values 2 and 3.
        train = np.array([[0, 2, 0, 0], [1, 0, 0, 1]])
        test = np.array([[0, 2, 0, 0], [0, 0, 1, 1]])
        expected = -(2 * math.log2(3 / 6) + math.log2(1 / 6) + math.log2(2 / 6)) / 4
        self.assertAlmostEqual(
            baseline.per_pixel_baseline_bits_per_dim(train, test), expected)

    def test_no_training_data_gives_the_uniform_cost(self):
        counts = np.zeros((2, 3, 1, 16), dtype=np.int64)
        test = np.ones_like(counts)
        self.assertAlmostEqual(baseline.per_pixel_baseline_bits_per_dim(counts, test), 4.0)

    def test_unseen_values_keep_a_finite_cost(self):
        bits = baseline.per_pixel_baseline_bits_per_dim(np.array([100, 0]), np.array([0, 1]))
        self.assertAlmostEqual(bits, math.log2(102))

    def test_rejects_inconsistent_counts(self):
        with self.assertRaisesRegex(ValueError, "shape"):
            baseline.per_pixel_baseline_bits_per_dim(np.ones((2, 4)), np.ones((2, 8)))
        with self.assertRaisesRegex(ValueError, "zero"):
            baseline.per_pixel_baseline_bits_per_dim(np.ones(4), np.zeros(4))
        with self.assertRaisesRegex(ValueError, "non-negative"):
            baseline.per_pixel_baseline_bits_per_dim(np.array([1, -1]), np.ones(2))


if __name__ == "__main__":
    tf.test.main()
