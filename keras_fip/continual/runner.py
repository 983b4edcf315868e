"""One runner for every continual-learning method.

Each method gets the same freshly initialised network (same seed), the same
tasks in the same order, the same epochs, batch size, optimizer and memory size.
After each task the runner evaluates every task of the stream, filling the
accuracy matrix R[i][j].
"""

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field

import keras

from keras_fip.continual import methods as methods_lib
from keras_fip.continual.metrics import summarize, task_accuracy
from keras_fip.engine import checkpoints
from keras_fip.engine.training import fit_supervised


@dataclass
class ContinualConfig:
    """Training budget shared by every method of a comparison.

    Args:
        epochs: passes over each task's training data.
        batch_size: the task batch size.
        learning_rate: Adam's learning rate for every task.
        memory_per_class: samples stored per class by the methods with a memory.
        memory_batch_size: memory samples drawn per training step.
        seed: seeds the network's initialisation and each task's shuffling.

    Raises:
        ValueError: a count is below 1 or the learning rate is not positive.

    Example:
        >>> config = ContinualConfig(epochs=5, memory_per_class=50, seed=1)
        >>> result, model = run_method(stream, "fip", build, config)
    """

    epochs: int = 10
    batch_size: int = 32
    learning_rate: float = 1e-3
    memory_per_class: int = 20
    memory_batch_size: int = 64
    seed: int = 0

    def __post_init__(self):
        from keras_fip import checks

        # Each named in its message, whatever the type ("3", "abc", nan).
        for name in ("epochs", "batch_size", "memory_per_class", "memory_batch_size"):
            setattr(self, name, checks.count(getattr(self, name), name))
        self.learning_rate = checks.number(self.learning_rate, "learning_rate", minimum=0,
                                           strict=True)
        self.seed = checks.seed(self.seed)


@dataclass
class MethodResult:
    """What one method did on one stream.

    Args:
        method: the method's name.
        accuracy_matrix: `accuracy_matrix[i][j]`, the test accuracy on task j after
            training on tasks 0..i.
        train_seconds: the time spent on all tasks.
        task_seconds: the time spent on each task.
        hyperparameters: the method's settings (`Method.get_config()`).
        family: `"fip"`, `"der"`, `"replay"`, `"regularisation"` or `"baseline"`.
        anchor: what is protected: `"path_start"`, `"stored"`, `"weights"` or `"none"`.
        twin: the method with the same ingredients in the other family, if any.

    Raises:
        TypeError: a required field is missing (a dataclass).

    Example:
        >>> result, _ = run_method(stream, "fip", build)
        >>> result.summary["average_accuracy"], result.to_dict()["family"]
    """

    method: str
    accuracy_matrix: list
    train_seconds: float
    task_seconds: list = field(default_factory=list)
    hyperparameters: dict = field(default_factory=dict)
    #: "fip", "der", "replay", "regularisation" or "baseline" (`Method.family`).
    family: str = None
    #: what is protected: "path_start", "stored", "weights" or "none".
    anchor: str = None
    #: the method with the same ingredients in the other family, if any.
    twin: str = None

    @property
    def summary(self):
        return summarize(self.accuracy_matrix)

    def to_dict(self):
        out = {**asdict(self), **self.summary}
        if out["twin"] is None:
            del out["twin"]
        return out


def _load_checkpoint(folder, method, stream, config):
    found = checkpoints.latest(folder, "after_task_")
    if found is None:
        return None
    _, path = found
    with open(os.path.join(path, "progress.json")) as f:
        saved = json.load(f)
    now = {"method": method.name, "num_tasks": len(stream),
           "hyperparameters": method.get_config(), "config": asdict(config)}
    differing = [key for key in now if saved.get(key) != json.loads(json.dumps(now[key]))]
    if differing:
        details = "; ".join(f"{key}: saved {saved.get(key)}, now {now[key]}" for key in differing)
        raise ValueError(
            f"The checkpoint in {folder} was made with other settings ({details}); "
            "resume with the original settings or use another folder."
        )
    model = keras.saving.load_model(os.path.join(path, "model.keras"))
    return model, saved["accuracy_matrix"], saved["task_seconds"]


def _save_checkpoint(folder, model, method, stream, config, matrix, task_seconds):
    def write(path):
        model.save(os.path.join(path, "model.keras"))
        with open(os.path.join(path, "progress.json"), "w") as f:
            json.dump({"method": method.name, "num_tasks": len(stream),
                       "hyperparameters": method.get_config(), "config": asdict(config),
                       "accuracy_matrix": matrix, "task_seconds": task_seconds}, f)

    checkpoints.save(folder, "after_task_", len(matrix), write)


def remove_checkpoints(folder):
    """Deletes what `run_method` wrote into `folder` (and the folder, once empty)."""
    checkpoints.remove(folder, "after_task_")
    if os.path.isdir(folder) and not os.listdir(folder):
        os.rmdir(folder)


