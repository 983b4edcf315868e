"""MNIST-style IDX files: a numpy parser and a folder loader.

IDX layout (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
`0x00 0x00 <type code> <number of dims>`, then one big-endian uint32 per
dimension, then the data in C order, big-endian. Files may be gzipped.
"""

from __future__ import annotations

import gzip
import math
import os
import re
import zlib
from pathlib import Path

import numpy as np

from .arrays import as_inputs, as_labels
from .dataset import Dataset, count_classes
from .splits import describe_fraction, stratified_split

# Type code (third magic byte) -> big-endian numpy dtype.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

# e.g. "t10k-images-idx3-ubyte.gz", "train-labels.idx1-ubyte" (Kaggle uses a
# dot), "emnist-digits-train-images-idx3-ubyte": prefix names the set.
_IDX_NAME = re.compile(
    r"^(?P<prefix>.*?)(?P<kind>images|labels)[-.]idx\d-ubyte(?P<gz>\.gz)?$"
)

_EXPECTED_FILES = (
    "train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] and/or "
    "t10k-images-idx3-ubyte[.gz] + t10k-labels-idx1-ubyte[.gz]"
)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Parse one IDX file (raw or gzip-compressed) into a numpy array.

    Gzip is detected from the file's first bytes, not its name, so a
    misnamed file still loads.

    Args:
        path: path to the IDX file.

    Returns:
        Array with the dtype and shape given by the header, in native byte
        order (e.g. uint8 of shape (10000, 28, 28) for MNIST t10k images).

    Raises:
        FileNotFoundError: if the file does not exist.
        ValueError: if the gzip stream is corrupt, the magic number is not an
            IDX one, or the data size disagrees with the header.

    Example:
        >>> read_idx("mnist/t10k-labels-idx1-ubyte.gz").shape
        (10000,)
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{path.name}: corrupt gzip data ({err})") from err

    if len(raw) < 4:
        raise ValueError(f"{path.name}: too short for an IDX header ({len(raw)} bytes)")
    code, ndim = raw[2], raw[3]
    if raw[:2] != b"\x00\x00" or code not in IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{path.name}: not an IDX file (bad magic number 0x{raw[:4].hex()}; "
            "expected 0x0000TTNN with type code TT in "
            f"{{{', '.join(f'{c:02x}' for c in IDX_DTYPES)}}} and NN >= 1 dims)"
        )

    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise ValueError(f"{path.name}: truncated IDX header ({ndim} dims declared)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    count = math.prod(shape)
    expected, actual = count * dtype.itemsize, len(raw) - header_len
    if actual != expected:
        raise ValueError(
            f"{path.name}: header says shape {shape} ({expected:,} data bytes) "
            f"but the file holds {actual:,} data bytes"
        )
    data = np.frombuffer(raw, dtype, count=count, offset=header_len)
    # astype copies into native byte order, which also makes it writable.
    return data.reshape(shape).astype(dtype.newbyteorder("="))


def find_idx_sets(folder: str | os.PathLike) -> dict[str, dict[str, Path]]:
    """Group the IDX files of a folder into named image/label sets.

    Args:
        folder: directory to scan (not recursive).

    Returns:
        {set name: {"images": path, "labels": path}}, e.g.
        {"t10k": {"images": .../t10k-images-idx3-ubyte.gz, "labels": ...}}.
        When a file exists both raw and gzipped, the raw one is used.

    Raises:
        FileNotFoundError: if no IDX files are found, or a set lacks its
            images or labels file.

    Example:
        >>> sorted(find_idx_sets("mnist"))
        ['t10k']
    """
    folder = Path(folder)
    sets: dict[str, dict[str, Path]] = {}
    for entry in sorted(folder.iterdir()):
        match = _IDX_NAME.match(entry.name)
        if not match or not entry.is_file():
            continue
        name = match["prefix"].rstrip("-._") or "idx"
        # sorted() visits "x" before "x.gz", so setdefault keeps the raw file
        # when both exist (same content, no decompression needed).
        sets.setdefault(name, {}).setdefault(match["kind"], entry)

    if not sets:
        raise FileNotFoundError(
            f"no IDX files in '{folder}'; expected {_EXPECTED_FILES}"
        )
    for name, files in sets.items():
        for kind in ("images", "labels"):
            if kind not in files:
                other = "labels" if kind == "images" else "images"
                raise FileNotFoundError(
                    f"'{folder}' has {files[other].name} but no matching "
                    f"{kind} file ({name}-{kind}-idx{3 if kind == 'images' else 1}"
                    "-ubyte[.gz])"
                )
    return sets


def load_idx(
    folder: str | os.PathLike, test_fraction: float = 0.2, seed: int = 0
) -> Dataset:
    """Load a folder of MNIST-style IDX files (MNIST, Fashion-MNIST, ...).

    If the folder holds a train set and a test ("t10k"/"test") set, they are
    used as given. If it holds a single set (e.g. only MNIST's t10k files),
    that set is split into train/test with a stratified, seeded split.

    Args:
        folder: directory with `<set>-images-idx3-ubyte[.gz]` and
            `<set>-labels-idx1-ubyte[.gz]` files.
        test_fraction: share held out for testing when a single set is split.
        seed: seed of that split; ignored when train and test sets exist.

    Returns:
        A `Dataset` named after the folder, with x of shape (N, H, W, 1)
        float32 in [0, 1] (pixels / 255) and int64 labels; `split` says how
        train/test were made.

    Raises:
        FileNotFoundError: if the folder or needed files are missing.
        NotADirectoryError: if `folder` is a file.
        ValueError: on corrupt files, images that are not uint8 (N, H, W),
            image/label count mismatch, or an ambiguous mix of sets.

    Example:
        >>> ds = load_idx("../shared/data/mnist", seed=0)
        >>> len(ds.x_train), len(ds.x_test), ds.split
        (8000, 2000, 'mnist t10k (10,000 images) split stratified 80/20 with seed 0')
    """
    folder = Path(folder).expanduser()
    if not folder.exists():
        raise FileNotFoundError(
            f"no such folder: '{folder}' (expected a folder of IDX files: "
            f"{_EXPECTED_FILES})"
        )
    if not folder.is_dir():
        raise NotADirectoryError(f"'{folder}' is not a folder of IDX files")
    sets = find_idx_sets(folder)
    name = folder.name or "idx"

    if len(sets) == 1:
        (set_name, files), = sets.items()
        x, y = _load_set(files, set_name)
        x_train, x_test, y_train, y_test = stratified_split(x, y, test_fraction, seed)
        split = (
            f"{name} {set_name} ({len(y):,} images) split stratified "
            f"{describe_fraction(test_fraction)} with seed {seed}"
        )
    else:
        train_name, test_name = _pick_train_test(sets, folder)
        x_train, y_train = _load_set(sets[train_name], train_name)
        x_test, y_test = _load_set(sets[test_name], test_name)
        if x_train.shape[1:] != x_test.shape[1:]:
            raise ValueError(
                f"{train_name} images are {x_train.shape[1:3]} but "
                f"{test_name} images are {x_test.shape[1:3]}"
            )
        split = (
            f"{name} {train_name} set ({len(y_train):,} images) as train, "
            f"{test_name} set ({len(y_test):,} images) as test"
        )

    height, width = x_train.shape[1:3]
    return Dataset(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        name=name,
        num_classes=count_classes(y_train, y_test),
        description=f"{height}x{width} grayscale IDX images from '{folder}', pixels / 255",
        split=split,
    )


def _pick_train_test(sets: dict[str, dict[str, Path]], folder: Path) -> tuple[str, str]:
    """Choose which of several sets is train and which is test."""
    train = [n for n in sets if "train" in n]
    test = [n for n in sets if "t10k" in n or "test" in n]
    if len(train) != 1 or len(test) != 1 or len(sets) != 2:
        raise ValueError(
            f"cannot tell train from test among the IDX sets in '{folder}': "
            f"{', '.join(sorted(sets))}; expected one 'train' set and one "
            "'t10k'/'test' set, or a single set to split"
        )
    return train[0], test[0]


def _load_set(files: dict[str, Path], set_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one image/label pair as (float32 (N, H, W, 1), int64 (N,))."""
    images = read_idx(files["images"])
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(
            f"{files['images'].name}: expected uint8 images of shape (N, H, W), "
            f"got {images.dtype} {images.shape}"
        )
    x = as_inputs(images, f"{set_name} images")
    y = as_labels(read_idx(files["labels"]), f"{set_name} labels")
    if len(x) != len(y):
        raise ValueError(
            f"mismatched lengths in set {set_name}: {files['images'].name} has "
            f"{len(x):,} images but {files['labels'].name} has {len(y):,} labels"
        )
    return x, y
