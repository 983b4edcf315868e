"""The continual-learning experiment: every method on one task stream, one report.

`run_continual_experiment` is what `keras-fip continual` runs and what
`benchmarks/continual.py` runs once per seed: load the data, cut it into tasks,
train the same network on them with each method (same data, memory, epochs and
seed) and return the report's payload. With a `checkpoint_dir` the run saves
after every task and an interrupted run continues with `resume=True`.

Example:
    >>> from keras_fip.continual.experiment import run_continual_experiment
    >>> report = run_continual_experiment(tasks=2, epochs=1, methods=["fip", "finetune"])
    >>> report["results"]["fip"]["average_accuracy"]  # doctest: +SKIP
    0.93
"""

import json
import os
import warnings

from keras_fip import checks
from keras_fip.experiments import common as experiment_common

# Each FIP variant beside its DER twin (same ingredients; the DER one keeps the
# outputs stored with each sample, the FIP one re-anchors at each task start).
DEFAULT_METHODS = ("fip", "fip_views", "der_views", "fip_views_labels", "der_views_labels",
                   "derpp", "derpp_views", "er_ace", "replay", "ewc", "finetune", "joint")
METHOD_NAMES = DEFAULT_METHODS + ("der", "fip_l2", "der_l2", "fip_labels")


class ResumeWarning(RuntimeWarning):
    """A resumed run that cannot check everything it should (an older run folder)."""

# The settings that decide the results: `resume=True` continues only a run that
# was started with the same ones.
SETTINGS = ("dataset", "data_dir", "scenario", "tasks", "class_order", "memory_per_class",
            "memory_batch_size", "methods", "epochs", "batch_size", "learning_rate",
            "fip_weight", "model", "hidden", "seed", "tune", "validation_fraction",
            "method_options")


