"""TensorFlow Datasets loaders, tested offline.

The loaders are exercised through `tfds.testing.mock_data`, which makes
`tfds.load` serve generated examples (built from each dataset's feature spec)
instead of reading prepared files. The "not prepared" tests use an empty
folder as data_dir, which is exactly what a machine without the data sees.
"""

import sys
import time
from unittest import mock

import numpy as np
import pytest

tfds = pytest.importorskip("tensorflow_datasets")

from keras_fip.data import (  # noqa: E402
    TFDSNotPreparedError,
    load_dataset,
    load_tfds,
    load_tfds_pipeline,
    tfds_prepared,
)
from keras_fip.data.tfds import supported_names  # noqa: E402

N = 20  # fake examples per split

# (name, label, image shape, classes)
CASES = [
    ("mnist", "fine", (28, 28, 1), 10),
    ("fashion_mnist", "fine", (28, 28, 1), 10),
    ("kmnist", "fine", (28, 28, 1), 10),
    ("cifar10", "fine", (32, 32, 3), 10),
    ("cifar100", "fine", (32, 32, 3), 100),
    ("cifar100", "coarse", (32, 32, 3), 20),
]
IDS = [f"{name}-{label}" for name, label, _, _ in CASES]


@pytest.fixture
def mock_tfds():
    """tfds.load yields N generated examples per split; nothing is read from disk."""
    with tfds.testing.mock_data(num_examples=N):
        yield


def first_batch(ds):
    images, labels = next(iter(ds))
    return images.numpy(), labels.numpy()


# --- tf.data pipeline --------------------------------------------------------


@pytest.mark.parametrize("name,label,shape,classes", CASES, ids=IDS)
def test_pipeline_yields_normalised_batches(mock_tfds, name, label, shape, classes):
    ds = load_tfds_pipeline(name, split="train", batch_size=8, label=label)

    batches = [(x.numpy(), y.numpy()) for x, y in ds]
    assert [len(y) for _, y in batches] == [8, 8, 4]  # 20 examples, last batch short
    for x, y in batches:
        assert x.shape == (len(y), *shape) and x.dtype == np.float32
        assert y.dtype == np.int64
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert 0 <= y.min() and y.max() < classes
    x_all = np.concatenate([x for x, _ in batches])
    assert x_all.max() > 0.5  # scaled from 0..255, not e.g. left at 0..1/255


def test_pipeline_is_deterministic_under_a_seed(mock_tfds):
    def images(seed):
        return first_batch(load_tfds_pipeline("mnist", batch_size=N, seed=seed))[0]

    np.testing.assert_array_equal(images(seed=3), images(seed=3))
    assert not np.array_equal(images(seed=3), images(seed=4))


def test_pipeline_reshuffles_each_epoch_reproducibly(mock_tfds):
    def two_epochs(seed):
        ds = load_tfds_pipeline("kmnist", batch_size=N, seed=seed)
        return [first_batch(ds)[0] for _ in range(2)]

    run_a, run_b = two_epochs(seed=0), two_epochs(seed=0)
    assert not np.array_equal(run_a[0], run_a[1])  # new order every epoch
    for epoch_a, epoch_b in zip(run_a, run_b):  # ...the same sequence each run
        np.testing.assert_array_equal(epoch_a, epoch_b)


@pytest.mark.parametrize("cache", [True, "file"])
def test_a_cached_pipeline_gives_the_same_epochs_and_reads_the_files_once(mock_tfds, tmp_path,
                                                                          cache):
    def two_epochs(**kwargs):
        ds = load_tfds_pipeline("mnist", batch_size=N, seed=0, **kwargs)
        return [np.concatenate([x for x, _ in ds.as_numpy_iterator()]) for _ in range(2)]

    path = tmp_path / "mnist_cache"
    cached = two_epochs(cache=True if cache is True else path)
    for epoch_cached, epoch_plain in zip(cached, two_epochs()):
        np.testing.assert_array_equal(epoch_cached, epoch_plain)  # reshuffled as without
    if cache == "file":
        assert list(tmp_path.glob("mnist_cache*"))  # written on the first epoch


