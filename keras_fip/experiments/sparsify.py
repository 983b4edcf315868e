"""The sparsification experiment: FIP beside magnitude and tfmot pruning, one report.

`run(SparsifyConfig(...))` is what `keras-fip sparsify` runs and what
`benchmarks/sparsity.py` runs once per network and seed: start from a trained
network (a file, a `keras.Model`, or one trained here), sparsify it to each
target with each method of `keras_fip.sparsity.registry.METHODS` on the same
step budget, measure test accuracy and sparsity, optionally export the FIP
models, and return the report's payload.

Example:
    >>> from keras_fip.experiments.sparsify import SparsifyConfig, format_table, run
    >>> report = run(SparsifyConfig(epochs=2, sparsity=[0.9], steps=100))
    >>> print(format_table(report))  # doctest: +SKIP
    method         target  sparsity  accuracy  path
    fip              0.90    0.9000    0.9583  210 steps, gap 0.0081, reached
    ...
"""

import dataclasses
import os
import sys
import warnings

from keras_fip.engine import backend
from keras_fip.experiments import common as experiment_common
from keras_fip.sparsity.registry import DEFAULT_METHODS, METHODS, label as _label

METHOD_NAMES = METHODS.names()
#: The methods that walk a FIP (their rows carry what the path kept at arrival).
FIP_METHODS = tuple(n for n in METHOD_NAMES if METHODS.get(n).walks_path)
#: The methods that train on labels even in label-free mode (named "<method> (labels)").
LABELLED_METHODS = tuple(n for n in METHOD_NAMES if not METHODS.get(n).label_free)
#: The method whose networks `export` writes (one folder per target).
EXPORTED_METHOD = "fip"
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


