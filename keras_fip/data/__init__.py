"""Datasets for keras_fip as plain numpy arrays (no TensorFlow needed).

Example:
    >>> from keras_fip.data import load_dataset
    >>> ds = load_dataset("digits", seed=0)
    >>> ds.x_train.shape, ds.num_classes
    ((1437, 8, 8, 1), 10)
"""

from .dataset import Dataset
from .digits import load_digits
from .dispatch import load_dataset
from .idx import load_idx, read_idx
from .npz import load_npz
from .synthetic import synthetic_dataset
from .tfds import TFDSNotPreparedError, load_tfds, load_tfds_pipeline
from .tfds import prepared as tfds_prepared

__all__ = [
    "Dataset",
    "TFDSNotPreparedError",
    "load_dataset",
    "load_digits",
    "load_idx",
    "load_npz",
    "load_tfds",
    "load_tfds_pipeline",
    "read_idx",
    "synthetic_dataset",
    "tfds_prepared",
]
