"""The continual-learning experiment: every method on one task stream, one report.

`run(ContinualRunConfig(...))` is what `keras-fip continual` runs and what
`benchmarks/continual.py` runs once per seed: load the data, cut it into tasks,
train the same network on them with each method (same data, memory, epochs and
seed) and return the report's payload. With a `checkpoint_dir` the run saves
after every task and an interrupted run continues with `resume=True`.

Example:
    >>> from keras_fip.experiments.continual import ContinualRunConfig, run
    >>> report = run(ContinualRunConfig(tasks=2, epochs=1, methods=["fip", "finetune"]))
    >>> report["results"]["fip"]["average_accuracy"]  # doctest: +SKIP
    0.93
"""

import dataclasses
import os
import warnings

from keras_fip import checks
from keras_fip.continual.registry import DEFAULT_METHODS, METHODS
from keras_fip.experiments import common
# The run folder and the tables, here too: the old module's names (`__all__`).
from keras_fip.experiments.continual_runs import (
    SETTINGS, ResumeWarning, remove_run_checkpoints, start_or_resume,
)
from keras_fip.experiments.continual_tables import (
    format_table, format_then_sparsify, result_rows,
)

__all__ = [
    "ContinualRunConfig", "DEFAULT_METHODS", "METHOD_NAMES", "ResumeWarning", "SETTINGS",
    "format_table", "format_then_sparsify", "remove_run_checkpoints", "result_rows", "run",
    "run_continual_experiment",
]

#: Every method's name, the default ones first (`keras_fip.continual.registry.METHODS`).
METHOD_NAMES = METHODS.names()


@dataclasses.dataclass
class ContinualRunConfig:
    """What a continual experiment runs: the data, the stream, the methods, the budget.

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
        architecture: the network's name in `keras_fip.models`.
        hidden: hidden widths when `architecture` is "mlp".
        seed: seed of the split, the stream and every method.
        tune: choose each named method's hyperparameters first, from the same
            grid budget per method (the `grid` of its `METHODS` entry), on
            `validation_fraction` of each task's training data held out
            (stratified, seeded); the test split is never seen. The chosen
            methods then train on the full training data and are tested once.
            An explicit `fip_weight` is kept, not tuned.
        validation_fraction: the share held out for tuning.
        method_options: `{name: {hyperparameter: value}}` for named methods,
            kept fixed (and not tuned) in every setting: `{"fip": {"views": 4}}`
            is the paper's FIP protecting 4 shifted views of each stored image.
        then_sparsify: after the last task, prune each method's network to this
            sparsity on its memory (`keras_fip.experiments.compose.sparsify_after_tasks`);
            a method without memory is reported as skipped.
        then_sparsify_method: the pruning method ("fip_ramp": the FIP route,
            no labels; or another of `keras_fip.sparsity.registry.METHODS`).
        then_sparsify_steps: the pruning's step budget.
        export_dir: export each pruned network to `export_dir/METHOD`
            (`.keras`, SavedModel, TFLite), checked on every task's test data.

    Raises:
        ValueError: unknown methods, a number out of range, a pruning option
            without `then_sparsify` or an unknown pruning method (checked when
            the config is made, before any data is loaded).

    Example:
        >>> config = ContinualRunConfig(tasks=2, epochs=1, methods=["fip", "finetune"])
        >>> payload = run(config)
    """

    dataset: object = "digits"
    data_dir: str = None
    scenario: str = "class"
    tasks: int = 5
    class_order: list = None
    memory_per_class: int = 20
    memory_batch_size: int = 64
    methods: list = DEFAULT_METHODS
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 1e-3
    fip_weight: float = None
    architecture: str = "mlp"
    hidden: list = (256, 256)
    seed: int = 0
    tune: bool = False
    validation_fraction: float = 0.1
    method_options: dict = None
    then_sparsify: float = None
    then_sparsify_method: str = "fip_ramp"
    then_sparsify_steps: int = 1000
    export_dir: str = None

    def __post_init__(self):
        self.methods = list(self.methods)
        if self.class_order is not None:
            self.class_order = [int(c) for c in self.class_order]
        if self.hidden is not None:
            self.hidden = [int(h) for h in self.hidden]
        self.check()

    def check(self):
        """Checks every setting that needs no data; raises ValueError naming the argument."""
        unknown = [m for m in self.methods if isinstance(m, str) and m not in METHODS]
        if unknown or not self.methods:
            raise ValueError(f"`methods`: unknown methods {unknown}; choose from "
                             f"{', '.join(METHOD_NAMES)}")
        # Each number named as its argument (a one-word name in backquotes, which
        # the command line turns into its option), before the data are loaded (a
        # negative seed would otherwise reach scikit-learn as its random_state).
        checks.seed(self.seed, "`seed`")
        for name in ("tasks", "memory_per_class", "memory_batch_size", "epochs", "batch_size"):
            checks.count(getattr(self, name), name if "_" in name else f"`{name}`",
                         minimum=2 if name == "tasks" else 1)
        checks.number(self.learning_rate, "learning_rate", minimum=0, strict=True)
        if self.fip_weight is not None:
            checks.number(self.fip_weight, "fip_weight", minimum=0)
        checks.number(self.validation_fraction, "validation_fraction")
        _check_then_sparsify(self)

    def settings(self, dataset_name, method_options):
        """The settings that decide the results, as the run folder records them."""
        return {
            "dataset": dataset_name, "data_dir": self.data_dir, "scenario": self.scenario,
            "tasks": self.tasks, "class_order": self.class_order,
            "memory_per_class": self.memory_per_class,
            "memory_batch_size": self.memory_batch_size,
            "methods": [_name(m) for m in self.methods], "epochs": self.epochs,
            "batch_size": self.batch_size, "learning_rate": self.learning_rate,
            "fip_weight": self.fip_weight,
            # "model" in run.json, as the run folders of keras-fip 0.2 have it.
            "model": self.architecture, "hidden": self.hidden, "seed": self.seed,
            "tune": bool(self.tune),
            "validation_fraction": self.validation_fraction if self.tune else None,
            "method_options": method_options or None,
        }


