"""`load_dataset`: one entry point that picks a loader from a spec string."""

from __future__ import annotations

import os
from pathlib import Path

from .dataset import Dataset
from .digits import load_digits
from .idx import load_idx
from .npz import REQUIRED_KEYS, load_npz

ACCEPTED_FORMS = (
    '"digits" (scikit-learn 8x8 digits), '
    "a .npz file with " + ", ".join(REQUIRED_KEYS) + ", "
    "or a folder of IDX files (e.g. MNIST's *-images-idx3-ubyte[.gz])"
)


def load_dataset(
    spec: str | os.PathLike, seed: int = 0, test_fraction: float = 0.2
) -> Dataset:
    """Load a dataset from a name or a path.

    Accepted specs:
      * "digits": `load_digits(test_fraction, seed)`.
      * a path ending in ".npz": `load_npz(path)` (its stored split is used;
        seed and test_fraction are ignored).
      * a directory: `load_idx(path, test_fraction, seed)`.
      * "tfds:NAME" is reserved for TensorFlow Datasets and not supported yet.

    Args:
        spec: dataset name or path (str or os.PathLike; "~" is expanded).
        seed: seed for loaders that split the data themselves.
        test_fraction: test share for loaders that split the data themselves.

    Returns:
        The loaded `Dataset`.

    Raises:
        FileNotFoundError: if spec looks like a path and nothing is there.
        ValueError: if spec is not one of the accepted forms.

    Example:
        >>> load_dataset("digits", seed=1).input_shape
        (8, 8, 1)
    """
    text = os.fspath(spec)
    if not isinstance(spec, os.PathLike):
        if text.strip().lower() == "digits":
            return load_digits(test_fraction=test_fraction, seed=seed)
        if text.lower().startswith("tfds:"):
            # Reserved so that CLI specs written today keep their meaning later.
            raise ValueError(
                f"'{text}': TensorFlow Datasets (tfds:NAME) are not supported yet; "
                f"use {ACCEPTED_FORMS}"
            )

    path = Path(text).expanduser()
    if path.is_dir():
        return load_idx(path, test_fraction=test_fraction, seed=seed)
    if path.suffix.lower() == ".npz":
        if not path.exists():
            raise FileNotFoundError(
                f"no such file: '{text}' (expected a .npz archive with keys "
                f"{', '.join(REQUIRED_KEYS)})"
            )
        return load_npz(path)
    if path.exists():
        raise ValueError(
            f"unsupported dataset file '{path}' (suffix '{path.suffix}'); "
            f"use {ACCEPTED_FORMS}"
        )
    if _looks_like_path(text, spec):
        raise FileNotFoundError(
            f"no such file or folder: '{text}' (expected a .npz file or a "
            "folder of IDX files)"
        )
    raise ValueError(f"unknown dataset '{text}'; use {ACCEPTED_FORMS}")


def _looks_like_path(text: str, spec: str | os.PathLike) -> bool:
    """True when the user clearly meant a path rather than a dataset name."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (
        isinstance(spec, os.PathLike)
        or any(sep in text for sep in separators)
        or text.startswith((".", "~"))
    )
