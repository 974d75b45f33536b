"""Tests for tfp_flows.graph_ops: op counts and FLOP counts of traced graphs."""

import tensorflow as tf

from tfp_flows import graph_ops
from tfp_flows import models


def _flops(fn, *shapes):
  specs = [tf.TensorSpec(shape, tf.float32) for shape in shapes]
  return graph_ops.matmul_flops(tf.function(fn).get_concrete_function(*specs))


class MatmulFlopsTest(tf.test.TestCase):

  def test_each_counted_op_by_hand(self):
    kernel = tf.ones((3, 3, 4, 5))
    self.assertEqual(
        _flops(lambda x: tf.nn.conv2d(x, kernel, 1, "SAME"), (2, 6, 7, 4)),
        2 * (2 * 6 * 7 * 5) * 3 * 3 * 4)
    # A stride-2 transposed conv: its forward conv maps 12x14x5 -> 6x7x4.
    transposed = tf.ones((3, 3, 5, 4))
    self.assertEqual(
        _flops(lambda x: tf.nn.conv2d_transpose(
            x, transposed, (2, 12, 14, 5), 2, "SAME"), (2, 6, 7, 4)),
        2 * (2 * 6 * 7 * 4) * 3 * 3 * 5)
    self.assertEqual(
        _flops(lambda a, b: tf.matmul(a, b, transpose_a=True),
               (7, 3), (7, 5)), 2 * 3 * 5 * 7)
    self.assertEqual(
        _flops(lambda a, b: tf.matmul(a, b, transpose_b=True),
               (2, 4, 3, 7), (2, 4, 5, 7)), 2 * 2 * 4 * 3 * 5 * 7)
    self.assertEqual(
        _flops(lambda x, w: tf.einsum("nhwc,dc->nhwd", x, w),
               (2, 3, 4, 6), (5, 6)), 2 * 2 * 3 * 4 * 6 * 5)
    # Element-wise work is not counted.
    self.assertEqual(_flops(lambda x: tf.exp(x) * x + 1.0, (9, 9)), 0)

  def test_refuses_what_it_cannot_see(self):
    loop = lambda x: tf.while_loop(lambda i, x: i < 3,  # pylint: disable=g-long-lambda
                                   lambda i, x: (i + 1, tf.matmul(x, x)),
                                   (0, x))[1]
    with self.assertRaisesRegex(ValueError, "While"):
      _flops(loop, (4, 4))
    with self.assertRaisesRegex(ValueError, "dynamic shape"):
      _flops(lambda a: tf.matmul(a, a, transpose_b=True), (None, 4))

  def test_one_step_glow_by_hand(self):
    model = models.build_model(_one_step_config(), (8, 8, 1))
    batch, hidden = 3, 8
    images = tf.zeros((batch, 8, 8, 1), tf.uint8)
    counted = graph_ops.matmul_flops(
        tf.function(model.log_prob).get_concrete_function(images))
    # One level: squeeze to 4x4x4, then ActNorm, the 1x1 conv (4 -> 4), and
    # an affine coupling whose net maps 2 channels to shift and scale of 2:
    # 3x3 conv 2 -> hidden, 1x1 conv hidden -> hidden, 3x3 conv hidden -> 4;
    # once per call, the 1x1 conv's weight from its LU factors (4x4 @ 4x4).
    pixels = batch * 4 * 4
    by_hand = (2 * pixels * (4 * 4 + 9 * 2 * hidden + hidden * hidden
                             + 9 * hidden * 4)
               + 2 * 4 ** 3)
    self.assertEqual(counted, by_hand)


def _one_step_config():
  config = models.get_config("glow", "tiny")
  config.model.num_levels = 1
  config.model.steps_per_level = 1
  config.model.hidden_channels = 8
  return config


if __name__ == "__main__":
  tf.test.main()