def _name(method):
    from keras_fip.continual import methods as methods_lib

    return method if isinstance(method, str) else methods_lib.get(method).name


def run(config, *, checkpoint_dir=None, resume=False, verbose=0, progress=True):
    """Learns a stream of tasks with each method and returns the report's payload.

    Args:
        config: a `ContinualRunConfig`.
        checkpoint_dir: if given, a folder made for this run, where each method
            checkpoints after every task. It is left in place: remove it with
            `remove_run_checkpoints` once the report is safely written.
        resume: continue the run whose checkpoints are in `checkpoint_dir`; it
            must have been started with the same settings.
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
        ValueError: a class order that is not a permutation of the classes, a
            memory larger than a class, a network that cannot take the data,
            or checkpoints that do not fit `resume`.

    Example:
        >>> payload = run(ContinualRunConfig(tasks=2, epochs=1), progress=False)
    """
    import numpy as np

    from keras_fip import models
    from keras_fip.continual import ContinualConfig, compare, make_stream
    from keras_fip.continual import methods as methods_lib

    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs the checkpoint_dir of the run to continue")
    methods = config.methods
    if tuple(methods) == DEFAULT_METHODS:
        # Names the caller did not choose: no warning that fip_views changed meaning.
        methods_lib._warned.update(methods_lib.RENAMED)
    say = common.printer(progress)

    data, dataset_name = common.load_data(config.dataset, seed=config.seed,
                                          data_dir=config.data_dir)
    common.check_labels(data, "`dataset`")
    class_order = config.class_order
    if class_order is not None and sorted(class_order) != list(range(data.num_classes)):
        missing = sorted(set(range(data.num_classes)) - set(class_order))
        raise ValueError(
            f"class_order must name each of the {data.num_classes} classes once; "
            f"got {','.join(map(str, class_order))}" + (f" (missing {missing})" if missing else "")
        )
    stream = make_stream(data, config.scenario, config.tasks, class_order, seed=config.seed)
    largest = int(max(np.bincount(t.y_train).max() for t in stream))
    if config.memory_per_class > largest:
        raise ValueError(
            f"memory_per_class {config.memory_per_class} is more than the {largest} training "
            "samples of the largest class: the memory would hold whole tasks"
        )
    budget = ContinualConfig(epochs=config.epochs, batch_size=config.batch_size,
                             learning_rate=config.learning_rate,
                             memory_per_class=config.memory_per_class,
                             memory_batch_size=config.memory_batch_size, seed=config.seed)
    method_options = _method_options(config)
    chosen = [methods_lib.get(m, **method_options[m]) if m in method_options else m
              for m in methods]
    if config.tune and not 0.0 < config.validation_fraction < 1.0:
        raise ValueError(
            f"validation_fraction must be in (0, 1), got {config.validation_fraction}")
    options = common.model_options(config.architecture, hidden=config.hidden)

    def build():
        return models.get(config.architecture, input_shape=stream.input_shape,
                          num_classes=stream.num_classes, **options)

    build()  # a network that cannot take this data fails here, before any training
    if checkpoint_dir is not None:
        from keras_fip.data.fingerprint import fingerprint

        start_or_resume(checkpoint_dir, config.settings(dataset_name, method_options), resume,
                        fingerprint(data, None if config.dataset is data else config.dataset,
                                    config.data_dir))
    say(f"{stream.description}: {data.split or data.description}")
    say("tasks: " + "; ".join(t.name for t in stream))
    tuning = None
    if config.tune:
        chosen, tuning = _tune(config, stream, build, budget, chosen, method_options, say,
                               verbose)
    results, trained = compare(stream, chosen, build, budget, verbose=verbose,
                               progress=progress, checkpoint_dir=checkpoint_dir,
                               return_models=True)
    rows = [r.to_dict() for r in results]
    if config.then_sparsify is not None:
        for row, learner in zip(rows, trained):
            say(f"{row['method']}: pruning to {config.then_sparsify:g} with "
                f"{config.then_sparsify_method} on its memory")
            row["then_sparsify"] = _then_sparsify(learner, stream, row["method"], config)
    return {
        "config": {
            "dataset": dataset_name,
            "dataset_split": data.split or data.description,
            "scenario": config.scenario,
            "tasks": [{"name": t.name, "classes": list(t.classes),
                       "train_samples": len(t.x_train), "test_samples": len(t.x_test)}
                      for t in stream],
            "class_order": stream.class_order,
            "model": {"kind": config.architecture, **options},
            **vars(budget),
            "validation": None if not config.tune else {
                "fraction": config.validation_fraction, "stratified": True,
                "seed": config.seed,
                "of": "each task's training data; the chosen methods retrain on all of it"},
        },
        "results": {r["method"]: {k: v for k, v in r.items() if k != "method"} for r in rows},
        **({"tuning": tuning} if tuning is not None else {}),
    }