def test_a_cache_file_in_a_missing_folder_is_refused_before_reading(mock_tfds, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_tfds_pipeline("mnist", cache=tmp_path / "nowhere" / "mnist_cache")


def test_pipeline_without_shuffle_keeps_tfds_order(mock_tfds):
    unshuffled = first_batch(load_tfds_pipeline("mnist", batch_size=N, shuffle=False))
    shuffled = first_batch(load_tfds_pipeline("mnist", batch_size=N, seed=0))
    plain = load_tfds("mnist")  # stored order

    np.testing.assert_array_equal(unshuffled[0], plain.x_train)
    np.testing.assert_array_equal(unshuffled[1], plain.y_train)
    assert not np.array_equal(shuffled[0], unshuffled[0])
    # Shuffling permutes the examples; it does not change them.
    np.testing.assert_array_equal(np.sort(shuffled[1]), np.sort(unshuffled[1]))


# --- whole splits as numpy ---------------------------------------------------


@pytest.mark.parametrize("name,label,shape,classes", CASES, ids=IDS)
def test_load_tfds_returns_numpy_dataset(mock_tfds, name, label, shape, classes):
    ds = load_tfds(name, label=label)

    assert ds.name == f"tfds:{name}"
    assert ds.input_shape == shape and ds.num_classes == classes
    assert ds.x_train.shape == (N, *shape) and ds.x_test.shape == (N, *shape)
    for x, y in [(ds.x_train, ds.y_train), (ds.x_test, ds.y_test)]:
        assert isinstance(x, np.ndarray) and x.dtype == np.float32
        assert y.dtype == np.int64
        assert 0.0 <= x.min() and x.max() <= 1.0
        assert 0 <= y.min() and y.max() < classes
    assert ds.split == f"tfds {name} train ({N}) / test ({N})"


def test_cifar100_fine_and_coarse_use_different_label_features(mock_tfds):
    fine, coarse = load_tfds("cifar100"), load_tfds("cifar100", label="coarse")

    np.testing.assert_array_equal(fine.x_train, coarse.x_train)
    assert fine.y_train.max() >= 20  # 100 fine classes, not the 20 superclasses
    assert not np.array_equal(fine.y_train, coarse.y_train)


def test_load_tfds_limit_keeps_the_first_examples(mock_tfds):
    full, small = load_tfds("fashion_mnist"), load_tfds("fashion_mnist", limit=5)

    assert len(small.y_train) == len(small.y_test) == 5
    np.testing.assert_array_equal(small.x_train, full.x_train[:5])
    assert small.split.startswith("tfds fashion_mnist train (5) / test (5)")


def test_load_dataset_dispatches_tfds_specs(mock_tfds):
    mnist = load_dataset("tfds:mnist")
    coarse = load_dataset("tfds:cifar100:coarse", seed=1)

    assert (mnist.name, mnist.input_shape, mnist.num_classes) == ("tfds:mnist", (28, 28, 1), 10)
    assert (coarse.name, coarse.input_shape, coarse.num_classes) == ("tfds:cifar100", (32, 32, 3), 20)


def test_mocked_tfds_counts_as_prepared(mock_tfds, tmp_path):
    # mock_data serves generated data without any files, so nothing is missing.
    assert tfds_prepared("mnist", data_dir=tmp_path)


# --- real prepared data -----------------------------------------------------


@pytest.fixture(scope="module")
def prepared_mnist_dir(tmp_path_factory):
    """A data_dir holding a real (tiny) prepared mnist: 30 train, 12 test images.

    Made by tfds' own `download_and_prepare` from fake IDX files, the download
    replaced by local paths; this is the folder layout a user copies over.
    """
    from tensorflow_datasets.image_classification import mnist as tfds_mnist

    src = tmp_path_factory.mktemp("idx")
    rng = np.random.default_rng(0)
    files = {}
    for key, header, array in [
        ("train_data", 16, rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)),
        ("train_labels", 8, rng.integers(0, 10, 30, dtype=np.uint8)),
        ("test_data", 16, rng.integers(0, 256, (12, 28, 28), dtype=np.uint8)),
        ("test_labels", 8, rng.integers(0, 10, 12, dtype=np.uint8)),
    ]:
        files[key] = str(src / key)
        (src / key).write_bytes(bytes(header) + array.tobytes())  # header is skipped

    data_dir = tmp_path_factory.mktemp("tensorflow_datasets")
    with mock.patch.object(tfds_mnist, "_TRAIN_EXAMPLES", 30), mock.patch.object(
        tfds_mnist, "_TEST_EXAMPLES", 12
    ), mock.patch.object(
        tfds.download.DownloadManager, "download_and_extract", lambda self, urls: files
    ):
        tfds.builder("mnist", data_dir=str(data_dir)).download_and_prepare(
            download_config=tfds.download.DownloadConfig(try_download_gcs=False)
        )
    return data_dir