@dataclasses.dataclass
class SparsifyConfig:
    """Everything one sparsification experiment reads; `run` takes it.

    Args:
        dataset: "digits", a .npz file, a folder of IDX files, "tfds:NAME", or a
            `keras_fip.data.Dataset`.
        data_dir: tensorflow-datasets data folder for "tfds:" datasets.
        model: the trained network to start from: a `.keras` (or legacy `.h5`)
            file or a `keras.Model` (not modified). None trains `architecture`.
        architecture: the network trained when `model` is None.
        hidden, cnn_filters, cnn_dense: options of that network ("mlp" widths;
            "reference_cnn" conv filters and Dense widths); None: its defaults.
        epochs: epochs of dense training when `model` is None.
        sparsity: target fractions of zero weights, each in [0, 1).
        methods: names among `METHOD_NAMES` (the registry's).
        steps: the step budget of every method (see `keras_fip.sparsity.prune`).
        batch_size: training batch of every method.
        export: a folder to export each `EXPORTED_METHOD` ("fip") network to (a
            subfolder per target with model.keras, saved_model/ and
            model.tflite), or None.
        int8: also export int8 TFLite (needs `export`).
        overwrite: replace existing export folders.
        scope: the weights every method counts and prunes (tfmot, which prunes
            kernels only, is given kernel targets that leave as many nonzero
            weights over `scope`); "kernels_and_biases" is every parameter the
            FIP path moves in these networks (BatchNorm is frozen along it).
        min_density: the least fraction of each layer's weights kept, for
            every method (0: none).
        hyperparameters: `{method: {setting: value}}` over each method's
            registry `defaults`.
        path_validation: `(x, y)` whose accuracy the FIP paths record after
            each of their epochs and at arrival (`kept`); not the test split,
            which is touched once, at the end. None carves it from the
            training data (below).
        validation_fraction: without `path_validation`, this fraction of each
            class of the training data is held out as the validation split
            (every method then trains on the rest, the dense network too);
            0 holds nothing out, and the FIP rows then report what the path
            kept as the output distance only.
        label_free: train every method that can without labels (see
            `keras_fip.sparsity.prune`); the methods that need labels
            (`LABELLED_METHODS`) still use them and are named
            "<method> (labels)" in the report. Test accuracy is measured on
            labelled test data as always.
        seed: seed of the data split, the dense training and every method.
        verbose: passed to Keras' `fit`; 2 also shows the TFLite converter's logs.
        progress: print the dense accuracy and a progress bar over the runs.

    Returns:
        A dataclass; `check()` validates it (`run` calls it).

    Raises:
        TypeError: an unknown field (a dataclass).

    Example:
        >>> config = SparsifyConfig(sparsity=(0.9,), methods=("fip", "gmp"), steps=500)
    """

    dataset: object = "digits"
    data_dir: str = None
    model: object = None
    architecture: str = "lenet_300_100"
    hidden: object = None
    cnn_filters: object = None
    cnn_dense: object = None
    epochs: int = 20
    sparsity: tuple = (0.9, 0.95)
    methods: tuple = DEFAULT_METHODS
    steps: int = 1000
    batch_size: int = 200
    export: str = None
    int8: bool = False
    overwrite: bool = False
    scope: str = "kernels_and_biases"
    min_density: float = 0.0
    hyperparameters: dict = None
    path_validation: tuple = None
    validation_fraction: float = 0.1
    label_free: bool = False
    seed: int = 0
    verbose: int = 0
    progress: bool = True

    def check(self):
        """Refuses a bad config before anything trains; normalises `sparsity` and `methods`.

        Returns:
            The config (targets as a list of floats, methods as a list).

        Raises:
            ValueError: a target outside [0, 1) or given twice, a `min_density`
                keeping more than the highest target leaves, no or unknown
                methods, `int8` without `export`, an export folder that is not
                empty (without `overwrite`), a model path that is no model
                file, or a method or export that needs TensorFlow elsewhere.
            FileNotFoundError: no file at `model`.

        Example:
            >>> SparsifyConfig(sparsity=(0.9, 0.9)).check()  # ValueError: 0.9 given twice
        """
        from keras_fip.sparsity.objective import check_min_density

        self.sparsity = [_target(s) for s in self.sparsity]
        self.min_density = check_min_density(self.min_density)
        targets = self.sparsity
        # Both would fail only after the dense network trained (the duplicate at its export).
        repeated = sorted({t for t in targets if targets.count(t) > 1})
        if repeated:
            raise ValueError(f"`sparsity`: {', '.join(f'{t:g}' for t in repeated)} given more "
                             "than once; each target is one run and one exported folder")
        if targets and self.min_density > 1.0 - max(targets) + 1e-9:
            raise ValueError(f"min_density {self.min_density:g} keeps more of each layer than "
                             f"`sparsity` {max(targets):g} leaves ({1.0 - max(targets):g}); "
                             "lower one of them")
        self.methods = list(self.methods)
        unknown = [m for m in self.methods if m not in METHODS]
        if not self.methods:
            raise ValueError(f"`methods`: give at least one of {', '.join(METHOD_NAMES)}")
        if unknown:
            raise ValueError(f"`methods`: unknown methods {unknown}; choose from "
                             f"{', '.join(METHOD_NAMES)}")
        if isinstance(self.model, (str, os.PathLike)):
            _model_file(os.fspath(self.model))
        if self.int8 and not self.export:
            raise ValueError("`int8` adds an 8-bit TFLite file to the exported files; "
                             "give `export` too")
        if self.export:
            _check_export_folder(self.export, self.overwrite)
        # Refused here, before anything trains: tfmot and the export need TensorFlow.
        for method in self.methods:
            needs = METHODS.get(method).needs_tensorflow
            if needs:
                backend.require_tensorflow(f"`methods` {method} ({needs})")
        if self.export:
            backend.require_tensorflow("`export` (tfmot, SavedModel, TFLite)")
        return self

    def method_settings(self):
        """`{method: settings}`: each method's registry defaults, updated by `hyperparameters`."""
        given = self.hyperparameters or {}
        return {m: dict(METHODS.get(m).defaults, **given.get(m, {})) for m in METHOD_NAMES}