def run_continual_experiment(*, dataset="digits", data_dir=None, scenario="class", tasks=5,
                             class_order=None, memory_per_class=20, memory_batch_size=64,
                             methods=DEFAULT_METHODS,
                             epochs=40, batch_size=32, learning_rate=1e-3, fip_weight=None,
                             model="mlp", hidden=(256, 256), seed=0, tune=False,
                             validation_fraction=0.1, method_options=None, checkpoint_dir=None,
                             resume=False, then_sparsify=None, then_sparsify_method="fip_ramp",
                             then_sparsify_steps=1000, export_dir=None, verbose=0,
                             progress=True):
    """Learns a stream of tasks with each method and returns the report's payload.

    Args:
        dataset: "digits", a .npz file, a folder of IDX files, "tfds:NAME", or a
            `keras_fip.data.Dataset`.
        data_dir: tensorflow-datasets data folder for "tfds:" datasets.
        scenario: "class", "task", "domain" or "rotated" (`make_stream`).
        tasks: number of tasks.
        class_order: the order the classes arrive in (None: 0, 1, 2, ...).
        memory_per_class: samples stored per class of each finished task.
        memory_batch_size: memory samples drawn at each step, for every method.
        methods: names among `METHOD_NAMES`, or `keras_fip.continual.Method`
            objects (`FIP(fip_weight=100)`, `EWC(ewc_weight=1e4)`, ...).
        epochs, batch_size, learning_rate: the budget every method gets.
        fip_weight: lambda of the method named "fip" (None: the method's default).
        model: the network's name in `keras_fip.models`.
        hidden: hidden widths when `model` is "mlp".
        seed: seed of the split, the stream and every method.
        tune: choose each named method's hyperparameters first, from the same
            grid budget per method (`keras_fip.continual.tuning.GRIDS`), on
            `validation_fraction` of each task's training data held out
            (stratified, seeded); the test split is never seen. The chosen
            methods then train on the full training data and are tested once.
            An explicit `fip_weight` is kept, not tuned.
        validation_fraction: the share held out for tuning.
        method_options: `{name: {hyperparameter: value}}` for named methods,
            kept fixed (and not tuned) in every setting: `{"fip": {"views": 4}}`
            is the paper's FIP protecting 4 shifted views of each stored image.
        checkpoint_dir: if given, a folder made for this run, where each method
            checkpoints after every task. It is left in place: remove it with
            `remove_run_checkpoints` once the report is safely written.
        resume: continue the run whose checkpoints are in `checkpoint_dir`; it
            must have been started with the same settings.
        then_sparsify: after the last task, prune each method's network to this
            sparsity on its memory (`keras_fip.compose.sparsify_after_tasks`);
            a method without memory is reported as skipped.
        then_sparsify_method: the pruning method ("fip_ramp": the FIP route,
            no labels; or a peer of `keras_fip.sparsity.experiment`).
        then_sparsify_steps: the pruning's step budget.
        export_dir: export each pruned network to `export_dir/METHOD`
            (`.keras`, SavedModel, TFLite), checked on every task's test data.
        verbose: passed to Keras' `fit` (0, 1 or 2).
        progress: print the stream and one progress bar per method.

    Returns:
        The payload of `report.json` (everything but the header): `config`
        (dataset and split, scenario, tasks, class order, model, budget) and
        `results` (per method: family, anchor and, for a method with a twin
        in the other family, `twin`; accuracy matrix, average accuracy,
        backward transfer, forgetting, seconds, hyperparameters; with
        `then_sparsify`, `then_sparsify`: the sparsity reached and the test
        accuracy of every task before and after pruning, and the export).

    Raises:
        ValueError: unknown methods, a class order that is not a permutation
            of the classes, a memory larger than a class, a network that cannot
            take the data, or checkpoints that do not fit `resume`.
    """
    import numpy as np

    from keras_fip import models
    from keras_fip.continual import ContinualConfig, compare, make_stream
    from keras_fip.continual import methods as methods_lib

    if tuple(methods) == DEFAULT_METHODS:
        # Names the caller did not choose: no warning that fip_views changed meaning.
        methods_lib._warned.update(methods_lib.RENAMED)
    methods = list(methods)
    names = [m if isinstance(m, str) else methods_lib.get(m).name for m in methods]
    unknown = [m for m in methods if isinstance(m, str) and m not in METHOD_NAMES]
    if unknown or not methods:
        raise ValueError(f"--methods: unknown methods {unknown}; choose from {', '.join(METHOD_NAMES)}")
    class_order = None if class_order is None else [int(c) for c in class_order]
    hidden = None if hidden is None else [int(h) for h in hidden]
    _check_numbers(seed=seed, tasks=tasks, memory_per_class=memory_per_class,
                   memory_batch_size=memory_batch_size, epochs=epochs, batch_size=batch_size,
                   learning_rate=learning_rate, fip_weight=fip_weight,
                   validation_fraction=validation_fraction)
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs the checkpoint_dir of the run to continue")
    _check_then_sparsify(then_sparsify, then_sparsify_method, then_sparsify_steps, export_dir)
    say = experiment_common.printer(progress)

    data, dataset_name = experiment_common.load_data(dataset, seed=seed, data_dir=data_dir)
    experiment_common.check_labels(data)
    if class_order is not None and sorted(class_order) != list(range(data.num_classes)):
        missing = sorted(set(range(data.num_classes)) - set(class_order))
        raise ValueError(
            f"--class-order must name each of the {data.num_classes} classes once; "
            f"got {','.join(map(str, class_order))}" + (f" (missing {missing})" if missing else "")
        )
    stream = make_stream(data, scenario, tasks, class_order, seed=seed)
    largest = int(max(np.bincount(t.y_train).max() for t in stream))
    if memory_per_class > largest:
        raise ValueError(
            f"--memory-per-class {memory_per_class} is more than the {largest} training "
            "samples of the largest class: the memory would hold whole tasks"
        )
    config = ContinualConfig(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                             memory_per_class=memory_per_class,
                             memory_batch_size=memory_batch_size, seed=seed)
    method_options = {k: dict(v) for k, v in (method_options or {}).items()}
    strays = sorted(set(method_options) - {m for m in methods if isinstance(m, str)})
    if strays:
        raise ValueError(f"method options for {strays}, which are not among the methods run")
    for name, options in method_options.items():
        methods_lib.get(name, **options)  # a misspelt option fails here, before any training
    if fip_weight is not None:
        method_options["fip"] = {**method_options.get("fip", {}), "fip_weight": fip_weight}
    chosen = [methods_lib.get(m, **method_options[m]) if m in method_options else m
              for m in methods]
    if tune and not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"--validation-fraction must be in (0, 1), got {validation_fraction}")
    options = experiment_common.model_options(model, hidden=hidden)

    def build():
        return models.get(model, input_shape=stream.input_shape,
                          num_classes=stream.num_classes, **options)

    build()  # a network that cannot take this data fails here, before any training
    if checkpoint_dir is not None:
        settings = {
            "dataset": dataset_name, "data_dir": data_dir, "scenario": scenario, "tasks": tasks,
            "class_order": class_order, "memory_per_class": memory_per_class,
            "memory_batch_size": memory_batch_size, "methods": names,
            "epochs": epochs, "batch_size": batch_size, "learning_rate": learning_rate,
            "fip_weight": fip_weight, "model": model, "hidden": hidden, "seed": seed,
            "tune": bool(tune), "validation_fraction": validation_fraction if tune else None,
            "method_options": method_options or None,
        }
        from keras_fip.data.fingerprint import fingerprint

        _start_or_resume(checkpoint_dir, settings, resume,
                         fingerprint(data, None if dataset is data else dataset, data_dir))
    say(f"{stream.description}: {data.split or data.description}")
    say("tasks: " + "; ".join(t.name for t in stream))
    tuning = None
    if tune:
        from keras_fip.continual.tuning import tune as choose

        from keras_fip.continual.tuning import GRIDS

        # Named methods are tuned with their method options kept fixed; one
        # whose options set what its grid tunes (an explicit fip_weight) is run
        # as given, as are Method objects.
        tunable = [m for m in methods if isinstance(m, str) and not any(
            key in setting for setting in GRIDS.get(m, []) for key in method_options.get(m, {}))]
        say(f"tuning {', '.join(tunable)} on {validation_fraction:g} of each task's training data")
        picked, tuning = choose(stream, tunable, build, config, fraction=validation_fraction,
                                fixed={m: method_options[m] for m in tunable if m in method_options},
                                verbose=verbose)
        chosen = [picked.get(m, c) if isinstance(m, str) else c for m, c in zip(methods, chosen)]
    results, trained = compare(stream, chosen, build, config, verbose=verbose,
                               progress=progress, checkpoint_dir=checkpoint_dir,
                               return_models=True)
    rows = [r.to_dict() for r in results]
    if then_sparsify is not None:
        for row, learner in zip(rows, trained):
            say(f"{row['method']}: pruning to {then_sparsify:g} with {then_sparsify_method} "
                "on its memory")
            row["then_sparsify"] = _then_sparsify(
                learner, stream, row["method"], sparsity=then_sparsify,
                method=then_sparsify_method, steps=then_sparsify_steps, seed=seed,
                export_dir=export_dir)
    return {
        "config": {
            "dataset": dataset_name,
            "dataset_split": data.split or data.description,
            "scenario": scenario,
            "tasks": [{"name": t.name, "classes": list(t.classes),
                       "train_samples": len(t.x_train), "test_samples": len(t.x_test)}
                      for t in stream],
            "class_order": stream.class_order,
            "model": {"kind": model, **options},
            **vars(config),
            "validation": None if not tune else {
                "fraction": validation_fraction, "stratified": True, "seed": seed,
                "of": "each task's training data; the chosen methods retrain on all of it"},
        },
        "results": {r["method"]: {k: v for k, v in r.items() if k != "method"} for r in rows},
        **({"tuning": tuning} if tuning is not None else {}),
    }


