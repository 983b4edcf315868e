"""The sparsification experiment: FIP beside magnitude and tfmot pruning, one report.

`run_sparsify_experiment` is what `keras-fip sparsify` runs and what
`benchmarks/sparsity.py` runs once per network and seed: start from a trained
network (a file, a `keras.Model`, or one trained here), sparsify it to each
target with each method on the same step budget, measure test accuracy and
sparsity, optionally export the FIP models, and return the report's payload.

Example:
    >>> from keras_fip.sparsity.experiment import format_table, run_sparsify_experiment
    >>> report = run_sparsify_experiment(epochs=2, sparsity=[0.9], steps=100)
    >>> print(format_table(report))  # doctest: +SKIP
    method         target  sparsity  accuracy  path
    fip              0.90    0.9000    0.9583  210 steps, gap 0.0081, reached
    ...
"""

import dataclasses
import os
import sys

from keras_fip.experiments import common as experiment_common
from keras_fip.engine import backend

METHOD_NAMES = ("fip", "fip_pull", "fip_reference", "fip_ramp", "oneshot", "oneshot_kd", "obs",
                "gmp", "gmp_kd", "tfmot", "tfmot_global")
#: The methods that walk a FIP (their rows carry what the path kept at arrival).
FIP_METHODS = ("fip", "fip_pull", "fip_reference", "fip_ramp")
#: The methods that train on labels even in label-free mode (named "<method> (labels)").
LABELLED_METHODS = ("gmp", "tfmot", "tfmot_global")
#: What `keras-fip sparsify` runs when --methods is not given.
DEFAULT_METHODS = ("fip", "oneshot", "gmp", "tfmot", "tfmot_global")
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def run_sparsify_experiment(*, dataset="digits", data_dir=None, model=None,
                            architecture="lenet_300_100", hidden=None, cnn_filters=None,
                            cnn_dense=None, epochs=20, sparsity=(0.9, 0.95),
                            methods=DEFAULT_METHODS, steps=1000, batch_size=200, export=None,
                            int8=False, overwrite=False, scope="kernels_and_biases",
                            min_density=0.0, hyperparameters=None, path_validation=None,
                            validation_fraction=0.1, label_free=False, seed=0, verbose=0,
                            progress=True):
    """Sparsifies one network to each target with each method; returns the report's payload.

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
        methods: names among `METHOD_NAMES`.
        steps: the step budget of every method (see `run_method`).
        batch_size: training batch of every method.
        export: a folder to export each FIP model to (a subfolder per target with
            model.keras, saved_model/ and model.tflite), or None.
        int8: also export int8 TFLite (needs `export`).
        overwrite: replace existing export folders.
        scope: the weights every method counts and prunes (tfmot, which prunes
            kernels only, is given kernel targets that leave as many nonzero
            weights over `scope`); "kernels_and_biases" is every parameter the
            FIP path moves in these networks (BatchNorm is frozen along it).
        min_density: the least fraction of each layer's weights kept, for
            every method (0: none).
        hyperparameters: `{method: {setting: value}}` (see
            `keras_fip.sparsity.tuning`); default `tuning.DEFAULTS`.
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
            `run_method`): the FIP methods and the `_kd` peers see inputs
            only, `oneshot` prunes without fine-tuning; the methods that
            need labels (`LABELLED_METHODS`) still use them and are named
            "<method> (labels)" in the report. Test accuracy is measured on
            labelled test data as always.
        seed: seed of the data split, the dense training and every method.
        verbose: passed to Keras' `fit`; 2 also shows the TFLite converter's logs.
        progress: print the dense accuracy and a progress bar over the runs.

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
    """
    from keras_fip.sparsity.objective import check_min_density
    from keras_fip.sparsity.tuning import DEFAULTS

    targets = [_target(s) for s in sparsity]
    min_density = check_min_density(min_density)
    # Both would fail only after the dense network trained (the duplicate at its export).
    repeated = sorted({t for t in targets if targets.count(t) > 1})
    if repeated:
        raise ValueError(f"--sparsity: {', '.join(f'{t:g}' for t in repeated)} given more "
                         "than once; each target is one run and one export folder")
    if targets and min_density > 1.0 - max(targets) + 1e-9:
        raise ValueError(f"--min-density {min_density:g} keeps more of each layer than "
                         f"--sparsity {max(targets):g} leaves ({1.0 - max(targets):g}); "
                         "lower one of them")
    hyperparameters = {m: dict(DEFAULTS[m], **(hyperparameters or {}).get(m, {}))
                       for m in METHOD_NAMES}
    methods = list(methods)
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if not methods:
        raise ValueError(f"--methods: give at least one of {', '.join(METHOD_NAMES)}")
    if unknown:
        raise ValueError(f"unknown methods {unknown} in --methods; choose from "
                         f"{', '.join(METHOD_NAMES)}")
    from_file = isinstance(model, (str, os.PathLike))
    if from_file:
        _model_file(os.fspath(model))
    if int8 and not export:
        raise ValueError("--int8 adds an int8 TFLite file to the export; give --export FOLDER too")
    if export:
        _check_export_folder(export, overwrite)
    # Refused here, before anything trains: tfmot and the export need TensorFlow.
    for method in methods:
        if method.startswith("tfmot"):
            backend.require_tensorflow(f"--methods {method} (tensorflow-model-optimization)")
    if export:
        backend.require_tensorflow("--export (tfmot, SavedModel, TFLite)")

    import keras

    from keras_fip.console import silenced_stderr
    from keras_fip.sparsity import export as export_lib
    from keras_fip.engine.networks import accuracy
    from keras_fip.sparsity.prunable import measured_sparsity

    say = experiment_common.printer(progress)
    data, dataset_name = experiment_common.load_data(dataset, seed=seed, data_dir=data_dir)
    experiment_common.check_labels(data)
    x, y = data.x_train, data.y_train
    held_out = 0
    if path_validation is None and validation_fraction:
        from keras_fip.sparsity.tuning import split_validation

        (x, y), path_validation = split_validation(x, y, validation_fraction, seed=seed)
        held_out = len(path_validation[1])
    keras.utils.set_random_seed(seed)
    options = experiment_common.model_options(architecture, hidden, cnn_filters, cnn_dense)
    if model is None:
        say(f"training {architecture} on {data.name} for {epochs} epochs")
        fit_data = dataclasses.replace(data, x_train=x, y_train=y) if held_out else data
        network = train_dense(architecture, fit_data, epochs=epochs, seed=seed, verbose=verbose,
                              **options)
        model_name = architecture
    else:
        model_name = os.fspath(model) if from_file else model.name
        network = _load_network(model_name) if from_file else _single_network(model)
        _check_model_fits(network, data, model_name)

    def test_accuracy(network):
        return accuracy(network, data.x_test, data.y_test)

    dense_accuracy = test_accuracy(network)
    say(f"dense test accuracy {dense_accuracy:.4f}; step budget {steps} at batch {batch_size}")
    results, exports = [], {}
    # A live bar on a terminal; in a redirected log, one line per run as it ends.
    bar = keras.utils.Progbar(len(targets) * len(methods), unit_name="run") \
        if progress and sys.stdout.isatty() else None
    for target in targets:
        for method in methods:
            result = run_method(method, network, x, y, sparsity=target, steps=steps,
                                batch_size=batch_size, seed=seed, verbose=verbose, scope=scope,
                                min_density=min_density, label_free=label_free,
                                **hyperparameters[method],
                                **({"validation_data": path_validation}
                                   if method in FIP_METHODS and path_validation is not None
                                   else {}))
            row = {
                "method": method, "label": method_label(method, label_free),
                "labels": uses_labels(method, label_free), "target_sparsity": target,
                "accuracy": test_accuracy(result.model),
                "measured_sparsity": measured_sparsity(result.model, scope)[0],
                "min_layer_density": min_layer_density(result.model, scope),
                "path_steps": result.path_steps,
                "finetune_steps": result.finetune_steps, "seconds": result.seconds,
            }
            if method in FIP_METHODS:
                row.update(result.arrival(), path=result.path)
            results.append(row)
            if method == "fip" and export:
                folder = os.path.join(export, f"sparsity_{target:g}")
                # The converter and the TFLite runtime log from C++ to stderr.
                with silenced_stderr(verbose < 2):
                    exports[str(target)] = export_lib.export_sparse(
                        result.model, folder, overwrite=overwrite, check_inputs=data.x_test,
                        int8=int8, train_data=(x, y) if int8 else None).to_dict()
            if bar is not None:
                bar.add(1)
            else:
                say(f"{row['label']} at {target:g}: test accuracy {row['accuracy']:.4f} "
                    f"({row['seconds']:.0f} s)")
    config = {
        "dataset": dataset_name, "dataset_split": data.split or data.description,
        "model": model_name, "steps": steps, "batch_size": batch_size, "seed": seed,
        "targets": targets, "methods": methods, "scope": scope, "min_density": min_density,
        "label_free": bool(label_free),
        "validation": (f"{held_out} training samples held out ({validation_fraction:g} of each "
                       f"class); every method trained on the other {len(y)}") if held_out
        else ("given by the caller" if path_validation is not None else "none"),
        "hyperparameters": {m: hyperparameters[m] for m in methods},
    }
    if options and model is None:
        config["model_options"] = options
    return {"config": config, "dense_accuracy": dense_accuracy, "results": results,
            "exports": exports}


