"""One network, two goals: learn tasks in sequence, then prune it keeping every task.

After the last task of a continual run, the network walks a sparsification path
whose protected outputs are those it gives, after that last task, on the memory
of every task: the memory's inputs are the anchors, the network at the start of
the path defines the function. The FIP route (`"fip_ramp"`, the default) reads
no label on the way; the peers a practitioner would pick (`"gmp"`, `"oneshot"`,
`"gmp_kd"`, `"oneshot_kd"`, `"obs"`) prune the same network on the same memory,
with the memory's labels. Any method of `keras_fip.sparsity.registry.METHODS`
can be named.

    result, model = run_method(stream, "fip", build, ContinualConfig(memory_per_class=50))
    pruned = sparsify_after_tasks(model, stream, sparsity=0.9, export_dir="export/")
    pruned.accuracy_before, pruned.accuracy_after       # one test accuracy per task

The memory is all a continual learner keeps of its earlier tasks, so it is all
the pruning may see: a few samples per class, small beside a task's data.

The other order, `learn_tasks_keeping_mask`: a sparse network (from
`keras-fip sparsify`) learns new tasks with any continual method while its zeros
are held (`HoldMask`, as in fine-tuning), so a deployed sparse model is updated
without densifying.
"""

import dataclasses
import time
import warnings

import numpy as np

from keras_fip import checks
from keras_fip.continual.metrics import task_accuracy
from keras_fip.sparsity.registry import METHODS

#: The pruning methods that never read a label here (the FIP routes).
LABEL_FREE_METHODS = tuple(name for name in METHODS if METHODS.get(name).walks_path)


@dataclasses.dataclass
class ThenSparsifyResult:
    """What pruning a continual learner did to each of its tasks.

    Args:
        method: the pruning method.
        sparsity: the measured fraction of zero weights (the method's scope).
        accuracy_before: test accuracy on each task (task order) before pruning.
        accuracy_after: the same after pruning.
        memory_samples: the inputs the pruning saw (the continual memory).
        labels_used: whether the pruning read the memory's labels.
        path_steps, finetune_steps: the pruning's steps on its path and fine-tuning.
        seconds: the pruning's time.
        export: the export's files, zero fractions and per-task TFLite agreement
            (`export_sparse`'s report, plus `task_agreement`), or None.
        network: the pruned Keras network (not in `to_dict`).

    Raises:
        TypeError: a field is missing (a dataclass).

    Example:
        >>> pruned = sparsify_after_tasks(model, stream, sparsity=0.9)
        >>> pruned.to_dict()["average_after"]
    """

    method: str
    sparsity: float
    accuracy_before: list
    accuracy_after: list
    memory_samples: int
    labels_used: bool
    path_steps: int
    finetune_steps: int
    seconds: float
    export: dict = None
    #: The pruned Keras network (not serialised by `to_dict`).
    network: object = dataclasses.field(default=None, repr=False)

    @property
    def model(self):
        """The pruned network under its old name (use `.network`; goes in the next release)."""
        warnings.warn("ThenSparsifyResult.model is now ThenSparsifyResult.network; the old name "
                      "goes in the next release.", DeprecationWarning, stacklevel=2)
        return self.network

    def to_dict(self):
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "network"}
        out["average_before"] = float(np.mean(self.accuracy_before))
        out["average_after"] = float(np.mean(self.accuracy_after))
        return out


def memory_of(model):
    """`(inputs, labels)` of a continual model's memory, every task's samples.

    Args:
        model: the `FIPModel` a continual method trained (`run_method`'s second value).

    Returns:
        `(inputs, labels)`: NumPy arrays, the stored samples of every finished task.

    Raises:
        ValueError: the model keeps no memory (methods without one, such as
            `finetune` or `ewc`, leave nothing to protect or train on).

    Example:
        >>> result, model = run_method(stream, "fip", build_network)
        >>> x_memory, y_memory = memory_of(model)
    """
    memory = getattr(model, "memory", None)
    arrays = memory.numpy() if memory is not None else {}
    if not arrays or len(arrays["inputs"]) == 0:
        raise ValueError(
            "sparsify_after_tasks needs the memory of earlier tasks, and this model keeps "
            "none; run the continual method with a memory (fip*, der*, replay, derpp, er_ace).")
    return arrays["inputs"], arrays["labels"]


