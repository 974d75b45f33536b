"""The per-pixel baseline: the bits/dim any image model should beat.

It models every (row, column, channel) position as an independent categorical
distribution over its 2**n_bits values, fitted by counting. A flow that does
not beat it has learnt nothing about how pixels relate to each other. The
numbers are discrete negative log-likelihoods at the dataset's bit depth, the
quantity a dequantised flow's bits/dim bounds from above.
"""

import numpy as np


def per_pixel_baseline_bits_per_dim(train_counts: np.ndarray,
                                    test_counts: np.ndarray) -> float:
    """Test bits/dim of independent per-position categoricals fitted on train.

    Args:
      train_counts: int [..., K] counts of each of the K values at each
        position over the training split (e.g. `ImageDataset.pixel_counts`).
      test_counts: int [..., K], the same over the test split.

    Returns:
      The average over test values of -log2 p(value), where p at each position
      is fitted with add-one (Laplace) smoothing, (count + 1) / (total + K), so
      that values unseen in training keep a finite cost.
    """
    train_counts = np.asarray(train_counts)
    test_counts = np.asarray(test_counts)
    if train_counts.shape != test_counts.shape:
        raise ValueError(f"train and test counts differ in shape: "
                         f"{train_counts.shape} vs {test_counts.shape}")
    if (train_counts < 0).any() or (test_counts < 0).any():
        raise ValueError("counts must be non-negative")
    num_test_values = test_counts.sum()
    if num_test_values == 0:
        raise ValueError("test counts are all zero")
    num_values = train_counts.shape[-1]
    log2_probs = (np.log2(train_counts + 1.0)
                  - np.log2(train_counts.sum(axis=-1, keepdims=True) + num_values))
    return float(-(test_counts * log2_probs).sum() / num_test_values)