def uses_labels(method, label_free=False):
    """Whether `method` trains on labels (every method but the FIP paths, when not label-free)."""
    if label_free:
        return method in LABELLED_METHODS
    return method not in ("fip_reference", "fip_ramp")


def method_label(method, label_free=False):
    """The method's name in tables: "gmp (labels)" for a labelled method in label-free mode."""
    if label_free and method in LABELLED_METHODS:
        return f"{method} (labels)"
    if label_free and method == "oneshot":
        return "oneshot (no fine-tuning)"
    return method


def run_method(method, network, x, y, *, sparsity, steps, batch_size=200, seed=0, verbose=0,
               scope="kernels_and_biases", min_density=0.0, learning_rate=1e-3,
               path_fraction=0.5, pull_growth=1.5, step_length=0.2, temperature=1.0,
               label_free=False, validation_data=None):
    """Sparsifies `network` with one method on a budget of `steps` training steps.

    Args:
        method: one of `METHOD_NAMES`:
            - "fip_reference": the reference implementation's path as it
              ships (Sparsification_Resnet_CIFAR.ipynb with its NGD step):
              constant steps of 0.01 along normalise(grad sum_batch D +
              0.1 (w - P_s(w))), the magnitude cut over every parameter
              recomputed at every step, its Bhattacharyya eps (one per
              batch: 1e-3 times the batch's smallest anchor probability,
              floored at 1e-12), its stopping check (gap under 0.01, looked
              at every 50 steps), the whole budget on the path, then the
              cut; no fine-tuning. `scope` and `min_density` are ignored:
              the reference counts every parameter.
            - "fip": the project's path (`sparsify`: step length "auto",
              cosine decay, threshold every 50 steps, the exact distance,
              stop within 0.01) for at most `path_fraction` of the budget;
              snap to zeros; the rest of the budget fine-tunes with the
              mask held. Its pull stays lambda (`pull_growth` 1). Label-free,
              the fine-tuning trains on the same output distance to the
              dense network's outputs instead of labels.
            - "fip_ramp": `keras_fip.sparsity.ramp.sparsify_ramp`: the
              target rises on the cubic schedule of "gmp", each stage is cut
              to and its mask held, and FIP steps of `step_length` (momentum
              0.9, warm-up then cosine decay) on the output distance to the
              dense network restore the function between stages; the whole
              budget, never labels
              (gradual pruning + label-free distillation; its peer is gmp_kd).
            - "fip_pull": "fip" with the pull grown x`pull_growth` per step
              while off track (1.5: the forced arrival that reaches the set
              by giving up the function; see `sparsify`);
            - "oneshot": global magnitude pruning at once, the whole budget
              fine-tuning;
            - "oneshot_kd" / "gmp_kd": the same trained on the distillation
              loss to the dense network's outputs (`temperature`), plus the
              cross-entropy on labels unless label-free;
            - "obs": one-shot second-order pruning, each weight scored by
              w^2 / [F^-1]_ii with a diagonal Fisher (empirical on labels;
              label-free, the model's own with labels drawn from its outputs),
              then fine-tuning (labels; label-free, distillation);
            - "gmp": gradual global magnitude pruning on the cubic schedule;
            - "tfmot" / "tfmot_global": tfmot's PolynomialDecay, every layer to
              the target / each layer to its share of a global cut.
        network: the trained Keras network (not modified).
        x, y: training inputs and integer labels.
        sparsity: the target fraction of zero weights over `scope`.
        steps: the budget, at `batch_size`.
        seed: seed of the method's batches.
        verbose: passed to Keras' `fit`.
        scope, min_density: what counts, and the least density of each layer.
        learning_rate: Adam learning rate of the training on labels.
        path_fraction: "fip" and "fip_pull": the most of the budget the path
            may take.
        pull_growth: "fip_pull" only: the pull's growth factor per step.
        step_length: "fip_ramp" only: the length of its FIP steps.
        temperature: "oneshot_kd" and "gmp_kd": the distillation temperature.
        label_free: no method that can do without labels sees them: `y` is
            not passed to the FIP methods and the `_kd` peers, and "oneshot"
            prunes without fine-tuning; "gmp" and "tfmot*" still train on
            labels (see `LABELLED_METHODS`).
        validation_data: FIP methods: `(x, y)` whose accuracy the path
            records, and on which what it kept at arrival is measured.

    Returns:
        A `SparsificationResult` (`.model`, `.sparsity`, `.path_steps`,
        `.finetune_steps`, `.reached`, `.gap`, `.path`, `.seconds`).
    """
    from keras_fip.sparsity import baselines, fip

    common = dict(batch_size=batch_size, seed=seed, scope=scope, min_density=min_density)
    if label_free and method not in LABELLED_METHODS:
        y = None  # from here on, this method cannot read a label
    if method == "fip_ramp":
        from keras_fip.sparsity.ramp import sparsify_ramp

        return sparsify_ramp(network, x, sparsity=sparsity, steps=steps, step_length=step_length,
                             validation_data=validation_data, verbose=verbose, **common)
    if method == "fip_reference":
        return fip.sparsify(network, x, sparsity=sparsity, steps=steps, batch_size=batch_size,
                            seed=seed, verbose=verbose, validation_data=validation_data,
                            distance=reference_distance(network), **REFERENCE_PATH)
    if method in ("fip", "fip_pull"):
        growth = pull_growth if method == "fip_pull" else 1.0
        path = fip.sparsify(network, x, sparsity=sparsity, steps=max(1, int(steps * path_fraction)),
                            step_length="auto", validation_data=validation_data,
                            pull_growth=growth, verbose=verbose, **common)
        if label_free:
            from keras_fip.sparsity.callbacks import HoldMask
            from keras_fip.sparsity.distill import distance_loss, fit_masked

            loss, targets = distance_loss(network, x)
            path.finetune_steps = fit_masked(
                path.model, x, targets, loss, steps=steps - path.path_steps,
                mask_callback=HoldMask(path.masks), batch_size=batch_size,
                learning_rate=learning_rate, seed=seed, verbose=verbose)
            return path
        path.finetune_steps = fip.finetune(
            path.model, x, y, path.masks, steps=steps - path.path_steps, batch_size=batch_size,
            learning_rate=learning_rate, seed=seed, verbose=verbose)
        return path
    if method == "oneshot":
        if label_free:  # the label-free one-shot cut: no fine-tuning without labels
            return baselines.one_shot(network, x, None, sparsity=sparsity, steps=0,
                                      learning_rate=learning_rate, **common)
        return baselines.one_shot(network, x, y, sparsity=sparsity, steps=steps,
                                  learning_rate=learning_rate, **common)
    if method == "oneshot_kd":
        return baselines.one_shot_kd(network, x, y, sparsity=sparsity, steps=steps,
                                     learning_rate=learning_rate, temperature=temperature,
                                     **common)
    if method == "obs":
        return baselines.fisher_pruning(network, x, y, sparsity=sparsity, steps=steps,
                                        learning_rate=learning_rate, temperature=temperature,
                                        label_free=label_free, **common)
    if method == "gmp_kd":
        return baselines.gradual_magnitude_kd(network, x, y, sparsity=sparsity, steps=steps,
                                              learning_rate=learning_rate,
                                              temperature=temperature, **common)
    if method == "gmp":
        return baselines.gradual_magnitude(network, x, y, sparsity=sparsity, steps=steps,
                                           learning_rate=learning_rate, **common)
    if method in ("tfmot", "tfmot_global"):
        return baselines.tfmot_polynomial(
            network, x, y, sparsity=sparsity, steps=steps, learning_rate=learning_rate,
            allocation="global" if method == "tfmot_global" else "uniform", **common)
    raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHOD_NAMES)}")


