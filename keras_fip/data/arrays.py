"""Checks and conversions that turn raw arrays into `Dataset`-ready ones.

Shared by the file loaders so that every source gets the same rules:
labels become 1-D int64 >= 0, inputs become float32 (integer pixels scaled
from 0..255 to [0, 1]), and grayscale (N, H, W) images gain a channel axis.
"""

from __future__ import annotations

import numpy as np

# The label and finiteness checks live in the bottom layer, shared with the engine.
from keras_fip.checks import class_ids as as_labels, finite as check_finite  # noqa: F401


def as_inputs(x: np.ndarray, what: str = "x") -> np.ndarray:
    """Validate model inputs and return them as float32.

    Integer arrays are treated as 8-bit pixels and scaled by 1/255; float
    arrays are kept as they are (only cast to float32). Shape rules:
    (N, D) feature vectors stay (N, D); (N, H, W) grayscale images become
    (N, H, W, 1); (N, H, W, C) is kept.

    Args:
        x: input array with the sample axis first.
        what: name used in error messages, e.g. "x_train".

    Returns:
        float32 array, 2-D or 4-D.

    Raises:
        ValueError: if x is empty, has an unsupported rank or dtype, holds
            NaN/inf, or integer values outside 0..255.

    Example:
        >>> as_inputs(np.full((2, 3, 3), 255, np.uint8)).shape
        (2, 3, 3, 1)
    """
    x = np.asarray(x)
    if x.size == 0:
        raise ValueError(f"{what} is empty (shape {x.shape})")
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            f"{what} must be (N, D) features or (N, H, W[, C]) images, "
            f"got shape {x.shape}"
        )
    if np.issubdtype(x.dtype, np.integer):
        # Non-uint8 integers (e.g. int64 written by some tools) are accepted
        # only if they still fit the 8-bit pixel range the /255 assumes.
        if x.dtype != np.uint8 and (x.min() < 0 or x.max() > 255):
            raise ValueError(
                f"{what} has integer values outside 0..255 "
                f"(min {x.min()}, max {x.max()}); save float inputs instead"
            )
        x = x.astype(np.float32) / np.float32(255.0)
    elif np.issubdtype(x.dtype, np.floating):
        x = check_finite(x.astype(np.float32), what)
    else:
        raise ValueError(f"{what} must be numeric, got dtype {x.dtype}")
    if x.ndim == 3:
        x = x[..., np.newaxis]  # Conv2D wants an explicit channel axis.
    return x


def check_same_length(x: np.ndarray, y: np.ndarray, part: str) -> None:
    """Raise ValueError unless x and y hold the same number of samples.

    Args:
        x: inputs of one split.
        y: labels of the same split.
        part: split name used in the message, e.g. "train".

    Example:
        >>> check_same_length(np.zeros((3, 2)), np.zeros(3), "train")
    """
    if len(x) != len(y):
        raise ValueError(
            f"mismatched lengths: x_{part} has {len(x)} samples "
            f"but y_{part} has {len(y)}"
        )