def _method_options(config):
    """Each named method's fixed settings (`fip_weight` into fip's), each tried now so
    that a misspelt option fails before any training."""
    from keras_fip.continual import methods as methods_lib

    method_options = {k: dict(v) for k, v in (config.method_options or {}).items()}
    strays = sorted(set(method_options) - {m for m in config.methods if isinstance(m, str)})
    if strays:
        raise ValueError(f"method options for {strays}, which are not among the methods run")
    for name, options in method_options.items():
        methods_lib.get(name, **options)
    if config.fip_weight is not None:
        method_options["fip"] = {**method_options.get("fip", {}),
                                 "fip_weight": config.fip_weight}
    return method_options


def _tune(config, stream, build, budget, chosen, method_options, say, verbose):
    """Each named method's settings chosen on the validation stream; `(methods, table)`.

    A named method is tuned with its method options kept fixed; one whose
    options set what its grid tunes (an explicit fip_weight) is run as given,
    as are `Method` objects.
    """
    from keras_fip.experiments.continual_tuning import tune

    methods = config.methods
    tunable = [m for m in methods if isinstance(m, str) and not any(
        key in setting for setting in METHODS.get(m).grid for key in method_options.get(m, {}))]
    say(f"tuning {', '.join(tunable)} on {config.validation_fraction:g} of each task's "
        "training data")
    picked, table = tune(stream, tunable, build, budget, fraction=config.validation_fraction,
                         fixed={m: method_options[m] for m in tunable if m in method_options},
                         verbose=verbose)
    return [picked.get(m, c) if isinstance(m, str) else c for m, c in zip(methods, chosen)], table