def reference_distance(network):
    """The reference sparsification's Bhattacharyya distance (one eps per batch)."""
    from keras_fip.engine.distances import Bhattacharyya
    from keras_fip.engine.networks import outputs_are_logits

    return Bhattacharyya(from_logits=outputs_are_logits(network), eps_scale=1e-3,
                         eps_floor=1e-12, eps_over="batch")


#: `sparsify`'s settings that make the reference path, unchanged.
REFERENCE_PATH = dict(step_length=0.01, decay=False, weight=0.1, distance_reduction="sum",
                      pull_growth=1.0, threshold_every=1, scope="all", min_density=0.0,
                      tolerance=0.01, check_every=50, finetune_steps=0)


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

    keras.utils.set_random_seed(seed)
    network = models.get(architecture, input_shape=data.input_shape,
                         num_classes=data.num_classes, **options)
    network.compile(keras.optimizers.Adam(1e-3),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(data.x_train, data.y_train, epochs=epochs, batch_size=128, verbose=verbose)
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
        raise ValueError(f"--sparsity values must be in [0, 1) (the fraction of weights set "
                         f"to zero), got {value}")
    return float(value)


def _check_export_folder(path, overwrite):
    from keras_fip import report

    report.check_folder(path, "--export")
    if os.path.isdir(path) and os.listdir(path) and not overwrite:
        raise ValueError(f"the export folder {path} exists and is not empty; "
                         "choose another or pass --overwrite")


def _model_file(path, option="--model"):
    """Raises unless `path` names a file Keras can hold a model in (checked by name only)."""
    if os.path.isdir(path):
        raise ValueError(f"{option} {path} is a folder; give a .keras file "
                         "(or a legacy .h5 file)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{option}: no model file {path}")
    if not path.lower().endswith(MODEL_SUFFIXES):
        raise ValueError(f"{option} {path} is not a Keras model file; give a .keras file "
                         "(or a legacy .h5 file)")


def _load_network(path, option="--model"):
    """Loads a saved network as one single-output classifier, or raises one clear line."""
    import zipfile

    import keras

    _model_file(path, option)
    if path.lower().endswith(".keras") and not zipfile.is_zipfile(path):
        raise ValueError(f"{option} {path} is not a readable .keras file (a .keras file is "
                         "a zip archive; this one is corrupt or something else)")
    if not path.lower().endswith(".keras"):
        import h5py

        if not h5py.is_hdf5(path):
            raise ValueError(f"{option} {path} is not a readable .h5 file (not HDF5)")
    try:
        network = keras.models.load_model(path)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds for bad files
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise ValueError(f"{option} {path}: Keras cannot load a model from it "
                         f"({type(error).__name__}: {reason})") from None
    return _single_network(network, f"{option} {path}")


def _single_network(network, what="model"):
    """`network` as one single-output classifier; a `FIPEnsemble` is refused.

    A saved `FIPModel` gives its network; an ensemble is several networks: save
    the member to use on its own.
    """
    from keras_fip import checks
    from keras_fip.robustness.ensemble import FIPEnsemble

    if isinstance(network, FIPEnsemble):
        raise ValueError(
            f"{what} holds a FIPEnsemble of {len(network.members)} members, not one "
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
        raise ValueError(f"--model {name} takes inputs of shape {checks.format_shape(expected)}, "
                         f"but the dataset's are {data.input_shape}")
    classes = checks.num_classes(network)
    if classes is not None and classes < data.num_classes:
        raise ValueError(f"--model {name} has {classes} outputs, but the dataset has labels "
                         f"up to {data.num_classes - 1}")
