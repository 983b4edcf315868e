"""Tests for keras_fip.data: loaders return validated numpy `Dataset`s."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from keras_fip.data import Dataset, load_dataset, load_digits, load_idx, load_npz, read_idx

REPO_ROOT = Path(__file__).resolve().parents[1]
# The real MNIST t10k set lives next to the repo on the dev box only.
MNIST_DIR = REPO_ROOT.parent / "shared" / "data" / "mnist"


# --------------------------------------------------------------------------- #
# Helpers: write tiny files the way real tools would.
# --------------------------------------------------------------------------- #

_IDX_TYPE_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B,
                   "int32": 0x0C, "float32": 0x0D, "float64": 0x0E}


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write `array` as an IDX file (magic, big-endian dims, big-endian data).

    A path ending in ".gz" is gzip-compressed, like the MNIST downloads.
    """
    array = np.asarray(array)
    header = bytes([0, 0, _IDX_TYPE_CODES[array.dtype.name], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return path


def write_idx_set(folder: Path, prefix: str, n: int, *, gz: bool,
                  num_classes: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Write `<prefix>-images-idx3-ubyte` / `<prefix>-labels-idx1-ubyte` files."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 6, 5), dtype=np.uint8)
    labels = (np.arange(n) % num_classes).astype(np.uint8)
    ext = ".gz" if gz else ""
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)
    return images, labels


def good_npz_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, size=(12, 4, 4), dtype=np.uint8),
        "y_train": np.array([0, 1, 2] * 4, dtype=np.int64),
        "x_test": rng.integers(0, 256, size=(6, 4, 4), dtype=np.uint8),
        "y_test": np.array([0, 1, 2, 3, 0, 1], dtype=np.uint8),
    }


def write_npz(path: Path, **overrides) -> Path:
    """Write a valid npz, with keys replaced by `overrides` (None drops a key)."""
    arrays = good_npz_arrays()
    arrays.update(overrides)
    np.savez(path, **{k: v for k, v in arrays.items() if v is not None})
    return path


# --------------------------------------------------------------------------- #
# Dataset
# --------------------------------------------------------------------------- #

def test_dataset_infers_num_classes_and_input_shape():
    ds = Dataset(np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1]),
                 np.zeros((2, 3), np.float32), np.array([0, 4]), name="toy")
    assert ds.num_classes == 5  # max label over train *and* test, plus one
    assert ds.input_shape == (3,)
    assert "toy" in repr(ds) and "input_shape=(3,)" in repr(ds)


def test_dataset_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="x_train has 4 samples but y_train has 3"):
        Dataset(np.zeros((4, 3)), np.zeros(3, int), np.zeros((2, 3)), np.zeros(2, int), "toy")


# --------------------------------------------------------------------------- #
# Digits
# --------------------------------------------------------------------------- #

def test_digits_shapes_dtypes_and_range():
    ds = load_digits()
    assert ds.name == "digits" and ds.num_classes == 10
    assert ds.x_train.shape == (1437, 8, 8, 1) and ds.x_test.shape == (360, 8, 8, 1)
    assert ds.input_shape == (8, 8, 1)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    assert ds.x_train.min() == 0.0 and ds.x_train.max() == 1.0
    assert ds.x_test.min() >= 0.0 and ds.x_test.max() <= 1.0
    assert "80/20" in ds.split and "seed 0" in ds.split


def test_digits_split_is_reproducible_and_depends_on_seed():
    a, b, c = load_digits(seed=3), load_digits(seed=3), load_digits(seed=4)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    assert not np.array_equal(a.y_train, c.y_train)


def test_digits_split_is_stratified():
    ds = load_digits(test_fraction=0.25, seed=1)
    train_counts = np.bincount(ds.y_train, minlength=10)
    test_counts = np.bincount(ds.y_test, minlength=10)
    # Each class keeps (almost exactly) its 75/25 share.
    expected = 0.25 * (train_counts + test_counts)
    assert np.all(np.abs(test_counts - expected) <= 1)
    assert "75/25" in ds.split


@pytest.mark.parametrize("bad", [0, 1, -0.1, 1.5])
def test_digits_rejects_bad_test_fraction(bad):
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(test_fraction=bad)


# --------------------------------------------------------------------------- #
# .npz
# --------------------------------------------------------------------------- #

def test_npz_round_trip_scales_uint8_and_adds_channel(tmp_path):
    arrays = good_npz_arrays()
    ds = load_npz(write_npz(tmp_path / "toy.npz"))
    assert ds.name == "toy"
    assert ds.x_train.shape == (12, 4, 4, 1) and ds.x_train.dtype == np.float32
    np.testing.assert_allclose(ds.x_train[..., 0], arrays["x_train"] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test, arrays["y_test"])
    assert ds.y_test.dtype == np.int64
    assert ds.num_classes == 4  # label 3 only occurs in the test split