def test_prepared_data_in_data_dir_is_found_and_read(prepared_mnist_dir):
    assert tfds_prepared("mnist", data_dir=prepared_mnist_dir)
    assert not tfds_prepared("kmnist", data_dir=prepared_mnist_dir)

    ds = load_dataset("tfds:mnist", data_dir=prepared_mnist_dir)
    assert ds.split == "tfds mnist train (30) / test (12)"
    assert ds.x_train.shape == (30, 28, 28, 1) and ds.x_train.dtype == np.float32
    assert ds.x_train.max() == 1.0 and ds.y_test.dtype == np.int64

    batches = load_tfds_pipeline("mnist", data_dir=prepared_mnist_dir, batch_size=16)
    assert [len(y) for _, y in batches] == [16, 14]


# --- data not prepared (this machine cannot download) ------------------------


def test_not_prepared_in_an_empty_folder(tmp_path):
    assert not tfds_prepared("mnist", data_dir=tmp_path)
    assert not tfds_prepared("cifar100", data_dir=tmp_path)


@pytest.mark.parametrize(
    "load",
    [
        lambda d: load_tfds("mnist", data_dir=d),
        lambda d: load_tfds_pipeline("mnist", data_dir=d),
        lambda d: load_dataset("tfds:mnist", data_dir=d),
    ],
    ids=["load_tfds", "load_tfds_pipeline", "load_dataset"],
)
def test_missing_data_fails_fast_with_instructions(tmp_path, monkeypatch, load):
    # tfds.load must not even be reached (it is where a download would start).
    def no_load(*args, **kwargs):
        raise AssertionError("tfds.load called although the data is not prepared")

    monkeypatch.setattr(tfds, "load", no_load)
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError) as info:
        load(tmp_path)
    assert time.perf_counter() - start < 10

    assert isinstance(info.value, TFDSNotPreparedError)
    message = str(info.value)
    assert "'mnist'" in message and str(tmp_path) in message
    assert "cannot download" in message
    assert "tfds.builder('mnist').download_and_prepare()" in message
    assert "tfds build mnist" in message and "data_dir" in message


# --- bad arguments -----------------------------------------------------------


def test_unknown_name_lists_supported_names(tmp_path):
    assert supported_names() == ("mnist", "fashion_mnist", "kmnist", "cifar10", "cifar100")
    for load in (
        lambda: load_tfds("imagenet2012", data_dir=tmp_path),
        lambda: load_tfds_pipeline("svhn", data_dir=tmp_path),
        lambda: tfds_prepared("emnist", data_dir=tmp_path),
        lambda: load_dataset("tfds:imagenet2012", data_dir=tmp_path),
    ):
        with pytest.raises(ValueError, match="supported: mnist, fashion_mnist, kmnist, cifar10, cifar100"):
            load()


def test_coarse_labels_only_exist_for_cifar100(tmp_path):
    with pytest.raises(ValueError, match="label 'coarse' is not available for tfds 'mnist'"):
        load_tfds("mnist", label="coarse", data_dir=tmp_path)
    with pytest.raises(ValueError, match="'fine' or 'coarse'"):
        load_dataset("tfds:cifar100:medium", data_dir=tmp_path)


def test_without_tensorflow_datasets_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # import fails
    with pytest.raises(ImportError, match=r'pip install "keras-fip\[tfds\]"'):
        load_tfds("mnist")


@pytest.mark.parametrize("spec", ["mnist", "fashion_mnist", "kmnist", "cifar10", "cifar100", "cifar100:coarse"])
def test_every_name_gets_a_clear_message_offline(tmp_path, monkeypatch, spec):
    monkeypatch.setattr(tfds, "load", lambda *a, **k: pytest.fail("tfds.load reached"))
    name = spec.split(":")[0]
    start = time.perf_counter()
    with pytest.raises(TFDSNotPreparedError, match=f"'{name}' is not prepared"):
        load_dataset(f"tfds:{spec}", data_dir=tmp_path)
    assert time.perf_counter() - start < 10
