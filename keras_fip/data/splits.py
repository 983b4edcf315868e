"""Reproducible stratified train/test splitting."""

from __future__ import annotations

import numpy as np


def check_test_fraction(test_fraction: float) -> float:
    """Return `test_fraction` as a float, or raise if it is not in (0, 1).

    Example:
        >>> check_test_fraction(0.2)
        0.2
    """
    test_fraction = float(test_fraction)
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    return test_fraction


def describe_fraction(test_fraction: float) -> str:
    """Human form of a split ratio, e.g. 0.2 -> "80/20".

    Example:
        >>> describe_fraction(0.25)
        '75/25'
    """
    test_pct = round(100 * test_fraction, 1)
    return f"{100 - test_pct:g}/{test_pct:g}"


def stratified_split(
    x: np.ndarray, y: np.ndarray, test_fraction: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split (x, y) into train/test keeping class proportions, reproducibly.

    Uses scikit-learn's `train_test_split(stratify=y, random_state=seed)`; it is
    imported here rather than at module top so the rest of `keras_fip.data`
    (e.g. `load_npz`) works with numpy alone.

    Args:
        x: inputs, sample axis first.
        y: 1-D integer labels, same length as x.
        test_fraction: share of samples that go to the test split, in (0, 1).
        seed: random seed; the same seed always gives the same split.

    Returns:
        (x_train, x_test, y_train, y_test), in scikit-learn's order.

    Raises:
        ValueError: if the split is impossible, e.g. a class has a single
            sample or the test split would be smaller than the class count.

    Example:
        >>> x, y = np.arange(20).reshape(10, 2), np.array([0, 1] * 5)
        >>> x_tr, x_te, y_tr, y_te = stratified_split(x, y, 0.2, seed=0)
        >>> sorted(y_te.tolist())
        [0, 1]
    """
    from sklearn.model_selection import train_test_split

    test_fraction = check_test_fraction(test_fraction)
    try:
        return tuple(
            train_test_split(x, y, test_size=test_fraction, stratify=y,
                             random_state=seed)
        )
    except ValueError as err:
        # scikit-learn's message lacks context on *which* data failed.
        raise ValueError(
            f"cannot make a stratified {describe_fraction(test_fraction)} split "
            f"of {len(y)} samples: {err}"
        ) from err
