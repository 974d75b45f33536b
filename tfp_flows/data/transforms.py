"""Image geometry shared by the sources that need a fixed square size.

Flows need every example to have the same event shape, and their bits/dim are
only comparable between runs that used the same geometry, so all cropping and
resizing goes through these two functions.
"""

import tensorflow as tf


def centre_crop(image: tf.Tensor, side: int) -> tf.Tensor:
    """Crops the central `side` x `side` window of an [H, W, C] image."""
    return tf.image.resize_with_crop_or_pad(image, side, side)


def resize_uint8(image: tf.Tensor, side: int) -> tf.Tensor:
    """Resizes an [H, W, C] uint8 image to `side` x `side`, returning uint8.

    Bilinear with antialiasing, so that downscaling averages pixels instead of
    aliasing; the result is rounded back to the 256 levels a flow models.
    """
    resized = tf.image.resize(image, [side, side], method="bilinear", antialias=True)
    return tf.cast(tf.clip_by_value(tf.round(resized), 0.0, 255.0), tf.uint8)


def centre_square(image: tf.Tensor, side: int) -> tf.Tensor:
    """Centre-crops an image of static shape to its largest square, then resizes it."""
    height, width = image.shape[0], image.shape[1]
    return resize_uint8(centre_crop(image, min(height, width)), side)