def run_method(stream, method, build_network, config=None, verbose=0, progress=True,
               checkpoint_dir=None, callbacks=()):
    """Trains a fresh network on `stream` with `method`, evaluating every task after each.

    Args:
        stream: a `TaskStream`.
        method: a name (`fip`, `finetune`, `replay`, `ewc`, `joint`) or a `Method`.
        build_network: `build_network()` -> a new `keras.Model` (called once,
            after seeding, so every method starts from the same weights).
        config: a `ContinualConfig`.
        verbose: passed to `fit` (0, 1 for progress bars, 2 for one line per epoch).
        progress: show a progress bar over the tasks.
        checkpoint_dir: if given, the model (with its memory and the state of
            its random streams) and the results so far are saved there after
            each task, and a run finding a checkpoint there continues after the
            last finished task, ending exactly where an uninterrupted run would.
            A checkpoint made with other settings is refused.
        callbacks: more Keras callbacks for every task's `fit` (a `HoldMask`
            keeps a sparse network's zeros while it learns).

    Returns:
        `(MethodResult, model)`: the figures and the trained `FIPModel`.

    Raises:
        FloatingPointError: the loss became NaN or infinite; the model keeps the
            weights it had at the start of that epoch.
        ValueError: an unknown method name, or a checkpoint made with other settings.

    Example:
        >>> from keras_fip.continual import make_stream, run_method
        >>> from keras_fip.models import mlp
        >>> from keras_fip.data import load_digits
        >>> stream = make_stream(load_digits(), "class", num_tasks=5)
        >>> result, model = run_method(stream, "fip",
        ...                            lambda: mlp(stream.input_shape, stream.num_classes))
        >>> result.summary["average_accuracy"]
    """
    config = config or ContinualConfig()
    method = methods_lib.get(method)
    keras.utils.set_random_seed(config.seed)
    model = method.wrap(build_network(), config)
    num_tasks = len(stream)
    matrix, task_seconds = [], []
    if checkpoint_dir is not None:
        restored = _load_checkpoint(checkpoint_dir, method, stream, config)
        if restored is not None:
            model, matrix, task_seconds = restored
    bar = None
    if progress:
        # On a terminal a live bar; in a log, one line when the method is done.
        bar = keras.utils.Progbar(
            num_tasks, unit_name="task", stateful_metrics=["task_acc", "seen_acc"],
            verbose=1 if sys.stdout.isatty() else 2,
        )
        if matrix:  # resumed
            bar.update(len(matrix))
    for index in range(len(matrix), num_tasks):
        start = time.perf_counter()
        method.before_task(model, stream, index, config)
        x, y = method.training_data(stream, index)
        # Seeded per task before compiling: what Keras draws (the shuffles) is the
        # same as when the seed was set between compile and fit.
        keras.utils.set_random_seed(config.seed + index)
        fit_supervised(
            model, x, y, optimizer=keras.optimizers.Adam(config.learning_rate),
            loss=method.task_loss(stream, index, y, model.from_logits), epochs=config.epochs,
            batch_size=config.batch_size, shuffle=True, verbose=verbose, callbacks=callbacks,
            what=f"{method.name}: the loss on task {index}", advice="Lower the learning rate")
        method.after_task(model, stream, index, config)
        task_seconds.append(time.perf_counter() - start)
        row = [task_accuracy(model, task, stream.scenario) for task in stream]
        matrix.append(row)
        if checkpoint_dir is not None:
            _save_checkpoint(checkpoint_dir, model, method, stream, config, matrix, task_seconds)
        if bar is not None:
            seen = row[:index + 1]
            bar.update(index + 1, values=[
                ("task_acc", row[index]), ("seen_acc", sum(seen) / len(seen)),
            ], finalize=index + 1 == num_tasks)
    return MethodResult(
        method=method.name, accuracy_matrix=matrix, train_seconds=sum(task_seconds),
        task_seconds=task_seconds, hyperparameters=method.get_config(),
        **methods_lib.describe(method),
    ), model


def compare(stream, methods, build_network, config=None, verbose=0, progress=True,
            checkpoint_dir=None, return_models=False):
    """Runs several methods on the same stream and budget; returns their results.

    With `checkpoint_dir`, each method checkpoints in its own subfolder and an
    interrupted comparison resumes where it stopped.

    Args:
        stream: a `TaskStream`.
        methods: names or `Method` instances, run in this order.
        build_network: `build_network()` -> a new `keras.Model` (every method
            starts from the same weights).
        config: a `ContinualConfig` shared by every method.
        verbose: passed to `fit`.
        progress: print each method's name and show a progress bar over its tasks.
        checkpoint_dir: a folder for resumable checkpoints (one subfolder per method).
        return_models: also return each method's trained `FIPModel`.

    Returns:
        A list of `MethodResult`, one per method, in order; with
        `return_models`, `(results, models)`.

    Raises:
        FloatingPointError: a method's loss became NaN or infinite.
        ValueError: an unknown method name, or a checkpoint made with other settings.

    Example:
        >>> from keras_fip.continual import make_stream, compare
        >>> from keras_fip.models import mlp
        >>> from keras_fip.data import load_digits
        >>> stream = make_stream(load_digits(), "class", num_tasks=5)
        >>> results = compare(stream, ["fip", "finetune"],
        ...                   lambda: mlp(stream.input_shape, stream.num_classes))
    """
    results, models = [], []
    for method in methods:
        name = methods_lib.get(method).name
        if progress:
            print(f"{name}:")
        folder = None if checkpoint_dir is None else os.path.join(checkpoint_dir, name)
        result, model = run_method(stream, method, build_network, config, verbose, progress,
                                   folder)
        results.append(result)
        if return_models:
            models.append(model)
    return (results, models) if return_models else results