def _check_then_sparsify(sparsity, method, steps, export_dir):
    """The pruning's options, checked before any training."""
    if sparsity is None:
        if export_dir is not None:
            raise ValueError("--export writes the pruned networks: it needs --then-sparsify")
        return
    from keras_fip.engine import backend
    from keras_fip.sparsity.experiment import METHOD_NAMES
    from keras_fip.sparsity.schedules import check_sparsity

    check_sparsity(sparsity)
    if method not in METHOD_NAMES:
        raise ValueError(f"--then-sparsify-method: unknown method {method!r}; choose from "
                         f"{', '.join(METHOD_NAMES)}")
    checks.count(steps, "--then-sparsify-steps")
    if export_dir is not None:
        backend.require_tensorflow("--export (the tfmot pruning export, SavedModel, TFLite)")
        from keras_fip.sparsity.export import check_directory

        check_directory(export_dir)


def _then_sparsify(model, stream, name, *, sparsity, method, steps, seed, export_dir):
    """One method's network pruned on its memory, as its report's `then_sparsify`."""
    from keras_fip.compose import memory_of, sparsify_after_tasks

    try:
        memory_of(model)
    except ValueError:
        return {"skipped": f"{name} keeps no memory of earlier tasks to prune on"}
    folder = None if export_dir is None else os.path.join(export_dir, name)
    return sparsify_after_tasks(model, stream, sparsity=sparsity, method=method, steps=steps,
                                seed=seed, export_dir=folder).to_dict()


