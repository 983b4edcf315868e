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

    from keras_fip.checks import seed as check_seed

    test_fraction = check_test_fraction(test_fraction)
    seed = check_seed(seed)  # named as ours, not as scikit-learn's random_state
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


#: The seed offsets of each job's validation split. Every job used its own copy
#: of the split before issue 21; one function now makes them all, with each
#: job's offset (and scheme) kept so that the images held out for a given seed
#: are exactly those of the earlier runs.
VALIDATION_OFFSETS = {"robustness": 10_000, "sparsity": 20_000, "continual": 0}


def validation_split(x, y, fraction=0.1, seed=0, *, offset=0, scheme="per_class"):
    """Holds out a stratified `fraction` of (x, y) for choosing hyperparameters.

    The one validation split of keras-fip: every tuner (continual, sparsity,
    robustness) carves its validation data with it, from the training split
    of the run's own seed, so a seed's settings are chosen on that seed's own
    validation images (never on another seed's test images).

    Args:
        x, y: training inputs and integer labels.
        fraction: share of each class held out, in (0, 1).
        seed: the run's seed.
        offset: added to `seed` for the random draw (`VALIDATION_OFFSETS`:
            each job's own, so its earlier runs' held-out images stay the same).
        scheme: "per_class": for each class in label order, a permutation
            drawn from `numpy.random.default_rng(offset + seed)` holds out its
            first `max(1, round(fraction * count))` samples (the robustness
            and sparsity jobs); "stratified": scikit-learn's stratified
            `train_test_split` with `random_state=offset + seed`
            (`stratified_split`, the continual job's per-task split).

    Returns:
        `(x_fit, y_fit, x_val, y_val)`; with "per_class" both parts keep
        the data's order.

    Example:
        >>> x, y = np.arange(40).reshape(20, 2), np.array([0, 1] * 10)
        >>> x_fit, y_fit, x_val, y_val = validation_split(x, y, 0.2, seed=0)
        >>> len(y_val), sorted(set(y_val.tolist()))
        (4, [0, 1])
    """
    fraction = float(fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the validation fraction must be in (0, 1), got {fraction}")
    y = np.asarray(y)
    if scheme == "stratified":
        x_fit, x_val, y_fit, y_val = stratified_split(x, y, fraction, seed=int(offset) + int(seed))
        return x_fit, y_fit, x_val, y_val
    if scheme != "per_class":
        raise ValueError(f"unknown validation scheme {scheme!r}; use 'per_class' or 'stratified'")
    rng = np.random.default_rng(int(offset) + int(seed))
    held = np.zeros(len(y), bool)
    for label in np.unique(y):
        where = np.flatnonzero(y == label)
        held[rng.permutation(where)[:max(1, int(round(fraction * len(where))))]] = True
    return x[~held], y[~held], x[held], y[held]
