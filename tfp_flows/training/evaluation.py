"""Test-set bits/dim (single-draw and importance-weighted) and the baseline."""

import numpy as np
import tensorflow as tf

from tfp_flows import data


def evaluate(model, dataset, batch_size, num_dequant_samples=1, seed=0,
             max_images=None):
  """Mean test bits/dim of `model` on `dataset`'s test split.

  Returns a dict with `test_bpd` (the single-draw ELBO bound, averaged over
  the draws) and, when `num_dequant_samples > 1`, `test_bpd_iw` (the
  importance-weighted bound). Draws are batched: each step scores
  `batch_size` (image, draw) pairs, so K in the hundreds stays practical.
  `max_images` evaluates only the first images of the test split.
  """
  k = int(num_dequant_samples)
  images_per_call = max(1, batch_size // k)
  score = tf.function(
      lambda images, step_seed: model.importance_weighted_log_prob(
          images, k, seed=step_seed))
  elbo, iw = [], []
  batches = dataset.test(images_per_call)
  if max_images:
    batches = batches.unbatch().take(max_images).batch(images_per_call)
  for index, batch in enumerate(batches):
    batch_elbo, batch_iw = score(batch, tf.constant([seed, index], tf.int64))
    elbo.append(batch_elbo.numpy())
    iw.append(batch_iw.numpy())
  nats_to_bpd = model.nats_to_bits_per_dim
  metrics = {
      "test_bpd": float(nats_to_bpd(-np.mean(np.concatenate(elbo)))),
      "num_test_images": int(sum(len(e) for e in elbo)),
      "num_dequant_samples": k,
  }
  if k > 1:
    metrics["test_bpd_iw"] = float(nats_to_bpd(-np.mean(np.concatenate(iw))))
  return metrics


def per_pixel_baseline(dataset):
  """Bits/dim of independent per-pixel categoricals (add-one smoothing)."""
  return float(data.per_pixel_baseline_bits_per_dim(
      dataset.pixel_counts("train"), dataset.pixel_counts("test")))