def format_then_sparsify(rows):
    """A plain-text table: each method's average accuracy before and after pruning."""
    pruned = [r for r in rows if "then_sparsify" in r]
    if not pruned:
        return ""
    width = max([10, *(len(r["method"]) for r in pruned)])
    header = f"{'method':<{width}} {'pruned by':<12} {'sparsity':>8} {'before':>8} {'after':>8}"
    lines = [header, "-" * len(header)]
    for r in pruned:
        done = r["then_sparsify"]
        if "skipped" in done:
            lines.append(f"{r['method']:<{width}} skipped: no memory")
            continue
        lines.append(f"{r['method']:<{width}} {done['method']:<12} {done['sparsity']:>8.4f} "
                     f"{done['average_before']:>8.4f} {done['average_after']:>8.4f}")
    return "\n".join(lines)


def result_rows(payload):
    """The payload's results as a list of dicts with a "method" key, for the plots and table:
    each FIP variant first, its DER twin beside it (`methods.twin_order`), then the rest."""
    from keras_fip.continual.methods import twin_order

    results = payload["results"]
    return [{"method": name, **results[name]} for name in twin_order(results)]


def format_table(rows):
    """A plain-text table of the summary numbers, one row per method, with its family
    and what it protects (anchor); a `der*` twin of the FIP variant above is marked."""
    width = max([10, *(len(r["method"]) for r in rows)])
    kinds = [f"{r.get('family') or '-'}/{r.get('anchor') or '-'}" for r in rows]
    kind_width = max([len("family/anchor"), *map(len, kinds)])
    header = (f"{'method':<{width}} {'family/anchor':<{kind_width}} {'avg acc':>8} {'BWT':>8} "
              f"{'forget':>8} {'seconds':>8}  twin")
    lines = [header, "-" * len(header)]
    for r, kind in zip(rows, kinds):
        lines.append(
            f"{r['method']:<{width}} {kind:<{kind_width}} {r['average_accuracy']:>8.4f} "
            f"{r['backward_transfer']:>8.4f} {r['forgetting']:>8.4f} {r['train_seconds']:>8.1f}"
            + (f"  {r['twin']}" if r.get("twin") else ""))
    return "\n".join(lines)


def _option(name):
    return "--" + name.replace("_", "-")


def _check_numbers(**values):
    """Each number as its option names it, before the data are loaded (`--seed -1`
    would otherwise reach scikit-learn as its `random_state`)."""
    checks.seed(values["seed"], "--seed")
    for name in ("tasks", "memory_per_class", "memory_batch_size", "epochs", "batch_size"):
        checks.count(values[name], _option(name), minimum=2 if name == "tasks" else 1)
    checks.number(values["learning_rate"], "--learning-rate", minimum=0, strict=True)
    if values["fip_weight"] is not None:
        checks.number(values["fip_weight"], "--fip-weight", minimum=0)
    checks.number(values["validation_fraction"], "--validation-fraction")


def _read_json(path, what):
    """A run file's contents, or one line naming the file and what is wrong with it."""
    try:
        with open(path) as f:
            saved = json.load(f)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"--resume: {path} is corrupt (not valid JSON: {error}); {what}") from None
    if not isinstance(saved, dict):
        raise ValueError(f"--resume: {path} is corrupt (not a JSON object); {what}")
    return saved


