"""`traverse`: walk a functionally invariant path from a trained network.

The engine's central act, of which sparsification and ensemble growth are short
recipes: copy the network (the input is never touched), cache its outputs on the
protected inputs once (the anchor), and take exactly `steps` steps that keep the
output distance to the anchor small while the objectives improve. The driver owns
the copy, the anchor, the batches, the step budget, the NaN guard, the records,
the timing, and checkpoints from which a killed path continues exactly where it
stopped.
"""

import dataclasses
import json
import time
import warnings

import numpy as np
import keras

from keras_fip.checks import finite as check_finite
from keras_fip.engine.batches import epoch_length, path_batches
from keras_fip.engine.callbacks import NaNGuard, PathCheckpoint, PathRecorder
from keras_fip.engine.distances import DistanceLoss
from keras_fip.engine.model import FIPModel
from keras_fip.engine import networks
from keras_fip.engine.networks import fresh_copy, outputs_are_logits
from keras_fip.engine.steps import PathStep


@dataclasses.dataclass
class PathResult:
    """Where a path ended: what `traverse` returns.

    Args:
        network: the walked copy of the network, at the end of the path.
        fip_model: the `FIPModel` that walked it (objectives, optimizer state).
            Read as `result.model` before issue 23 (still served, with a
            warning, for one release): every other result's `.model` is a network.
        steps: steps taken in all (fewer than the budget when a callback
            stopped the path).
        records: one record per epoch of the path (see `PathRecorder`).
        seconds: wall time, including what a resumed checkpoint had spent.
        resumed_at: the step a checkpoint resumed from (0: a fresh start).

    Raises:
        TypeError: a required field is missing (a dataclass).

    Example:
        >>> result = traverse(network, x, steps=200, step_length=0.01)
        >>> result.steps, result.records[-1]["weight_distance"]
    """

    network: keras.Model
    fip_model: FIPModel
    steps: int
    records: list
    seconds: float
    resumed_at: int = 0

    @property
    def model(self):
        """The `FIPModel` that walked the path: deprecated, read `fip_model`."""
        warnings.warn("PathResult.model is now PathResult.fip_model; the old name goes in the "
                      "next release.", DeprecationWarning, stacklevel=2)
        return self.fip_model


