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
    "a folder of IDX files (e.g. MNIST's *-images-idx3-ubyte[.gz]), "
    "or tfds:NAME (mnist, fashion_mnist, kmnist, cifar10, cifar100[:coarse])"
)


def load_dataset(
    spec: str | os.PathLike,
    seed: int = 0,
    test_fraction: float = 0.2,
    data_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Load a dataset from a name or a path.

    Accepted specs:
      * "digits": `load_digits(test_fraction, seed)`.
      * a path ending in ".npz": `load_npz(path)` (its stored split is used;
        seed and test_fraction are ignored).
      * a directory: `load_idx(path, test_fraction, seed)`.
      * "tfds:NAME" or "tfds:cifar100:coarse": `load_tfds(NAME, data_dir)`
        from TensorFlow Datasets (needs the `tfds` extra and data already
        prepared in data_dir; its train/test split is used, seed and
        test_fraction are ignored). NAME is mnist, fashion_mnist, kmnist,
        cifar10 or cifar100.

    Args:
        spec: dataset name or path (str or os.PathLike; "~" is expanded).
        seed: seed for loaders that split the data themselves.
        test_fraction: test share for loaders that split the data themselves.
        data_dir: tfds data folder for "tfds:" specs (None: tfds' default,
            `$TFDS_DATA_DIR` or ~/tensorflow_datasets); ignored otherwise.

    Returns:
        The loaded `Dataset`.

    Raises:
        FileNotFoundError: if spec looks like a path and nothing is there, or
            a "tfds:" dataset is not prepared in data_dir.
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
            return _load_tfds_spec(text, data_dir)

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


def _load_tfds_spec(text: str, data_dir: str | os.PathLike | None) -> Dataset:
    """'tfds:NAME' or 'tfds:NAME:LABEL' -> `load_tfds` (imported lazily)."""
    from .tfds import load_tfds, supported_names

    parts = text.strip()[len("tfds:"):].split(":")
    name = parts[0].strip().lower()
    if len(parts) > 2 or not name:
        raise ValueError(
            f"'{text}': expected tfds:NAME or tfds:cifar100:coarse with NAME one "
            "of " + ", ".join(supported_names())
        )
    label = parts[1].strip().lower() if len(parts) == 2 else "fine"
    return load_tfds(name, data_dir=data_dir, label=label)


def _looks_like_path(text: str, spec: str | os.PathLike) -> bool:
    """True when the user clearly meant a path rather than a dataset name."""
    separators = {"/", os.sep} | ({os.altsep} if os.altsep else set())
    return (
        isinstance(spec, os.PathLike)
        or any(sep in text for sep in separators)
        or text.startswith((".", "~"))
    )
