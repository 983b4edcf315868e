"""A dataset's fingerprint: what a resumed run compares to know its data did not change.

A run that resumes must see the data it started with. The fingerprint records
where the data came from (a file's path and size, a tfds dataset's name and
version) and a hash of the loaded arrays: hashing what was loaded catches a
file rewritten with other contents, and ignores a file only touched (a new
mtime, the same data).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from .dataset import Dataset

_PARTS = ("x_train", "y_train", "x_test", "y_test")


def array_hash(data: Dataset) -> str:
    """A hex digest of the four arrays (dtype, shape and values)."""
    digest = hashlib.blake2b(digest_size=16)
    for part in _PARTS:
        array = np.ascontiguousarray(getattr(data, part))
        digest.update(f"{part}:{array.dtype.str}:{array.shape};".encode())
        digest.update(array.data)
    return digest.hexdigest()


def fingerprint(data: Dataset, spec=None, data_dir=None) -> dict:
    """The record of `data` that `changes` compares.

    Args:
        data: the loaded `Dataset`.
        spec: what it was loaded from (`load_dataset`'s spec), or None for a
            `Dataset` passed in directly.
        data_dir: the tfds data folder of a "tfds:" spec.

    Returns:
        A JSON-ready dict: `name`, `split`, `arrays` (the hash) and, for a
        file or folder, `path` and `size` (bytes); for tfds, `tfds_version`.

    Example:
        >>> from keras_fip.data import load_digits
        >>> sorted(fingerprint(load_digits(), "digits"))
        ['arrays', 'name', 'split']
    """
    record = {"name": data.name, "split": data.split, "arrays": array_hash(data)}
    text = None if spec is None else os.fspath(spec)
    if text is not None and text.lower().startswith("tfds:"):
        version = _tfds_version(data.name.removeprefix("tfds:"), data_dir)
        if version is not None:
            record["tfds_version"] = version
    elif text is not None and text.strip().lower() != "digits":
        path = Path(text).expanduser()
        if path.exists():
            record["path"] = str(path.resolve())
            record["size"] = _size(path)
    return record


def changes(saved: dict, now: dict) -> str | None:
    """What differs between two fingerprints, in words, or None when they match.

    Example:
        >>> changes({"arrays": "a", "size": 10}, {"arrays": "b", "size": 12})
        'its size went from 10 to 12 bytes and its arrays differ'
    """
    found = []
    if "path" in saved and saved.get("path") != now.get("path"):
        found.append(f"it was {saved['path']}, now {now.get('path')}")
    if "size" in saved and now.get("size") is not None and saved["size"] != now["size"]:
        found.append(f"its size went from {saved['size']} to {now['size']} bytes")
    if "tfds_version" in saved and saved["tfds_version"] != now.get("tfds_version"):
        found.append(f"tfds version {saved['tfds_version']}, now {now.get('tfds_version')}")
    if saved.get("arrays") != now.get("arrays"):
        found.append("its arrays differ")
    return " and ".join(found) if found else None


def _size(path: Path) -> int:
    """A file's size, or the total of a folder's files (an IDX folder)."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in sorted(path.rglob("*")) if p.is_file())


def _tfds_version(name: str, data_dir) -> str | None:
    try:
        from .tfds import _builder, _import_tfds

        return str(_builder(_import_tfds(), name, data_dir).info.version)
    except Exception:  # noqa: BLE001 - the array hash alone still decides
        return None
