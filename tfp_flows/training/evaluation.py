"""Test-set bits/dim (single-draw and importance-weighted) and the baseline."""

import numpy as np
import tensorflow as tf

from tfp_flows import data


class Scorer:
  """Test bits/dim of a model, with its scoring function traced once.

  Draws are batched: each call scores `batch_size` (image, draw) pairs, so
  K in the hundreds stays practical. The noise of batch `i` is seeded by
  `(seed, i)`, so the same images, weights and seed give the same figure.
  """

  def __init__(self, model, batch_size, num_dequant_samples=1):
    self.model = model
    self.num_dequant_samples = int(num_dequant_samples)
    self.images_per_call = max(1, batch_size // self.num_dequant_samples)
    # No autograph: the model's control flow is explicit (see TrainStep).
    self._score = tf.function(
        lambda images, step_seed: model.importance_weighted_log_prob(
            images, self.num_dequant_samples, seed=step_seed),
        autograph=False)

  def __call__(self, dataset, seed=0, max_images=None):
    """Metrics on `dataset`'s test split, or `max_images` of its images.

    The subset is evenly spaced over the split (every `num_test //
    max_images`-th image): splits are often ordered by class, and the first
    images alone would be one class.

    `test_bpd` is the single-draw ELBO bound averaged over the draws and,
    when `num_dequant_samples > 1`, `test_bpd_iw` the importance-weighted
    bound.
    """
    elbo, iw = [], []
    batches = dataset.test(self.images_per_call)
    if max_images and max_images < dataset.num_test:
      batches = (batches.unbatch().shard(dataset.num_test // max_images, 0)
                 .take(max_images).batch(self.images_per_call))
    for index, batch in enumerate(batches):
      batch_elbo, batch_iw = self._score(batch,
                                         tf.constant([seed, index], tf.int64))
      elbo.append(batch_elbo.numpy())
      iw.append(batch_iw.numpy())
    nats_to_bpd = self.model.nats_to_bits_per_dim
    k = self.num_dequant_samples
    metrics = {
        "test_bpd": float(nats_to_bpd(-np.mean(np.concatenate(elbo)))),
        "num_test_images": int(sum(len(e) for e in elbo)),
        "num_dequant_samples": k,
    }
    if k > 1:
      metrics["test_bpd_iw"] = float(
          nats_to_bpd(-np.mean(np.concatenate(iw))))
    return metrics


def evaluate(model, dataset, batch_size, num_dequant_samples=1, seed=0,
             max_images=None):
  """`Scorer(model, batch_size, num_dequant_samples)(dataset, ...)` once."""
  return Scorer(model, batch_size, num_dequant_samples)(
      dataset, seed=seed, max_images=max_images)


def per_pixel_baseline(dataset):
  """Bits/dim of independent per-pixel categoricals (add-one smoothing)."""
  return float(data.per_pixel_baseline_bits_per_dim(
      dataset.pixel_counts("train"), dataset.pixel_counts("test")))
