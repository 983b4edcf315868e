"""Image classification datasets from TensorFlow Datasets (tfds), offline.

Needs the optional extra: `pip install "keras-fip[tfds]"`. Neither
`tensorflow_datasets` nor TensorFlow is imported until a function here runs,
so `keras_fip.data` stays importable without them.

Nothing is ever downloaded: every loader first checks that the dataset is
already prepared in the tfds data folder and raises `TFDSNotPreparedError`
(a `FileNotFoundError`) with instructions otherwise. This matters on
machines without internet, where a `tfds.load` that is allowed to download
spends minutes retrying before it fails.

Example:
    >>> from keras_fip.data.tfds import load_tfds, load_tfds_pipeline
    >>> ds = load_tfds("mnist", limit=1000)        # numpy arrays
    >>> ds.x_train.shape, ds.num_classes
    ((1000, 28, 28, 1), 10)
    >>> batches = load_tfds_pipeline("cifar10", batch_size=64)  # tf.data
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

from .dataset import Dataset

# name -> (image shape, {label choice: (tfds feature, number of classes)}).
SUPPORTED = {
    "mnist": ((28, 28, 1), {"fine": ("label", 10)}),
    "fashion_mnist": ((28, 28, 1), {"fine": ("label", 10)}),
    "kmnist": ((28, 28, 1), {"fine": ("label", 10)}),
    "cifar10": ((32, 32, 3), {"fine": ("label", 10)}),
    "cifar100": ((32, 32, 3), {"fine": ("label", 100), "coarse": ("coarse_label", 20)}),
}

_INSTALL_HINT = 'pip install "keras-fip[tfds]"'

# Read whole splits in chunks of this many examples (bounded TF-side memory).
_CHUNK = 10_000


class TFDSNotPreparedError(FileNotFoundError):
    """The tfds dataset is not prepared locally, and nothing may be downloaded.

    A `FileNotFoundError`: its message names the folder looked in and the
    command that prepares the dataset.

    Raises:
        Nothing: it is what the tfds loaders raise.

    Example:
        >>> try:
        ...     data = load_tfds("mnist", data_dir="/nowhere")
        ... except TFDSNotPreparedError as error:
        ...     print(error)
    """


def supported_names() -> tuple[str, ...]:
    """The dataset names the tfds loaders accept, e.g. "mnist", "cifar100"."""
    return tuple(SUPPORTED)


def prepared(name: str, data_dir: str | os.PathLike | None = None) -> bool:
    """Whether `name` is already downloaded and prepared in tfds' data folder.

    Only the local folder is looked at (no network): the dataset counts as
    prepared when its version folder, `<data_dir>/<name>/<version>/`, holds
    valid tfds metadata (`builder.is_prepared()`: dataset_info.json and
    features.json for the version this tfds release builds).

    Inside `tfds.testing.mock_data(...)` this returns True: `tfds.load` then
    serves generated examples and reads no files, so there is nothing to
    prepare. (mock_data does not fake the builder's prepared state itself.)

    Args:
        name: one of `supported_names()`.
        data_dir: tfds data folder; None means tfds' default
            (`$TFDS_DATA_DIR` or `~/tensorflow_datasets`).

    Returns:
        True if `tfds.load(name, download=False)` will find the data.

    Raises:
        ValueError: if `name` is not supported.
        ImportError: if tensorflow_datasets is not installed.

    Example:
        >>> prepared("mnist", data_dir="/tmp/empty")
        False
    """
    _check_name(name)
    tfds = _import_tfds()
    if _mock_data_active(tfds):
        return True
    return _is_prepared(_builder(tfds, name, data_dir))


def load_tfds_pipeline(
    name: str,
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int = 0,
    label: str = "fine",
    shuffle_buffer: int = 10_000,
    cache: bool | str | os.PathLike = False,
) -> Any:
    """A batched `tf.data.Dataset` of `(images, labels)` from a prepared tfds split.

    Images are float32 in [0, 1] shaped (batch, H, W, C); labels are int64.
    With `shuffle=True` examples are shuffled with `seed`: the pipeline is
    reshuffled every epoch, and the sequence of epoch orders is the same for
    every pipeline built with the same seed.

    Args:
        name: one of `supported_names()`.
        split: tfds split, e.g. "train", "test" or "train[:10%]".
        data_dir: tfds data folder; None means tfds' default.
        batch_size: examples per batch (the last batch may be smaller).
        shuffle: whether to shuffle examples.
        seed: shuffle seed.
        label: "fine" (the dataset's label) or, for cifar100 only, "coarse"
            (the 20 superclasses).
        shuffle_buffer: size of the shuffle buffer.
        cache: keep the decoded examples after the first epoch, so later epochs
            neither read nor decode the files again: `True` in memory, a path
            for a cache file (for sets larger than memory). The examples are
            cached before shuffling, so every epoch is still reshuffled, in the
            same orders as without a cache.

    Returns:
        A `tf.data.Dataset` yielding `(float32 images, int64 labels)` batches,
        prefetched.

    Raises:
        ValueError: unknown name or label, or a non-positive batch_size or
            shuffle_buffer.
        TFDSNotPreparedError: the data is not prepared locally.
        ImportError: tensorflow_datasets is not installed.

    Example:
        >>> ds = load_tfds_pipeline("fashion_mnist", batch_size=32, seed=1)
        >>> model.fit(ds, epochs=3)
    """
    label_key, _ = _label_spec(name, label)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if shuffle and shuffle_buffer < 1:
        raise ValueError(f"shuffle_buffer must be >= 1, got {shuffle_buffer}")
    if cache and cache is not True:
        folder = os.path.dirname(os.path.abspath(os.fspath(cache)))
        if not os.path.isdir(folder):
            # tf.data would say so only once iterated, in a TensorFlow NotFoundError.
            raise FileNotFoundError(f"cache: the folder {folder} does not exist; create it first")
    tfds = _import_tfds()
    import tensorflow as tf

    ds = _load_split(tfds, name, split, data_dir)

    def to_pair(example):
        image = tf.cast(example["image"], tf.float32) / 255.0
        return image, tf.cast(example[label_key], tf.int64)

    # Decoding keeps the files' order, so shuffling after it (and after the
    # cache) gives the orders shuffling the raw examples would.
    ds = ds.map(to_pair, num_parallel_calls=tf.data.AUTOTUNE)
    if cache:
        ds = ds.cache("" if cache is True else os.fspath(cache))
    if shuffle:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_tfds(
    name: str,
    data_dir: str | os.PathLike | None = None,
    label: str = "fine",
    limit: int | None = None,
) -> Dataset:
    """Load a prepared tfds dataset's train and test splits as numpy arrays.

    Args:
        name: one of `supported_names()`.
        data_dir: tfds data folder; None means tfds' default.
        label: "fine" or, for cifar100 only, "coarse" (20 superclasses).
        limit: keep at most this many examples of each split (the first ones,
            in tfds' stored order); None keeps everything.

    Returns:
        A `Dataset` named "tfds:NAME" with x float32 in [0, 1] shaped
        (N, H, W, C) and y int64.

    Raises:
        ValueError: unknown name or label, or limit < 1.
        TFDSNotPreparedError: the data is not prepared locally.
        ImportError: tensorflow_datasets is not installed.

    Example:
        >>> ds = load_tfds("cifar100", label="coarse", limit=500)
        >>> ds.input_shape, ds.num_classes
        ((32, 32, 3), 20)
    """
    label_key, num_classes = _label_spec(name, label)
    if limit is not None and (isinstance(limit, bool) or int(limit) != limit or limit < 1):
        raise ValueError(f"limit must be a positive integer or None, got {limit!r}")
    tfds = _import_tfds()

    arrays = {}
    for split in ("train", "test"):
        ds = _load_split(tfds, name, split, data_dir)
        if limit is not None:
            ds = ds.take(int(limit))
        images, labels = [], []
        for batch in tfds.as_numpy(ds.batch(_CHUNK)):
            images.append(batch["image"])
            labels.append(batch[label_key])
        shape = SUPPORTED[name][0]
        x = np.concatenate(images) if images else np.zeros((0, *shape), np.uint8)
        y = np.concatenate(labels) if labels else np.zeros((0,), np.int64)
        arrays[split] = (
            (x.astype(np.float32) / np.float32(255.0)).reshape((-1, *shape)),
            y.astype(np.int64),
        )

    (x_train, y_train), (x_test, y_test) = arrays["train"], arrays["test"]
    label_note = f" ({label} labels)" if len(SUPPORTED[name][1]) > 1 else ""
    limit_note = f", first {limit:,} per split" if limit is not None else ""
    return Dataset(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        name=f"tfds:{name}",
        num_classes=num_classes,
        description=f"TensorFlow Datasets '{name}'{label_note}",
        split=(
            f"tfds {name} train ({len(y_train):,}) / test ({len(y_test):,})"
            f"{limit_note}"
        ),
    )


# --------------------------------------------------------------------------
# helpers


def _check_name(name: str) -> None:
    if name not in SUPPORTED:
        raise ValueError(
            f"unsupported tfds dataset '{name}'; supported: "
            + ", ".join(SUPPORTED)
        )


def _label_spec(name: str, label: str) -> tuple[str, int]:
    """(tfds feature name, number of classes) for a name and label choice."""
    _check_name(name)
    choices = SUPPORTED[name][1]
    if label not in choices:
        raise ValueError(
            f"label '{label}' is not available for tfds '{name}'; use "
            + " or ".join(f"'{c}'" for c in choices)
        )
    return choices[label]


def _import_tfds():
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:
        raise ImportError(
            f"tfds datasets need tensorflow-datasets: {_INSTALL_HINT} ({err})"
        ) from None
    return tfds


def _mock_data_active(tfds) -> bool:
    """True inside `tfds.testing.mock_data(...)`.

    mock_data patches `DatasetBuilder.as_dataset` with a function defined in
    tfds' mocking module; outside it the real method is in place.
    """
    mocking = sys.modules.get("tensorflow_datasets.testing.mocking")
    if mocking is None:  # never imported, so nothing can be mocked
        return False
    as_dataset = tfds.core.DatasetBuilder.as_dataset
    return getattr(as_dataset, "__module__", None) == mocking.__name__


def _is_prepared(builder) -> bool:
    """`builder.is_prepared()`, without its log warning for a missing folder."""
    if not (builder.data_path / "dataset_info.json").exists():
        return False
    return bool(builder.is_prepared())


def _builder(tfds, name: str, data_dir):
    return tfds.builder(name, data_dir=None if data_dir is None else os.fspath(data_dir))


def _load_split(tfds, name: str, split: str, data_dir):
    """`tfds.load` one split, refusing (quickly) when the data is not there."""
    if not _mock_data_active(tfds):
        builder = _builder(tfds, name, data_dir)
        if not _is_prepared(builder):
            raise TFDSNotPreparedError(_not_prepared_message(name, builder)) from None
    return tfds.load(
        name,
        split=split,
        data_dir=None if data_dir is None else os.fspath(data_dir),
        as_supervised=False,
        download=False,
        shuffle_files=False,
    )


def _not_prepared_message(name: str, builder) -> str:
    root = str(builder.data_dir_root)
    return (
        f"tfds dataset '{name}' is not prepared: tfds looked in {builder.data_dir} "
        f"(data_dir {root}) and found no prepared data, and this machine cannot "
        "download it. To fix: on a machine with internet run\n"
        f"    python -c \"import tensorflow_datasets as tfds; "
        f"tfds.builder('{name}').download_and_prepare()\"\n"
        f"(or `tfds build {name}`), then copy its ~/tensorflow_datasets/{name} "
        f"folder into {root} here, or point data_dir at the folder "
        f"that contains {name}/."
    )