def test_npz_keeps_float_features_and_color_images(tmp_path):
    feats = np.linspace(-1, 2, 12 * 5, dtype=np.float64).reshape(12, 5)
    ds = load_npz(write_npz(tmp_path / "f.npz", x_train=feats,
                            x_test=feats[:6].astype(np.float32)))
    assert ds.input_shape == (5,) and ds.x_train.dtype == np.float32
    np.testing.assert_allclose(ds.x_train, feats, rtol=1e-6)  # not rescaled

    rgb = np.ones((12, 4, 4, 3), np.uint8) * 255
    ds = load_npz(write_npz(tmp_path / "rgb.npz", x_train=rgb, x_test=rgb[:6],
                            y_train=np.arange(12).reshape(12, 1) % 2))
    assert ds.input_shape == (4, 4, 3) and ds.x_train.max() == 1.0
    assert ds.y_train.shape == (12,)  # (N, 1) labels are flattened


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"y_test": None}, "missing key.*y_test"),
        ({"y_train": np.zeros(11, np.int64)}, "mismatched lengths.*x_train has 12.*y_train has 11"),
        ({"x_test": np.zeros((0, 4, 4), np.uint8), "y_test": np.zeros(0, np.int64)}, "x_test is empty"),
        ({"y_train": np.array([0, -1, 2] * 4)}, "y_train has negative labels"),
        ({"x_train": np.full((12, 4, 4), np.nan, np.float32)}, "x_train has 192 NaN"),
        ({"y_test": np.array([0.5, 1, 2, 3, 0, 1])}, "y_test must be integers"),
        ({"y_test": np.eye(6, 4)}, "y_test must be 1-D.*one-hot"),
        ({"x_train": np.full((12, 4, 4), 300, np.int64)}, "outside 0..255"),
        ({"x_test": np.zeros((6, 5, 5), np.uint8)}, "x_test samples have shape"),
    ],
    ids=["missing-key", "mismatched-lengths", "empty", "negative-labels", "nan",
         "float-labels", "one-hot", "int-out-of-range", "shape-mismatch"],
)
def test_npz_bad_inputs_raise_clear_errors(tmp_path, overrides, message):
    path = write_npz(tmp_path / "bad.npz", **overrides)
    with pytest.raises(ValueError, match=message):
        load_npz(path)


def test_npz_unreadable_or_missing_file(tmp_path):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"definitely not a zip archive")
    with pytest.raises(ValueError, match="cannot read .* as a .npz archive"):
        load_npz(junk)
    with pytest.raises(FileNotFoundError, match="nothere.npz"):
        load_npz(tmp_path / "nothere.npz")


# --------------------------------------------------------------------------- #
# IDX
# --------------------------------------------------------------------------- #

@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(
    "array",
    [np.arange(60, dtype=np.uint8).reshape(3, 4, 5),
     np.array([1, -70000, 123456], dtype=np.int32),  # multi-byte: endianness matters
     np.array([[-1.5, 2.25], [3.0, 1e-3]], dtype=np.float32),
     np.array([-3, 0, 500], dtype=np.int16)],
    ids=["uint8-3d", "int32", "float32-2d", "int16"],
)
def test_read_idx_round_trip(tmp_path, array, suffix):
    got = read_idx(write_idx(tmp_path / f"a-idx{suffix}", array))
    assert got.dtype == array.dtype.newbyteorder("=") and got.shape == array.shape
    np.testing.assert_array_equal(got, array)


def test_read_idx_rejects_corrupt_files(tmp_path):
    path = write_idx(tmp_path / "x-images-idx3-ubyte", np.zeros((2, 3, 3), np.uint8))
    good = path.read_bytes()

    path.write_bytes(b"\x12\x34" + good[2:])  # wrong magic
    with pytest.raises(ValueError, match="bad magic number 0x12340803"):
        read_idx(path)
    path.write_bytes(good[:-1])  # one data byte short
    with pytest.raises(ValueError, match="17 data bytes"):
        read_idx(path)
    path.write_bytes(gzip.compress(good)[:-10])  # truncated gzip stream
    with pytest.raises(ValueError, match="corrupt gzip"):
        read_idx(path)


def test_idx_single_set_is_split_stratified_and_reproducibly(tmp_path):
    images, _ = write_idx_set(tmp_path, "t10k", 50, gz=True, num_classes=5)
    ds = load_idx(tmp_path, test_fraction=0.2, seed=0)
    assert len(ds.x_train) == 40 and len(ds.x_test) == 10
    assert ds.input_shape == (6, 5, 1) and ds.x_train.dtype == np.float32
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0
    assert ds.num_classes == 5
    np.testing.assert_array_equal(np.bincount(ds.y_test), [2] * 5)  # stratified
    assert ds.split == f"{tmp_path.name} t10k (50 images) split stratified 80/20 with seed 0"
    # Every split image is one of the originals, scaled by 1/255.
    originals = {img.tobytes() for img in images}
    assert all((np.round(x[..., 0] * 255).astype(np.uint8)).tobytes() in originals
               for x in ds.x_test)

    again, other = load_idx(tmp_path, seed=0), load_idx(tmp_path, seed=1)
    np.testing.assert_array_equal(ds.x_test, again.x_test)
    assert not np.array_equal(ds.x_test, other.x_test)


