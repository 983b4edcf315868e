"""Datasets stored as a numpy `.npz` archive with a fixed train/test split."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from .arrays import as_inputs, as_labels, check_same_length
from .dataset import Dataset, count_classes

REQUIRED_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_npz(path: str | os.PathLike) -> Dataset:
    """Load a dataset saved with `np.savez(path, x_train=..., y_train=..., ...)`.

    The archive's own train/test split is used as is. Inputs follow the
    rules of `keras_fip.data.arrays.as_inputs`: uint8 pixels are scaled to
    [0, 1], float inputs are kept (as float32), (N, H, W) images get a channel
    axis and (N, D) feature vectors stay (N, D).

    Args:
        path: path to the `.npz` file.

    Returns:
        A `Dataset` named after the file stem.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if the file is not a readable .npz, a key is missing,
            x and y lengths differ, an array is empty, labels are not
            non-negative integers, or x holds NaN/inf.

    Example:
        >>> np.savez("toy.npz", x_train=x_tr, y_train=y_tr, x_test=x_te, y_test=y_te)
        >>> ds = load_npz("toy.npz")
        >>> ds.name, ds.input_shape
        ('toy', (28, 28, 1))
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"no such .npz file: '{path}' (expected an archive with keys "
            f"{', '.join(REQUIRED_KEYS)})"
        )
    arrays = _read_arrays(path)

    x_train = as_inputs(arrays["x_train"], "x_train")
    x_test = as_inputs(arrays["x_test"], "x_test")
    y_train = as_labels(arrays["y_train"], "y_train")
    y_test = as_labels(arrays["y_test"], "y_test")
    check_same_length(x_train, y_train, "train")
    check_same_length(x_test, y_test, "test")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise ValueError(
            f"x_train samples have shape {x_train.shape[1:]} but x_test samples "
            f"have shape {x_test.shape[1:]}"
        )

    return Dataset(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        name=path.stem,
        num_classes=count_classes(y_train, y_test),
        description=f"arrays from {path.name}",
        split=(
            f"fixed split stored in {path.name} "
            f"({len(y_train):,} train / {len(y_test):,} test)"
        ),
    )


def _read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Read the four required arrays, turning numpy's errors into clear ones."""
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):  # a .npy renamed
            raise ValueError("it holds a single array, not named arrays")
        with archive:
            found = sorted(archive.files)
            arrays = {k: archive[k] for k in REQUIRED_KEYS if k in found}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
        # np.load raises a grab bag of types for corrupt or pickled files.
        raise ValueError(f"cannot read '{path}' as a .npz archive: {err}") from err
    missing = [k for k in REQUIRED_KEYS if k not in arrays]
    if missing:
        raise ValueError(
            f"{path.name} is missing key(s) {', '.join(missing)}; "
            f"found {', '.join(found) or 'no arrays'} "
            f"(expected {', '.join(REQUIRED_KEYS)})"
        )
    return arrays