def sparsify_after_tasks(model, stream, *, sparsity, method="fip_ramp", steps=1000,
                         batch_size=100, seed=0, label_free=None, export_dir=None,
                         overwrite=False, verbose=0, **options):
    """Prunes a continual learner after its last task, keeping what it knows of every task.

    Args:
        model: the `FIPModel` a continual run returned (`run_method`'s second
            value), with its memory.
        stream: the `TaskStream` it learned; every task's test split is measured
            before and after.
        sparsity: the fraction of zero weights to reach, in [0, 1).
        method: a pruning method of `keras_fip.sparsity.prune`.
            FIP methods read no label (their path keeps the network's outputs on
            the memory); the others train on the memory's labels.
        steps: the pruning's step budget, at `batch_size`.
        batch_size: memory samples per step (at most the memory's size).
        seed: seed of the pruning's batches.
        label_free: whether the pruning may read the memory's labels; None:
            the FIP methods do not, the peers do. True runs a peer without them
            too (`gmp_kd` / `oneshot_kd` then distil only; `oneshot` prunes only).
        export_dir: if given, the pruned network is exported there
            (`export_sparse`: `.keras`, SavedModel, TFLite) and the TFLite file
            is checked against Keras on every task's test data.
        overwrite: replace an earlier export in `export_dir`.
        verbose: passed to Keras' `fit`.
        **options: the method's own settings (`step_length`, `temperature`, ...).

    Returns:
        A `ThenSparsifyResult` (its `network` is the pruned network).

    Raises:
        ValueError: a model without memory, a sparsity outside [0, 1), an
            unknown method, or an export folder that is not empty.

    Example:
        >>> pruned = sparsify_after_tasks(model, stream, sparsity=0.9, method="fip_ramp")
        >>> pruned.accuracy_after
    """
    from keras_fip.sparsity.pruning import prune
    from keras_fip.sparsity.schedules import check_sparsity

    sparsity = check_sparsity(sparsity)
    if method not in METHODS:
        raise ValueError(f"unknown pruning method {method!r}; choose from "
                         f"{', '.join(METHODS.names())}.")
    if export_dir is not None:
        from keras_fip.sparsity.export import check_directory

        check_directory(export_dir, overwrite)  # before any work, not after it
    network = getattr(model, "network", model)
    x, y = memory_of(model)
    batch_size = min(checks.count(batch_size, "batch_size"), len(x))
    if label_free is None:
        label_free = method in LABEL_FREE_METHODS
    elif not label_free and method in LABEL_FREE_METHODS:
        raise ValueError(f"{method} reads no label: label_free=False does not apply to it.")
    before = [task_accuracy(network, task, stream.scenario) for task in stream]
    start = time.perf_counter()
    result = prune(method, network, x, y, sparsity=sparsity, steps=steps,
                   batch_size=batch_size, seed=seed, verbose=verbose,
                   label_free=label_free, **options)
    seconds = time.perf_counter() - start
    after = [task_accuracy(result.network, task, stream.scenario) for task in stream]
    export = None
    if export_dir is not None:
        export = _export(result.network, stream, export_dir, overwrite)
    return ThenSparsifyResult(
        method=method, sparsity=float(result.sparsity), accuracy_before=before,
        accuracy_after=after, memory_samples=int(len(x)), labels_used=not label_free,
        path_steps=int(result.path_steps), finetune_steps=int(result.finetune_steps),
        seconds=seconds, export=export, network=result.network,
    )


def _export(network, stream, directory, overwrite):
    """`export_sparse`'s report, with the TFLite file's agreement on each task's test data."""
    from keras_fip.console import silenced_stderr
    from keras_fip.sparsity.export import export_sparse, tflite_predict

    x_test = np.concatenate([task.x_test for task in stream])
    # The converter and the TFLite runtime log from C++ to stderr.
    with silenced_stderr():
        report = export_sparse(network, directory, overwrite=overwrite,
                               check_inputs=x_test).to_dict()
        # One pass of each over every task's test data, then split by task.
        path = report["files"]["tflite"]["path"]
        same = (np.asarray(network.predict(x_test, verbose=0)).argmax(-1)
                == np.asarray(tflite_predict(path, x_test)).argmax(-1))
    ends = np.cumsum([len(task.x_test) for task in stream])[:-1]
    agreement = [float(np.mean(part)) for part in np.split(same, ends)]
    report["task_agreement"] = agreement
    return report


def learn_tasks_keeping_mask(network, stream, method="fip", config=None, *,
                             scope="kernels_and_biases", progress=False, verbose=0):
    """Learns `stream` with a continual method, starting from a sparse network whose zeros stay.

    Args:
        network: the sparse Keras network (its zero weights are the mask); not modified.
        stream: the `TaskStream` to learn.
        method: a continual method's name or `Method` (see `keras_fip.continual`).
        config: a `ContinualConfig`.
        scope: the weights whose zeros are held (`prunable_variables`' scopes).
        progress, verbose: as for `keras_fip.continual.run_method`.

    Returns:
        `(MethodResult, model, zeros)`: the figures, the trained `FIPModel`, and
        the fraction of zero weights in `scope` before and after
        (`{"before": ..., "after": ...}`; equal, as the mask is held).

    Raises:
        ValueError: a network with no zero weight in `scope` (nothing to keep).

    Example:
        >>> sparse = sparsify_ramp(network, x_train, sparsity=0.9).network
        >>> result, model, zeros = learn_tasks_keeping_mask(sparse, stream, "fip")
        >>> zeros["after"] == zeros["before"]
        True
    """
    from keras_fip.continual import run_method
    from keras_fip.engine.networks import fresh_copy
    from keras_fip.sparsity.callbacks import HoldMask
    from keras_fip.sparsity.prunable import masks_of, measured_sparsity

    before, _ = measured_sparsity(network, scope)
    if before == 0:
        raise ValueError("learn_tasks_keeping_mask: the network has no zero weight to keep; "
                         "sparsify it first.")
    start = fresh_copy(network)
    masks = masks_of(start, scope)
    result, model = run_method(stream, method, lambda: start, config, verbose=verbose,
                               progress=progress, callbacks=[HoldMask(masks)])
    after, _ = measured_sparsity(model.network, scope)
    return result, model, {"before": float(before), "after": float(after)}
