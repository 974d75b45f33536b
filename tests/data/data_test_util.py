"""Helpers shared by the tests of the data loaders."""

import numpy as np


def all_images(dataset):
  """A dataset's train images in order, then its test images."""
  train = dataset.train(dataset.num_train, seed=0, shuffle=False,
                        repeat=False)
  return np.concatenate(list(train.as_numpy_iterator()) +
                        list(dataset.test(dataset.num_test)
                             .as_numpy_iterator()))
