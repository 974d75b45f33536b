"""Centre cropping and resizing, the geometry behind celeb_a and images: specs."""

import numpy as np
import tensorflow as tf

from tfp_flows.data import transforms


class TransformsTest(tf.test.TestCase):

    def test_centre_crop_of_a_celeb_a_sized_image(self):
        # Each pixel holds its own (row, column), so the window is readable.
        rows, cols = np.meshgrid(np.arange(218), np.arange(178), indexing="ij")
        image = np.stack([rows, cols], axis=-1).astype(np.int32)
        crop = transforms.centre_crop(tf.constant(image), 148).numpy()
        self.assertEqual(crop.shape, (148, 148, 2))
        self.assertAllEqual(crop[0, 0], [35, 15])  # (218-148)/2, (178-148)/2
        self.assertAllEqual(crop[-1, -1], [182, 162])

    def test_resize_to_the_same_size_is_the_identity(self):
        image = np.random.default_rng(0).integers(0, 256, (12, 12, 3), dtype=np.uint8)
        resized = transforms.resize_uint8(tf.constant(image), 12)
        self.assertEqual(resized.dtype, tf.uint8)
        self.assertAllEqual(resized, image)

    def test_downscaling_averages_instead_of_aliasing(self):
        # A one-pixel checkerboard halves to flat grey; sampling would keep
        # only black or only white.
        board = (np.indices((16, 16)).sum(axis=0) % 2 * 255).astype(np.uint8)[..., None]
        resized = transforms.resize_uint8(tf.constant(board), 8).numpy()
        self.assertAllInRange(resized, 120, 135)

    def test_centre_square_crops_the_long_side(self):
        image = np.zeros((10, 30, 1), np.uint8)
        image[:, 10:20] = 200
        self.assertAllEqual(transforms.centre_square(tf.constant(image), 10),
                            np.full((10, 10, 1), 200))


if __name__ == "__main__":
    tf.test.main()
