"""scikit-learn's bundled 8x8 handwritten digits, as a `Dataset`."""

from __future__ import annotations

import numpy as np

from .dataset import Dataset, count_classes
from .splits import describe_fraction, stratified_split

# Pixels in the digits set are counts of "on" cells in 4x4 blocks: 0..16.
_DIGITS_MAX_PIXEL = 16.0


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Load the 1,797 8x8 digit images that ship with scikit-learn.

    No download is needed, which makes this the quickest real dataset for
    tests and smoke runs.

    Args:
        test_fraction: share of images held out for testing, in (0, 1).
        seed: seed of the stratified split; same seed, same split.

    Returns:
        A `Dataset` with x of shape (N, 8, 8, 1), float32 in [0, 1]
        (pixels divided by 16), int64 labels 0..9 and 10 classes.

    Raises:
        ValueError: a `test_fraction` outside (0, 1).

    Example:
        >>> ds = load_digits(seed=0)
        >>> ds.input_shape, ds.num_classes, len(ds.x_test)
        ((8, 8, 1), 10, 360)
    """
    from sklearn.datasets import load_digits as _sk_load_digits

    bunch = _sk_load_digits()
    x = (bunch.images / _DIGITS_MAX_PIXEL).astype(np.float32)[..., np.newaxis]
    y = bunch.target.astype(np.int64)
    x_train, x_test, y_train, y_test = stratified_split(x, y, test_fraction, seed)
    return Dataset(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        name="digits",
        num_classes=count_classes(y_train, y_test),
        description=(
            f"scikit-learn 8x8 handwritten digits ({len(y):,} images), "
            "pixels 0..16 scaled to [0, 1]"
        ),
        split=(
            f"digits ({len(y):,} images) split stratified "
            f"{describe_fraction(test_fraction)} with seed {seed}"
        ),
    )
