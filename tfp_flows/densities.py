"""The standard-normal log-density of image latents, written once."""

import tensorflow as tf
import tensorflow_probability as tfp


def standard_normal_log_prob(z):
  """`log N(z; 0, I)` per image of a batch `[N, H, W, C]`, in nats."""
  return tf.reduce_sum(tfp.distributions.Normal(0.0, 1.0).log_prob(z),
                       axis=[1, 2, 3])
