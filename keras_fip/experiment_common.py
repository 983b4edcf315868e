"""What the three experiments share: their data, their network's options, their console.

`keras_fip.continual.experiment`, `keras_fip.sparsity.experiment` and
`keras_fip.robustness.experiment` load a dataset from a spec (or take a
`Dataset`), build a network from a name and a few options, and print progress
lines only when asked. Error messages name the `keras-fip` option, since the
command passes its options through unchanged.
"""

import os


def load_data(dataset, seed=0, data_dir=None):
    """The `Dataset` that `dataset` names, or `dataset` itself.

    Args:
        dataset: a spec of `keras_fip.data.load_dataset` ("digits", a .npz file,
            a folder of IDX files, "tfds:NAME") or a `keras_fip.data.Dataset`.
        seed: seed of loaders that split the data themselves.
        data_dir: tensorflow-datasets data folder for "tfds:" specs.

    Returns:
        `(data, name)`: the `Dataset`, and how a report names it (the spec as
        given, or the `Dataset`'s name).
    """
    from keras_fip.data import Dataset, load_dataset

    if isinstance(dataset, Dataset):
        return dataset, dataset.name
    return load_dataset(dataset, seed=seed, data_dir=data_dir), os.fspath(dataset)


def check_labels(data, option="--dataset"):
    """Raises ValueError when test labels lie beyond every training label.

    The loaders size the output layer by the largest label of either split, so a
    test set labelled 10..19 beside training labels 0..9 would train a 20-way
    network that can never be right on the test set.
    """
    top = int(data.y_train.max())
    beyond = data.y_test > top
    if beyond.any():
        raise ValueError(
            f"{option} {data.name}: {int(beyond.sum())} test labels lie beyond the training "
            f"labels (train 0..{top}, test up to {int(data.y_test.max())}); no network "
            "trained on these data can predict them"
        )


def model_options(kind, hidden=None, cnn_filters=None, cnn_dense=None):
    """Keyword arguments of `keras_fip.models.get(kind)` from an experiment's settings.

    Args:
        kind: the architecture's name.
        hidden: hidden widths, used by "mlp" (None: the builder's default).
        cnn_filters: filters of each conv block, used by "reference_cnn".
        cnn_dense: hidden Dense widths, used by "reference_cnn".

    Returns:
        A dict such as `{"hidden": [256, 256]}`; empty when nothing applies.

    Example:
        >>> model_options("reference_cnn", hidden=[64], cnn_filters=(16, 32))
        {'filters': [16, 32]}
    """
    options = {}
    if kind == "mlp" and hidden is not None:
        options["hidden"] = [int(h) for h in hidden]
    if kind == "reference_cnn":
        if cnn_filters:
            options["filters"] = [int(v) for v in cnn_filters]
        if cnn_dense:
            options["dense"] = [int(v) for v in cnn_dense]
    return options


def printer(progress):
    """`print` with flush when `progress` is true, else a function that prints nothing."""
    if not progress:
        return lambda *args, **kwargs: None
    return lambda *args, **kwargs: print(*args, **kwargs, flush=True)