def run(config):
    """Sparsifies one network to each target with each method; returns the report's payload.

    Args:
        config: a `SparsifyConfig` (checked first, before anything trains).

    Returns:
        The payload of `report.json` (everything but the header): `config`,
        `dense_accuracy`, `results` (one dict per method and target: accuracy,
        measured sparsity, path and fine-tuning steps, seconds) and `exports`
        (per target, what `export_sparse` reported).

    Raises:
        ValueError: a target outside [0, 1), unknown methods, an export folder
            that is not empty (without `overwrite`), a model file that is not a
            readable single network or does not fit the data, or bad data.
        FileNotFoundError: no file at `model`.

    Example:
        >>> payload = run(SparsifyConfig(epochs=2, sparsity=[0.9], steps=100))
        >>> payload["results"][0]["accuracy"]
    """
    config.check()
    say = experiment_common.printer(config.progress)
    data, dataset_name = experiment_common.load_data(config.dataset, seed=config.seed,
                                                     data_dir=config.data_dir)
    experiment_common.check_labels(data, "`dataset`")
    x, y, path_validation, held_out = _training_split(config, data)
    options = experiment_common.model_options(config.architecture, config.hidden,
                                              config.cnn_filters, config.cnn_dense)
    network, model_name = _starting_network(config, data, x, y, held_out, options, say)
    dense_accuracy = _test_accuracy(network, data)
    say(f"dense test accuracy {dense_accuracy:.4f}; step budget {config.steps} at batch "
        f"{config.batch_size}")
    settings = config.method_settings()
    results, exports = _run_methods(config, network, data, x, y, path_validation, settings, say)
    record = {
        "dataset": dataset_name, "dataset_split": data.split or data.description,
        "model": model_name, "steps": config.steps, "batch_size": config.batch_size,
        "seed": config.seed, "targets": config.sparsity, "methods": config.methods,
        "scope": config.scope, "min_density": config.min_density,
        "label_free": bool(config.label_free),
        "validation": _validation_text(config, held_out, len(y), path_validation),
        "hyperparameters": {m: settings[m] for m in config.methods},
    }
    if options and config.model is None:
        record["model_options"] = options
    return {"config": record, "dense_accuracy": dense_accuracy, "results": results,
            "exports": exports}


def run_sparsify_experiment(**kwargs):
    """Deprecated: `run(SparsifyConfig(**kwargs))` (this name goes in the next release).

    Args:
        **kwargs: the fields of `SparsifyConfig`.

    Returns:
        What `run` returns.

    Raises:
        ValueError: as `run`; TypeError: an unknown keyword.

    Example:
        >>> run_sparsify_experiment(epochs=2, sparsity=[0.9], steps=100)  # run(SparsifyConfig(...))
    """
    warnings.warn("run_sparsify_experiment(**kwargs) is now keras_fip.experiments.sparsify."
                  "run(SparsifyConfig(**kwargs)); the old name goes in the next release.",
                  DeprecationWarning, stacklevel=2)
    return run(SparsifyConfig(**kwargs))


def _training_split(config, data):
    """`(x, y, path_validation, held_out)`: the training data less the validation split."""
    x, y = data.x_train, data.y_train
    path_validation, held_out = config.path_validation, 0
    if path_validation is None and config.validation_fraction:
        (x, y), path_validation = split_validation(x, y, config.validation_fraction,
                                                   seed=config.seed)
        held_out = len(path_validation[1])
    return x, y, path_validation, held_out


def _starting_network(config, data, x, y, held_out, options, say):
    """`(network, name)`: `config.model` loaded and checked, or `architecture` trained here."""
    import keras

    keras.utils.set_random_seed(config.seed)
    if config.model is None:
        say(f"training {config.architecture} on {data.name} for {config.epochs} epochs")
        fit_data = dataclasses.replace(data, x_train=x, y_train=y) if held_out else data
        network = train_dense(config.architecture, fit_data, epochs=config.epochs,
                              seed=config.seed, verbose=config.verbose, **options)
        return network, config.architecture
    if isinstance(config.model, (str, os.PathLike)):
        name = os.fspath(config.model)
        network = _load_network(name)
    else:
        name = config.model.name
        network = _single_network(config.model)
    _check_model_fits(network, data, name)
    return network, name


def _run_methods(config, network, data, x, y, path_validation, settings, say):
    """Every method at every target: `(rows, exports)`."""
    import keras

    from keras_fip.sparsity.pruning import prune

    targets, methods = config.sparsity, config.methods
    results, exports = [], {}
    # A live bar on a terminal; in a redirected log, one line per run as it ends.
    bar = keras.utils.Progbar(len(targets) * len(methods), unit_name="run") \
        if config.progress and sys.stdout.isatty() else None
    for target in targets:
        for method in methods:
            walks_path = METHODS.get(method).walks_path
            result = prune(method, network, x, y, sparsity=target, steps=config.steps,
                           batch_size=config.batch_size, seed=config.seed,
                           verbose=config.verbose, scope=config.scope,
                           min_density=config.min_density, label_free=config.label_free,
                           validation_data=path_validation if walks_path else None,
                           **settings[method])
            row = _row(config, method, target, result, data)
            results.append(row)
            if method == EXPORTED_METHOD and config.export:
                exports[str(target)] = _export(config, result.network, target, data, x, y)
            if bar is not None:
                bar.add(1)
            else:
                say(f"{row['label']} at {target:g}: test accuracy {row['accuracy']:.4f} "
                    f"({row['seconds']:.0f} s)")
    return results, exports


