"""The `Dataset` container every loader in `keras_fip.data` returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def count_classes(*label_arrays: np.ndarray) -> int:
    """Number of classes implied by integer labels: max label + 1.

    Taking the max over *all* splits (not just train) keeps the output layer
    large enough when a rare class only shows up in the test set.

    Args:
        *label_arrays: one or more 1-D integer label arrays (e.g. y_train, y_test).

    Returns:
        The largest label over all arrays plus one (0 if every array is empty).

    Example:
        >>> count_classes(np.array([0, 1, 2]), np.array([0, 3]))
        4
    """
    maxima = [int(np.max(y)) for y in label_arrays if np.size(y) > 0]
    return max(maxima) + 1 if maxima else 0


# eq=False: numpy arrays don't support the elementwise `==` a generated
# __eq__ would use, so identity comparison is the only sane default.
@dataclass(eq=False)
class Dataset:
    """A train/test split of a classification dataset held as numpy arrays.

    Loaders produce `x` as float32 in [0, 1] (images shaped (N, H, W, C),
    flat features (N, D)) and `y` as int64 class ids in [0, num_classes).

    Args:
        x_train: training inputs, shape (N_train, *input_shape).
        y_train: training labels, shape (N_train,).
        x_test: test inputs, shape (N_test, *input_shape).
        y_test: test labels, shape (N_test,).
        name: short identifier, e.g. "digits" or "mnist".
        num_classes: number of classes; if None it is computed as
            max label + 1 over train and test.
        description: one line saying what the data is.
        split: one line saying how train/test were made.

    Raises:
        ValueError: labels that are not 1-D, inputs and labels of different lengths,
            or train and test inputs of different shapes.

    Example:
        >>> ds = Dataset(np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1]),
        ...              np.zeros((2, 2), np.float32), np.array([0, 2]), "toy")
        >>> ds.input_shape, ds.num_classes
        ((2,), 3)
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str
    num_classes: int | None = None
    description: str = ""
    split: str = ""

    def __post_init__(self) -> None:
        # Only structural invariants are checked here; dtype/range coercion
        # is the loaders' job so hand-built datasets stay cheap to make.
        for part in ("train", "test"):
            x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
            if np.ndim(y) != 1:
                raise ValueError(f"y_{part} must be 1-D, got shape {np.shape(y)}")
            if len(x) != len(y):
                raise ValueError(
                    f"x_{part} has {len(x)} samples but y_{part} has {len(y)}"
                )
        if np.shape(self.x_train)[1:] != np.shape(self.x_test)[1:]:
            raise ValueError(
                f"x_train samples have shape {np.shape(self.x_train)[1:]} but "
                f"x_test samples have shape {np.shape(self.x_test)[1:]}"
            )
        if self.num_classes is None:
            self.num_classes = count_classes(self.y_train, self.y_test)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample, e.g. (8, 8, 1); what a Keras `Input` expects."""
        return tuple(self.x_train.shape[1:])

    def __repr__(self) -> str:
        # The generated repr would dump whole arrays; shapes are what matter.
        return (
            f"Dataset(name={self.name!r}, train={len(self.x_train)}, "
            f"test={len(self.x_test)}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes}, split={self.split!r})"
        )