def _check_checkpoints(checkpoints, methods):
    """Refuses, before any training, a checkpoint whose files cannot be read back.

    A run killed while the disk was full, or a file edited by hand, would
    otherwise fail after the earlier methods have run, with Keras' message
    ("File not found") or the JSON parser's position, naming neither file.
    """
    import zipfile

    from keras_fip.engine import checkpoints as checkpoint_folders

    for method in methods:
        found = checkpoint_folders.latest(os.path.join(checkpoints, method), "after_task_")
        if found is None:
            continue
        _, folder = found
        # The path once only: the message stays one readable line.
        restart = (f"remove its folder {os.path.basename(folder)} to run {method} again "
                   "from its start, or start the whole run in another --out")
        _read_json(os.path.join(folder, "progress.json"), restart)
        model = os.path.join(folder, "model.keras")
        if not os.path.isfile(model):
            raise ValueError(f"--resume: {model} is missing; {restart}")
        try:
            with zipfile.ZipFile(model) as archive:
                bad = archive.testzip()  # every member's checksum
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ValueError(f"--resume: {model} is corrupt (not a Keras archive: {error}); "
                             f"{restart}") from None
        if bad is not None or "config.json" not in names:
            what = f"{bad} fails its checksum" if bad else "no config.json in it"
            raise ValueError(f"--resume: {model} is corrupt ({what}); {restart}")


def _start_or_resume(checkpoints, settings, resume, fingerprint):
    """Checks the checkpoint folder against `resume`; records the run's settings and
    the fingerprint of its data (`keras_fip.data.fingerprint`)."""
    from keras_fip.data.fingerprint import changes

    saved_file = os.path.join(checkpoints, "run.json")
    if not resume:
        if os.path.exists(checkpoints):
            raise ValueError(
                f"{checkpoints} holds the checkpoints of an unfinished run: pass --resume "
                "to continue it, or choose another --out (nothing was deleted)"
            )
        try:
            os.makedirs(checkpoints)
        except OSError as error:
            raise ValueError(f"--out: cannot create {checkpoints} ({error.strerror})") from None
        # Written whole: a kill here leaves no half-written run.json.
        partial = saved_file + ".partial"
        with open(partial, "w") as f:
            json.dump({**settings, "dataset_fingerprint": fingerprint}, f, indent=2)
        os.replace(partial, saved_file)
        return
    if not os.path.isfile(saved_file):
        raise ValueError(f"--resume: no unfinished run to resume in {checkpoints}")
    saved = _read_json(saved_file, "start the run again in another --out")
    differing = [k for k in SETTINGS if saved.get(k) != settings.get(k)]
    if differing:
        raise ValueError(
            "--resume: the run in " + checkpoints + " was started with other options: "
            + ", ".join(f"{_option(k)} {saved.get(k)} (now {settings.get(k)})" for k in differing)
        )
    recorded = saved.get("dataset_fingerprint")
    dataset = fingerprint.get("path") or settings["dataset"]
    if recorded is None:
        # A run folder from before keras-fip recorded its data: resumed, not refused.
        warnings.warn(ResumeWarning(
            f"the run in {checkpoints} was started before keras-fip recorded its data, so "
            f"--resume cannot check that {dataset} is unchanged; resuming"), stacklevel=3)
    else:
        change = changes(recorded, fingerprint)
        if change:
            raise ValueError(
                f"--resume: the dataset {dataset} changed since the run in {checkpoints} "
                f"started ({change}); resume with the data it started with, or start again "
                "in another --out")
    _check_checkpoints(checkpoints, settings["methods"])


def remove_run_checkpoints(checkpoint_dir):
    """Removes what `run_continual_experiment` wrote into `checkpoint_dir`, and nothing else.

    Call it once the report is safely written: until then the checkpoints are
    what a `resume=True` run continues from.

    Args:
        checkpoint_dir: the folder given to `run_continual_experiment`; the
            folder itself goes too once empty.
    """
    from keras_fip.continual.runner import remove_checkpoints

    saved_file = os.path.join(checkpoint_dir, "run.json")
    with open(saved_file) as f:
        methods = json.load(f)["methods"]
    for method in methods:
        remove_checkpoints(os.path.join(checkpoint_dir, method))
    os.remove(saved_file)
    if not os.listdir(checkpoint_dir):
        os.rmdir(checkpoint_dir)