def _row(config, method, target, result, data):
    """One method at one target, as a row of the report."""
    from keras_fip.sparsity.prunable import measured_sparsity

    network = result.network
    row = {
        "method": method, "label": method_label(method, config.label_free),
        "labels": uses_labels(method, config.label_free), "target_sparsity": target,
        "accuracy": _test_accuracy(network, data),
        "measured_sparsity": measured_sparsity(network, config.scope)[0],
        "min_layer_density": min_layer_density(network, config.scope),
        "path_steps": result.path_steps,
        "finetune_steps": result.finetune_steps, "seconds": result.seconds,
    }
    if METHODS.get(method).walks_path:
        row.update(result.arrival(), path=result.path)
    return row


def _export(config, network, target, data, x, y):
    """`export_sparse`'s report of the FIP network at `target`, as a dict."""
    from keras_fip.console import silenced_stderr
    from keras_fip.sparsity import export as export_lib

    folder = os.path.join(config.export, f"sparsity_{target:g}")
    # The converter and the TFLite runtime log from C++ to stderr.
    with silenced_stderr(config.verbose < 2):
        return export_lib.export_sparse(
            network, folder, overwrite=config.overwrite, check_inputs=data.x_test,
            int8=config.int8, train_data=(x, y) if config.int8 else None).to_dict()


def _test_accuracy(network, data):
    from keras_fip.engine.networks import accuracy

    return accuracy(network, data.x_test, data.y_test)


def _validation_text(config, held_out, trained_on, path_validation):
    """How the validation split was made, in one line of the report."""
    if held_out:
        return (f"{held_out} training samples held out ({config.validation_fraction:g} of each "
                f"class); every method trained on the other {trained_on}")
    return "given by the caller" if path_validation is not None else "none"


def split_validation(x, y, fraction=0.1, seed=0):
    """`((x_fit, y_fit), (x_val, y_val))`: `fraction` of each class held out, by `seed`.

    `keras_fip.data.splits.validation_split` with this job's offset (20,000):
    the same images as before the split was shared.
    """
    from keras_fip.data.splits import VALIDATION_OFFSETS, validation_split

    x_fit, y_fit, x_val, y_val = validation_split(x, y, fraction, seed,
                                                  offset=VALIDATION_OFFSETS["sparsity"])
    return (x_fit, y_fit), (x_val, y_val)


def uses_labels(method, label_free=False):
    """Whether `method` trains on labels (every method but the FIP paths, when not label-free)."""
    return METHODS.get(method).trains_on_labels(label_free)


def method_label(method, label_free=False):
    """The method's name in tables: "gmp (labels)" for a labelled method in label-free mode."""
    return _label(method, label_free)


def min_layer_density(model, scope="kernels_and_biases"):
    """The smallest fraction of nonzero weights in any counted kernel."""
    from keras_fip.sparsity.prunable import prunable_variables, zero_fraction

    kernels = [v for v in prunable_variables(model, scope) if len(v.shape) >= 2]
    return min(1.0 - zero_fraction([v]) for v in kernels)


def train_dense(architecture, data, *, epochs=20, seed=0, verbose=0, **options):
    """The dense starting network: `architecture` trained on `data` with Adam.

    Args:
        architecture: a name in `keras_fip.models`.
        data: a `keras_fip.data.Dataset`.
        epochs: training epochs (batch 128, learning rate 1e-3).
        seed: set before the network is built.
        verbose: passed to Keras' `fit`.
        **options: the architecture's own arguments (`hidden`, `filters`, ...).

    Returns:
        The trained `keras.Model`, outputting logits.
    """
    import keras

    from keras_fip import models
    from keras_fip.engine.training import fit_supervised

    keras.utils.set_random_seed(seed)
    network = models.get(architecture, input_shape=data.input_shape,
                         num_classes=data.num_classes, **options)
    fit_supervised(network, data.x_train, data.y_train, optimizer=keras.optimizers.Adam(1e-3),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                   epochs=epochs, batch_size=128, verbose=verbose,
                   what="The dense network's training loss")
    return network


