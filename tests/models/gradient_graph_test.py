"""The training gradient of every family, as a graph: no strided writes."""

from absl.testing import parameterized
import tensorflow as tf

from tests.models import model_test_util
from tfp_flows import models


class GradientGraphTest(tf.test.TestCase, parameterized.TestCase):

  @parameterized.parameters(*models.family_names())
  def test_no_strided_slice_gradients(self, family):
    # Each indexing of a tensor differentiates to a strided write into a
    # zeroed copy of all of it: a tenth of Glow's CPU step before the
    # bijectors split, unstacked and sliced instead.
    model = model_test_util.tiny_model(family, event_shape=(4, 4, 3))
    images = tf.constant(model_test_util.random_images((2, 4, 4, 3)))
    noise = model.dequantizer.sample_noise(tf.shape(images), (0, 0))

    @tf.function
    def gradients(images, noise):
      with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(
            model.log_prob_with_noise(images, noise, training=True))
      return tape.gradient(loss, model.trainable_variables)

    graph = gradients.get_concrete_function(images, noise).graph
    strided = [op.name for op in graph.get_operations()
               if op.type == "StridedSliceGrad"]
    self.assertEmpty(strided)


if __name__ == "__main__":
  tf.test.main()
