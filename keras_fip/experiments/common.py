"""What the three experiments share: their data, their network's options, their console.

`keras_fip.continual.experiment`, `keras_fip.sparsity.experiment` and
`keras_fip.robustness.experiment` load a dataset from a spec (or take a
`Dataset`), build a network from a name and a few options, and print progress
lines only when asked. Error messages name the Config's argument (one-word names
in backquotes), which the command turns into its option.
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


def check_labels(data, option="`dataset`"):
    """Raises ValueError when the labels cannot be class ids 0..K-1 of one network.

    The loaders size the output layer by the largest label of either split, so
    test labels beyond every training label (10..19 beside 0..9, or an IDX file
    holding 255) would train a network that can never be right on them, and
    labels numbered from 1 would train an output no sample ever asks for.
    """
    import numpy as np

    top = int(data.y_train.max())
    beyond = data.y_test > top
    if beyond.any():
        raise ValueError(
            f"{option} {data.name}: {int(beyond.sum())} test labels lie beyond the training "
            f"labels (train 0..{top}, test up to {int(data.y_test.max())}); no network "
            "trained on these data can predict them"
        )
    absent = np.setdiff1d(np.arange(top + 1), data.y_train)
    if absent.size:
        low = int(data.y_train.min())
        fix = (f"number the classes from 0 (subtract {low} from every label)"
               if absent.size == low and low > 0 else "number the classes 0..K-1 with none left out")
        shown = ", ".join(map(str, absent[:5])) + (f" and {absent.size - 5} more"
                                                   if absent.size > 5 else "")
        raise ValueError(
            f"{option} {data.name}: no training sample has label {shown} (the labels run "
            f"{low}..{top}), so the network's {top + 1} outputs would include classes it "
            f"never sees; {fix}"
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