def format_table(payload):
    """The plain-text results table, then one line per exported model."""
    width = max([13] + [len(r.get("label", r["method"])) for r in payload["results"]])
    lines = [f"{'method':{width}s} {'target':>7s} {'sparsity':>9s} {'accuracy':>9s}  path"]
    for r in payload["results"]:
        path = f"  {_arrival_text(r)}" if r["method"] in FIP_METHODS else ""
        lines.append(f"{r.get('label', r['method']):{width}s} {r['target_sparsity']:7.2f} "
                     f"{r['measured_sparsity']:9.4f} {r['accuracy']:9.4f}{path}")
    for target, e in payload["exports"].items():
        files = e["files"]
        lines.append(
            f"exported {target}: {e['directory']} (TFLite {files['tflite']['bytes']} B, "
            f"gzip {files['tflite']['gzip_bytes']} B; TFLite argmax agreement "
            f"{e['agreement']['tflite']['argmax_agreement']:.4f})")
    return "\n".join(lines)


def _arrival_text(row):
    """Where a FIP path arrived and what it kept, in one line of the table."""
    text = (f"{row['path_steps']} steps, gap {row['gap']:.4f}, "
            f"{'reached' if row['reached'] else 'NOT reached'}")
    if row.get("kept") is not None:
        text += (f", {'kept' if row['kept'] else 'NOT kept'} (val acc "
                 f"{row['accuracy_at_start']:.4f} -> {row['accuracy_at_arrival']:.4f}, "
                 f"{row['accuracy_at_snap']:.4f} at the snap)")
    if row.get("lowest_accuracy_on_path") is not None:
        text += f", lowest val acc on the path {row['lowest_accuracy_on_path']:.4f}"
    text += f", distance {row['distance_at_arrival']:.4f}"
    if row.get("pull_growth_steps"):
        text += f", pull grew to {row['max_pull']:.3g}"
    return text


def _target(value):
    if not 0.0 <= value < 1.0:  # NaN fails both
        raise ValueError(f"`sparsity` values must be in [0, 1) (the fraction of weights set "
                         f"to zero), got {value}")
    return float(value)


def _check_export_folder(path, overwrite):
    from keras_fip import report

    report.check_folder(path, "`export`")
    if os.path.isdir(path) and os.listdir(path) and not overwrite:
        raise ValueError(f"the `export` folder {path} exists and is not empty; "
                         "choose another or pass `overwrite`")


def _model_file(path, argument="`model`"):
    """Raises unless `path` names a file Keras can hold a model in (checked by name only)."""
    if os.path.isdir(path):
        raise ValueError(f"{argument} {path} is a folder; give a .keras file "
                         "(or a legacy .h5 file)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{argument}: no model file {path}")
    if not path.lower().endswith(MODEL_SUFFIXES):
        raise ValueError(f"{argument} {path} is not a file Keras saves models in; give a "
                         ".keras file (or a legacy .h5 file)")


def _load_network(path, argument="`model`"):
    """Loads a saved network as one single-output classifier, or raises one clear line."""
    import zipfile

    import keras

    _model_file(path, argument)
    if path.lower().endswith(".keras") and not zipfile.is_zipfile(path):
        raise ValueError(f"{argument} {path} is not a readable .keras file (a .keras file is "
                         "a zip archive; this one is corrupt or something else)")
    if not path.lower().endswith(".keras"):
        import h5py

        if not h5py.is_hdf5(path):
            raise ValueError(f"{argument} {path} is not a readable .h5 file (not HDF5)")
    try:
        network = keras.models.load_model(path)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds for bad files
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise ValueError(f"{argument} {path}: Keras cannot load a network from it "
                         f"({type(error).__name__}: {reason})") from None
    return _single_network(network, f"{argument} {path}")


def _single_network(network, what="model"):
    """`network` as one single-output classifier; an ensemble is refused.

    A saved `FIPModel` gives its network; an ensemble (a `FIPEnsemble`, anything
    with `members`) is several networks: save the member to use on its own.
    """
    from keras_fip import checks

    members = getattr(network, "members", None)
    if members is not None and hasattr(members, "__len__"):
        raise ValueError(
            f"{what} holds a {type(network).__name__} of {len(members)} members, not one "
            "network; sparsify one member: keras.models.load_model(path).members[i].save(...)"
        )
    try:
        return checks.classifier(network, "model")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{what}: {error}") from None


def _check_model_fits(network, data, name):
    """The network must take the data's inputs and have an output per class."""
    from keras_fip import checks

    expected = checks.input_shape(network)
    if expected is not None and not checks.fits_shape(data.input_shape, expected):
        raise ValueError(f"`model` {name} takes inputs of shape {checks.format_shape(expected)}, "
                         f"but the data's inputs are {data.input_shape}")
    classes = checks.num_classes(network)
    if classes is not None and classes < data.num_classes:
        raise ValueError(f"`model` {name} has {classes} outputs, but the data has labels "
                         f"up to {data.num_classes - 1}")