def test_idx_train_and_test_sets_are_used_as_given(tmp_path):
    train_images, train_labels = write_idx_set(tmp_path, "train", 30, gz=False, seed=1)
    test_images, test_labels = write_idx_set(tmp_path, "t10k", 10, gz=True, seed=2)
    ds = load_idx(tmp_path, seed=123)  # seed is irrelevant: nothing to split
    np.testing.assert_allclose(ds.x_train[..., 0], train_images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_train, train_labels)
    np.testing.assert_allclose(ds.x_test[..., 0], test_images / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(ds.y_test, test_labels)
    assert "train set (30 images) as train" in ds.split
    assert "t10k set (10 images) as test" in ds.split


def test_idx_raw_and_gz_copies_of_a_set_count_once(tmp_path):
    write_idx_set(tmp_path, "t10k", 20, gz=True, num_classes=2)
    write_idx_set(tmp_path, "t10k", 20, gz=False, num_classes=2)
    ds = load_idx(tmp_path)
    assert len(ds.x_train) + len(ds.x_test) == 20


def test_idx_set_too_small_to_stratify_says_why(tmp_path):
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((5, 2, 2), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([0, 0, 0, 0, 1], np.uint8))
    with pytest.raises(ValueError, match="cannot make a stratified 80/20 split of 5 samples"):
        load_idx(tmp_path)


def test_idx_folder_problems_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder.*IDX"):
        load_idx(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no IDX files"):
        load_idx(tmp_path)

    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((4, 2, 2), np.uint8))
    with pytest.raises(FileNotFoundError, match="no matching labels file"):
        load_idx(tmp_path)

    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match="mismatched lengths.*4 images.*3 labels"):
        load_idx(tmp_path)

    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"\x00\x00\x99\x01garbage")
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: not an IDX file"):
        load_idx(tmp_path)


# --------------------------------------------------------------------------- #
# load_dataset dispatcher
# --------------------------------------------------------------------------- #

def test_load_dataset_dispatches_on_the_spec(tmp_path):
    digits = load_dataset("digits", seed=5, test_fraction=0.3)
    np.testing.assert_array_equal(digits.y_test, load_digits(0.3, seed=5).y_test)

    npz = write_npz(tmp_path / "toy.npz")
    assert load_dataset(str(npz)).name == "toy"
    assert load_dataset(npz).name == "toy"  # Path objects work too

    idx_dir = tmp_path / "idx"
    idx_dir.mkdir()
    write_idx_set(idx_dir, "t10k", 40, gz=True, num_classes=4)
    ds = load_dataset(str(idx_dir), seed=2, test_fraction=0.5)
    assert len(ds.x_test) == 20 and "50/50 with seed 2" in ds.split


def test_load_dataset_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nothere\.npz.*\.npz archive"):
        load_dataset(str(tmp_path / "nothere.npz"))
    with pytest.raises(FileNotFoundError, match="nodir.*folder of IDX files"):
        load_dataset(str(tmp_path / "nodir"))
    with pytest.raises(ValueError, match=r"unknown dataset 'cifar'.*digits.*\.npz.*IDX"):
        load_dataset("cifar")
    csv = tmp_path / "data.csv"
    csv.write_text("1,2,3\n")
    with pytest.raises(ValueError, match="unsupported dataset file"):
        load_dataset(csv)


# --------------------------------------------------------------------------- #
# Real data and import hygiene
# --------------------------------------------------------------------------- #

def test_real_mnist_t10k_split():
    if not MNIST_DIR.is_dir():
        pytest.skip(f"real MNIST not available at {MNIST_DIR}")
    ds = load_dataset(str(MNIST_DIR), seed=0)
    assert (len(ds.x_train), len(ds.x_test)) == (8000, 2000)
    assert ds.input_shape == (28, 28, 1) and ds.num_classes == 10
    assert ds.x_train.dtype == np.float32 and ds.x_train.max() == 1.0
    assert ds.split == "mnist t10k (10,000 images) split stratified 80/20 with seed 0"
    # Stratified: every digit keeps its share of the 2,000 test images.
    counts = np.bincount(ds.y_test, minlength=10)
    expected = 0.2 * (counts + np.bincount(ds.y_train, minlength=10))
    assert np.all(np.abs(counts - expected) <= 1)


def test_data_package_does_not_import_tensorflow():
    # Stub the parent package: keras_fip/__init__.py may import TF, but the
    # data subpackage itself must work with numpy (+ scikit-learn) only.
    code = (
        "import sys, types\n"
        "pkg = types.ModuleType('keras_fip')\n"
        f"pkg.__path__ = [{str(REPO_ROOT / 'keras_fip')!r}]\n"
        "sys.modules['keras_fip'] = pkg\n"
        "import keras_fip.data\n"
        "assert 'sklearn' not in sys.modules, 'sklearn imported eagerly'\n"
        "keras_fip.data.load_digits()\n"
        "heavy = [m for m in ('tensorflow', 'keras', 'torch', 'jax') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