def traverse(network, x, *, steps, objectives=(), step_length=0.01, momentum=0.0,
             decay=False, optimizer=None, distance="bhattacharyya", batch_size=200,
             epoch_steps=None, freeze_batch_norm=False, distance_reduction="mean", callbacks=(),
             checkpoint_dir=None, seed=0, verbose=0, name="path"):
    """Walks a functionally invariant path from `network` for `steps` steps.

    Each step lowers `D(anchor outputs, outputs)` on a batch of `x` (the anchor
    outputs are the starting network's, computed once) plus the objectives. By
    default the steps have a fixed length (`PathStep`, the paper's path sampler).

    Args:
        network: the trained starting network (a `keras.Model`); not modified.
        x: the protected inputs, whose outputs the path keeps.
        steps: the step budget.
        objectives: secondary objectives (`Objective`s) the path improves.
        step_length: length of each step in weight space (ignored with
            `optimizer`).
        momentum: heavy-ball momentum of the steps.
        decay: shrink the step length along a cosine to 5% by the last step.
        optimizer: a Keras optimizer instead of `PathStep`.
        distance: the output distance (a name, `Distance` or function).
        batch_size: inputs per step.
        epoch_steps: steps per Keras epoch (logs, records and checkpoints come
            once an epoch); default about one pass over `x`, dividing `steps`.
        freeze_batch_norm: run BatchNormalization in inference mode and keep
            its parameters, so the path moves the function the anchor measured.
        distance_reduction: `"mean"` (default) or `"sum"` of the distance over
            the batch; the reference's sparsification sums it, so its objective
            weights mean `batch_size` times less against it.
        callbacks: more Keras callbacks. A callback that also has
            `save_checkpoint(folder)` and `load_checkpoint(folder)` keeps its own
            state in the path's checkpoints.
        checkpoint_dir: if given, the path is checkpointed there after every
            epoch, and a path finding a checkpoint there continues from it,
            ending exactly where an uninterrupted one would. A checkpoint made
            with other settings is refused.
        seed: seed of the batch order and of the model's random streams.
        verbose: Keras fit verbosity.
        name: what the path is called in errors ("sparsification path", ...).

    Returns:
        A `PathResult`.

    Raises:
        FloatingPointError: the loss became NaN or infinite; the input network
            is unchanged.

    Example:
        >>> pull = SparsityObjective(0.9)
        >>> result = traverse(network, x_train, steps=1000, objectives=[pull])
        >>> pull.snap(result.network)
    """
    if not isinstance(network, keras.Model) or not network.built:
        raise TypeError(f"traverse needs a built keras.Model, got {type(network).__name__}.")
    steps, batch_size = int(steps), int(batch_size)
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be at least 1, got {steps} and {batch_size}.")
    if distance_reduction not in ("mean", "sum"):
        raise ValueError(f"distance_reduction must be 'mean' or 'sum', got {distance_reduction!r}.")
    x = check_finite(np.asarray(x, np.float32), "x")
    if len(x) == 0:
        raise ValueError(f"The {name} got no inputs (x is empty).")
    epoch_steps = epoch_steps or epoch_length(steps, len(x), batch_size)
    if steps % epoch_steps:
        raise ValueError(f"epoch_steps ({epoch_steps}) must divide steps ({steps}).")
    started = time.perf_counter()
    anchors = network.predict(x, batch_size=1024, verbose=0)
    walker = fresh_copy(network)
    if freeze_batch_norm:
        networks.freeze_batch_norm(walker)  # the argument of that name is a bool
    from_logits = outputs_are_logits(network, x[:8])
    loss = DistanceLoss(distance, from_logits=from_logits,
                        reduction="sum" if distance_reduction == "sum" else "sum_over_batch_size")
    model = FIPModel.from_model(walker, objectives=list(objectives), seed=seed)
    if optimizer is None:
        length = (keras.optimizers.schedules.CosineDecay(step_length, steps, alpha=0.05)
                  if decay else step_length)
        optimizer = PathStep(length, momentum=momentum)
    model.compile(optimizer=optimizer, loss=loss,
                  # The distance shown and recorded is the per-input mean either way.
                  metrics=[keras.metrics.MeanMetricWrapper(
                      DistanceLoss(distance, from_logits=from_logits),
                      name="distance")])

    settings = {"steps": steps, "batch_size": int(batch_size), "seed": int(seed),
                "epoch_steps": int(epoch_steps), "samples": int(len(x)),
                "optimizer": keras.saving.serialize_keras_object(optimizer),
                "objectives": [keras.saving.serialize_keras_object(o) for o in objectives]}
    if distance_reduction != "mean":  # absent by default: older checkpoints still match
        settings["distance_reduction"] = distance_reduction
    settings = json.loads(json.dumps(settings, default=str))
    extra = list(callbacks)
    recorder = PathRecorder(start_weights=walker.trainable_weights)
    guard = NaNGuard()
    checkpoint = None if checkpoint_dir is None else PathCheckpoint(
        checkpoint_dir, settings, [recorder, *extra], guard)
    start_step, spent = 0, 0.0
    if checkpoint is not None:
        start_step, spent = checkpoint.restore(model)
    if start_step < steps and not (checkpoint and checkpoint.finished):
        # The guard comes first: after a non-finite epoch it restores the weights
        # and stops the path before any other callback sees the broken epoch.
        model.fit(
            path_batches(x, anchors, batch_size, seed, start_step),
            epochs=steps // epoch_steps, initial_epoch=start_step // epoch_steps,
            steps_per_epoch=epoch_steps, shuffle=False, verbose=verbose,
            # The recorder after the others: it records what they added to the logs.
            callbacks=[guard, *extra, recorder, *([checkpoint] if checkpoint else [])],
        )
    guard.raise_if_triggered(
        f"The {name}'s loss became NaN or infinite in epoch {(guard.epoch or 0) + 1}",
        "Try a shorter step or a smaller objective weight; the input network is unchanged",
    )
    seconds = spent + time.perf_counter() - started
    return PathResult(network=walker, fip_model=model, steps=int(model.optimizer.iterations),
                      records=recorder.records, seconds=seconds, resumed_at=start_step)
