"""images: folders and npz: arrays, including the errors for bad files.

These fixtures are generated into temporary folders with TensorFlow's
encoders; testdata_files_test.py reads the real files of testdata/.
"""

import hashlib
import os
import re
import zipfile

import numpy as np
import tensorflow as tf

from tfp_flows import data
from tfp_flows import errors


def _write_image(path, image, fmt="png"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    encode = tf.io.encode_png if fmt == "png" else tf.io.encode_jpeg
    with open(path, "wb") as f:
        f.write(encode(tf.constant(image, tf.uint8)).numpy())


def _constant(height, width, colour):
    return np.broadcast_to(np.array(colour, np.uint8), (height, width, len(colour)))


def _in_test_split(relative_path):
    digest = hashlib.sha256(relative_path.encode("utf-8")).digest()
    return int.from_bytes(digest, "big") % 10 == 0


def _all_values(batches):
    return np.concatenate(list(batches.as_numpy_iterator()))


class ImageFolderTest(tf.test.TestCase):

    def _folder(self):
        return self.create_tempdir().full_path

    def test_mixed_folder_is_loaded_as_rgb_and_split_by_name_hash(self):
        folder = self._folder()
        # Constant colours identify each file after decoding; sizes, colour
        # modes, formats and extensions vary.
        files = {}
        for i in range(12):
            colour = (i * 20, 250 - i * 20, 60)
            height, width = (40, 24) if i % 2 else (30, 50)
            if i % 4 == 0:
                name, image, fmt = f"img_{i:02d}.png", _constant(height, width, colour), "png"
            elif i % 4 == 1:
                name, image, fmt = f"img_{i:02d}.JPEG", _constant(height, width, colour), "jpeg"
            elif i % 4 == 2:
                colour = (i * 20,) * 3
                name, image, fmt = f"img_{i:02d}.png", _constant(height, width, colour[:1]), "png"
            else:
                name, fmt = f"sub/img_{i:02d}.png", "png"
                image = _constant(height, width, colour + (255,))  # Opaque RGBA
            _write_image(os.path.join(folder, name), image, fmt)
            files[name] = colour
        with open(os.path.join(folder, "notes.txt"), "w") as f:
            f.write("ignored")
        names = sorted(files)
        expected = {"train": [n for n in names if not _in_test_split(n)],
                    "test": [n for n in names if _in_test_split(n)]}
        self.assertNotEmpty(expected["test"])  # img_08.png and img_10.png

        dataset = data.load_dataset(f"images:{folder}", image_size=16)
        self.assertEqual(dataset.name, f"images:{folder}")
        self.assertEqual(dataset.event_shape, (16, 16, 3))
        self.assertEqual(dataset.num_train, len(expected["train"]))
        self.assertEqual(dataset.num_test, len(expected["test"]))
        for split, batches in (("train", dataset.train(dataset.num_train, seed=0,
                                                       shuffle=False)),
                               ("test", dataset.test(5))):
            images = _all_values(batches.take(1) if split == "train" else batches)
            colours = np.array([files[n] for n in expected[split]], np.float32)
            self.assertAllClose(images.astype(np.float32),
                                np.broadcast_to(colours[:, None, None, :], images.shape),
                                atol=3)  # JPEG is lossy

    def test_default_size_and_centre_crop(self):
        folder = self._folder()
        # A 40x20 image: red bands of 10 rows above and below a green centre.
        image = np.zeros((40, 20, 3), np.uint8)
        image[:, :, 0] = 255
        image[10:30] = (0, 255, 0)
        for i in range(10):
            _write_image(os.path.join(folder, f"tall_{i}.png"), image)
            _write_image(os.path.join(folder, f"square_{i}.png"), _constant(8, 8, (9, 9, 9)))
        cropped = data.load_dataset(f"images:{folder}", image_size=20)
        values = np.concatenate([_all_values(cropped.test(10)),
                                 _all_values(cropped.train(1, seed=0, repeat=False))])
        tall = values[values[:, 0, 0, 1] > 100]
        self.assertLen(tall, 10)
        self.assertAllEqual(tall, np.broadcast_to([0, 255, 0], tall.shape))
        default = data.load_dataset(f"images:{folder}", n_bits=4)
        self.assertEqual(default.event_shape, (32, 32, 3))
        squares = _all_values(default.test(20))
        squares = squares[squares[:, 0, 0, 1] < 8]
        self.assertAllEqual(squares, np.full_like(squares, 9 >> 4))

    def test_empty_or_missing_folder(self):
        folder = self._folder()
        with open(os.path.join(folder, "readme.md"), "w") as f:
            f.write("no images here")
        with self.assertRaisesRegex(errors.DataError, re.escape(folder) + ": no image files"):
            data.load_dataset(f"images:{folder}")
        missing = os.path.join(folder, "missing")
        with self.assertRaisesRegex(errors.DataError, re.escape(missing) + ": not a folder"):
            data.load_dataset(f"images:{missing}")

    def test_folder_without_test_images_is_rejected(self):
        folder = self._folder()
        for name in ("img_00.png", "img_01.png"):  # both hash to train
            _write_image(os.path.join(folder, name), _constant(4, 4, (1, 2, 3)))
        with self.assertRaisesRegex(errors.DataError, "test split is empty"):
            data.load_dataset(f"images:{folder}")


class NpzTest(tf.test.TestCase):

    def _npz(self, **arrays):
        path = os.path.join(self.create_tempdir().full_path, "data.npz")
        np.savez(path, **arrays)
        return path

    def _images(self, n=25, shape=(6, 5, 3)):
        return np.random.default_rng(1).integers(0, 256, (n, *shape), dtype=np.uint8)

    def test_last_tenth_is_the_test_split(self):
        images = self._images()
        path = self._npz(images=images, labels=np.arange(25))
        dataset = data.load_dataset(f"npz:{path}", n_bits=6)
        self.assertEqual(dataset.event_shape, (6, 5, 3))
        self.assertEqual((dataset.num_train, dataset.num_test), (23, 2))
        self.assertAllEqual(_all_values(dataset.test(10)), images[23:] >> 2)
        self.assertAllEqual(_all_values(dataset.train(23, seed=0, shuffle=False).take(1)),
                            images[:23] >> 2)

    def test_a_single_array_may_have_any_name(self):
        images = self._images(n=5, shape=(4, 4, 1))
        path = self._npz(arr_0=images)
        dataset = data.load_dataset(f"npz:{path}")
        self.assertEqual((dataset.num_train, dataset.num_test), (4, 1))
        self.assertAllEqual(_all_values(dataset.test(1)), images[4:])

    def test_only_the_images_array_is_read(self):
        # Object arrays need pickle, which the loader refuses: a label array
        # beside the images must not stop them loading.
        images = self._images(n=4)
        path = os.path.join(self.create_tempdir().full_path, "labelled.npz")
        np.savez(path, images=images, labels=np.array(["a", 1], dtype=object))
        dataset = data.load_dataset(f"npz:{path}")
        self.assertAllEqual(_all_values(dataset.test(1)), images[3:])

    def test_bad_arrays_are_named(self):
        # testdata/npz has files of the wrong dtype, rank and size.
        for arrays, problem in (
                ({"a": self._images(), "b": self._images()}, r"\['a', 'b'\]"),
                ({"images": self._images(n=1)}, "at least 2")):
            path = self._npz(**arrays)
            with self.assertRaisesRegex(errors.DataError, re.escape(path) + ".*" + problem):
                data.load_dataset(f"npz:{path}")

    def test_bad_files_are_named(self):
        folder = self.create_tempdir().full_path
        npy = os.path.join(folder, "single.npy")
        np.save(npy, self._images())
        garbage = os.path.join(folder, "garbage.npz")
        with open(garbage, "wb") as f:
            f.write(b"PK\x03\x04 truncated zip")
        bad_member = os.path.join(folder, "bad_member.npz")
        with zipfile.ZipFile(bad_member, "w") as archive:
            archive.writestr("images.npy", b"not an npy array")
        for path, problem in ((npy, "not an .npz archive"),
                              (garbage, "not a readable .npz"),
                              (bad_member, "not a readable .npy"),
                              (os.path.join(folder, "missing.npz"), "no such file")):
            with self.assertRaisesRegex(errors.DataError, re.escape(path) + ".*" + problem):
                data.load_dataset(f"npz:{path}")

    def test_image_size_must_match(self):
        path = self._npz(images=self._images(shape=(8, 8, 3)))
        self.assertEqual(data.load_dataset(f"npz:{path}", image_size=8).event_shape,
                         (8, 8, 3))
        with self.assertRaisesRegex(errors.DataError, "8x8"):
            data.load_dataset(f"npz:{path}", image_size=16)


if __name__ == "__main__":
    tf.test.main()
