"""Image datasets for normalizing flows, as uint8 batches at a chosen bit depth.

`load_dataset(spec)` opens the embedded MNIST subset, a prepared TFDS
benchmark, a folder of images or an npz array, validating it up front;
`per_pixel_baseline_bits_per_dim` gives the score a model must beat.
"""

from tfp_flows.data.baseline import per_pixel_baseline_bits_per_dim
from tfp_flows.data.image_dataset import ImageDataset
from tfp_flows.data.loading import VALID_SPECS
from tfp_flows.data.loading import load_dataset
from tfp_flows.data.tfds_datasets import DatasetNotAvailableError

__all__ = [
    "DatasetNotAvailableError",
    "ImageDataset",
    "VALID_SPECS",
    "load_dataset",
    "per_pixel_baseline_bits_per_dim",
]