def _check_then_sparsify(config):
    """The pruning's options, checked before any training."""
    if config.then_sparsify is None:
        if config.export_dir is not None:
            raise ValueError("export_dir writes the pruned networks: it needs then_sparsify")
        return
    from keras_fip.engine import backend
    from keras_fip.sparsity.registry import METHODS as PRUNING_METHODS
    from keras_fip.sparsity.schedules import check_sparsity

    check_sparsity(config.then_sparsify)
    if config.then_sparsify_method not in PRUNING_METHODS:
        raise ValueError(f"then_sparsify_method: unknown method {config.then_sparsify_method!r}; "
                         f"choose from {', '.join(PRUNING_METHODS.names())}")
    checks.count(config.then_sparsify_steps, "then_sparsify_steps")
    if config.export_dir is not None:
        backend.require_tensorflow("export_dir (the tfmot pruning export, SavedModel, TFLite)")
        from keras_fip.sparsity.export import check_directory

        check_directory(config.export_dir)


def _then_sparsify(model, stream, name, config):
    """One method's network pruned on its memory, as its report's `then_sparsify`."""
    from keras_fip.experiments.compose import memory_of, sparsify_after_tasks

    try:
        memory_of(model)
    except ValueError:
        return {"skipped": f"{name} keeps no memory of earlier tasks to prune on"}
    folder = None if config.export_dir is None else os.path.join(config.export_dir, name)
    return sparsify_after_tasks(model, stream, sparsity=config.then_sparsify,
                                method=config.then_sparsify_method,
                                steps=config.then_sparsify_steps, seed=config.seed,
                                export_dir=folder).to_dict()


#: The keyword arguments of `run` (the rest go to the config).
_RUN_ARGUMENTS = ("checkpoint_dir", "resume", "verbose", "progress")


def run_continual_experiment(**kwargs):
    """Deprecated: `run(ContinualRunConfig(...), checkpoint_dir=..., resume=..., verbose=...,
    progress=...)`; kept for one release.

    Args:
        **kwargs: the fields of `ContinualRunConfig` and the keyword arguments of
            `run`; `model` is the old name of `architecture`.

    Returns:
        The payload of `report.json`, as `run`.

    Raises:
        ValueError: as `ContinualRunConfig` and `run`.

    Example:
        >>> payload = run_continual_experiment(tasks=2, epochs=1, methods=["fip"])
    """
    from keras_fip.deprecation import renamed_argument

    warnings.warn("run_continual_experiment(**kwargs) is now "
                  "keras_fip.experiments.continual.run(ContinualRunConfig(...)); the old "
                  "function goes in the next release.", DeprecationWarning, stacklevel=2)
    renamed_argument(kwargs, "model", "architecture", "run_continual_experiment")
    run_kwargs = {k: kwargs.pop(k) for k in _RUN_ARGUMENTS if k in kwargs}
    return run(ContinualRunConfig(**kwargs), **run_kwargs)
