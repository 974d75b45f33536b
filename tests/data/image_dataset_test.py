"""Behaviour of ImageDataset batches, shuffling, checkpointing and counting."""

import numpy as np
import tensorflow as tf

from tfp_flows.data import image_dataset


def _dataset(n_bits=8, num_train=20, num_test=7):
    rng = np.random.default_rng(0)
    splits = {
        "train": rng.integers(0, 256, size=(num_train, 4, 3, 2), dtype=np.uint8),
        "test": rng.integers(0, 256, size=(num_test, 4, 3, 2), dtype=np.uint8),
    }
    return image_dataset.from_arrays("toy", splits, n_bits), splits


def _take(iterator, n):
    return [next(iterator).numpy() for _ in range(n)]


class ImageDatasetTest(tf.test.TestCase):

    def test_metadata(self):
        dataset, _ = _dataset(n_bits=5)
        self.assertEqual(dataset.event_shape, (4, 3, 2))
        self.assertEqual((dataset.num_train, dataset.num_test), (20, 7))
        self.assertEqual(dataset.num_values, 32)

    def test_test_batches_are_in_order_and_keep_the_remainder(self):
        dataset, splits = _dataset()
        batches = list(dataset.test(3).as_numpy_iterator())
        self.assertEqual([len(b) for b in batches], [3, 3, 1])
        self.assertEqual(batches[0].dtype, np.uint8)
        self.assertAllEqual(np.concatenate(batches), splits["test"])

    def test_n_bits_floors_values(self):
        dataset, splits = _dataset(n_bits=3)
        values = np.concatenate(list(dataset.test(4).as_numpy_iterator()))
        self.assertAllEqual(values, splits["test"] >> 5)
        self.assertLessEqual(values.max(), 7)

    def test_train_epoch_is_a_permutation_with_full_batches(self):
        dataset, splits = _dataset()
        batches = list(dataset.train(6, seed=1, repeat=False).as_numpy_iterator())
        self.assertEqual([len(b) for b in batches], [6, 6, 6])  # 2 dropped
        seen = np.concatenate(batches)
        self.assertNotAllEqual(seen, splits["train"][:18])
        train_rows = {row.tobytes() for row in splits["train"]}
        self.assertLen({row.tobytes() for row in seen} & train_rows, 18)

    def test_unshuffled_train_is_in_order(self):
        dataset, splits = _dataset()
        first = next(iter(dataset.train(5, seed=0, shuffle=False)))
        self.assertAllEqual(first, splits["train"][:5])

    def test_shuffle_is_determined_by_seed(self):
        dataset, _ = _dataset()

        def run(seed):
            return _take(iter(dataset.train(4, seed=seed)), 12)

        self.assertAllEqual(run(3), run(3))
        self.assertNotAllEqual(run(3), run(4))

    def test_repeat_reshuffles_each_epoch(self):
        dataset, _ = _dataset()
        epochs = np.stack(_take(iter(dataset.train(20, seed=0)), 2))
        self.assertNotAllEqual(epochs[0], epochs[1])

    def test_iterator_resumes_from_checkpoint(self):
        dataset, _ = _dataset()
        iterator = iter(dataset.train(4, seed=7))
        checkpoint = tf.train.Checkpoint(iterator=iterator)
        _take(iterator, 3)
        path = checkpoint.save(self.get_temp_dir() + "/ckpt")
        expected = _take(iterator, 2)
        checkpoint.restore(path)
        self.assertAllEqual(_take(iterator, 2), expected)

    def test_pixel_counts_match_a_direct_count(self):
        dataset, splits = _dataset(n_bits=2)
        counts = dataset.pixel_counts("train")
        self.assertEqual(counts.shape, (4, 3, 2, 4))
        self.assertEqual(counts.dtype, np.int64)
        values = splits["train"] >> 6
        for value in range(4):
            self.assertAllEqual(counts[..., value], (values == value).sum(axis=0))

    def test_rejects_bad_arguments(self):
        dataset, _ = _dataset()
        with self.assertRaisesRegex(ValueError, "batch_size"):
            dataset.train(21, seed=0)
        with self.assertRaisesRegex(ValueError, "batch_size"):
            dataset.test(0)
        with self.assertRaisesRegex(ValueError, "split"):
            dataset.pixel_counts("validation")


if __name__ == "__main__":
    tf.test.main()
