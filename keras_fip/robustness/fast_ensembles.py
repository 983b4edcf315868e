"""Fast ensembles, the cheap peers of a FIP ensemble: FGE and snapshot ensembles.

- `fge_ensemble`: fast geometric ensembling (Garipov et al. 2018). From a trained
  network, SGD with momentum under a triangular cyclical learning rate
  (`TriangularCycle`: from `lr_max` down to `lr_min` at mid-cycle and back); a
  member is taken at every cycle's middle, where the rate is lowest.
- `snapshot_ensemble`: snapshot ensembles (Huang et al. 2017). From scratch, SGD
  with momentum under cosine annealing with warm restarts
  (`keras.optimizers.schedules.CosineDecayRestarts`); a member is taken at the
  end of every cycle, just before the restart.

Both return `(FIPEnsemble, cost)` with the cost counted like the other
baselines (`steps`, `examples` = steps x batch through the network forward and
backward, `validation_examples` = 0, `total_examples`, `seconds`) so the report
compares compute.
"""

import math
import time

import numpy as np
import keras

from keras_fip import checks
from keras_fip.engine.callbacks import NaNGuard
from keras_fip.engine.networks import fresh_copy, outputs_are_logits
from keras_fip.robustness.ensemble import AVERAGES, FIPEnsemble


@keras.saving.register_keras_serializable("keras_fip")
class TriangularCycle(keras.optimizers.schedules.LearningRateSchedule):
    """FGE's cyclical learning rate: `lr_max` -> `lr_min` at mid-cycle -> `lr_max`.

    With `t = (step mod cycle + 1) / cycle`: `(1 - 2t) lr_max + 2t lr_min` for
    `t <= 1/2`, else `(2 - 2t) lr_min + (2t - 1) lr_max` (Garipov et al., eq. 2).

    Args:
        lr_max: the learning rate at the start and end of each cycle.
        lr_min: the learning rate at mid-cycle.
        cycle: optimizer steps per cycle.

    Raises:
        ValueError: values that are not numbers (Python's conversion error).

    Example:
        >>> schedule = TriangularCycle(lr_max=0.05, lr_min=5e-4, cycle=100)
        >>> optimizer = keras.optimizers.SGD(schedule, momentum=0.9)
    """

    def __init__(self, lr_max, lr_min, cycle):
        self.lr_max, self.lr_min, self.cycle = float(lr_max), float(lr_min), int(cycle)

    def __call__(self, step):
        from keras import ops

        t = (ops.mod(ops.cast(step, "float32"), self.cycle) + 1.0) / self.cycle
        down = (1 - 2 * t) * self.lr_max + 2 * t * self.lr_min
        up = (2 - 2 * t) * self.lr_min + (2 * t - 1) * self.lr_max
        return ops.where(t <= 0.5, down, up)

    def get_config(self):
        return {"lr_max": self.lr_max, "lr_min": self.lr_min, "cycle": self.cycle}


class CycleSnapshots(keras.callbacks.Callback):
    """Copies the network after given optimizer steps (the members of a fast ensemble).

    Args:
        at_steps: the optimizer step counts after which a copy is taken.

    Attributes:
        members: the copies taken, in order.
        steps: the step count each was taken at.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> snapshots = CycleSnapshots(at_steps=[50, 150, 250])
        >>> network.fit(x, y, epochs=3, callbacks=[snapshots])
        >>> ensemble = FIPEnsemble(snapshots.members)
    """

    def __init__(self, at_steps):
        super().__init__()
        self.at_steps = set(int(s) for s in at_steps)
        self.members = []
        self.steps = []

    def on_train_batch_end(self, batch, logs=None):
        step = int(self.model.optimizer.iterations)
        if step in self.at_steps and step not in self.steps:
            self.members.append(fresh_copy(self.model))
            self.steps.append(step)


def _batches(x, y, batch_size, steps, seed):
    """Exactly `steps` shuffled batches: reshuffled passes over the data."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x))
                            for _ in range(math.ceil(steps * batch_size / len(x)) + 1)])
    return order[:steps * batch_size]


def _train_cyclic(network, x, y, schedule, steps, snapshot_steps, batch_size, momentum, seed,
                  verbose, what):
    network.compile(
        keras.optimizers.SGD(schedule, momentum=momentum),
        keras.losses.SparseCategoricalCrossentropy(from_logits=outputs_are_logits(network, x[:8])),
    )
    order = _batches(x, y, batch_size, steps, seed)
    snapshots, guard = CycleSnapshots(snapshot_steps), NaNGuard()
    start = time.perf_counter()
    network.fit(x[order], y[order], batch_size=batch_size, epochs=1, shuffle=False,
                verbose=verbose, callbacks=[guard, snapshots])
    seconds = time.perf_counter() - start
    if guard.triggered:
        raise FloatingPointError(f"The {what}'s loss became NaN or infinite; try a smaller "
                                 "learning rate.")
    examples = int(steps * batch_size)  # `_batches` gives full batches only
    return snapshots.members, {"steps": int(steps), "examples": examples,
                               "validation_examples": 0, "total_examples": examples,
                               "seconds": seconds}


def _check(x, y, network, members, cycle_steps, batch_size, lr_max, lr_min, momentum, average):
    members = checks.count(members, "members")
    cycle_steps = checks.count(cycle_steps, "cycle_steps", minimum=2)
    batch_size = checks.count(batch_size, "batch_size")
    lr_max = checks.number(lr_max, "lr_max", minimum=0, strict=True)
    lr_min = checks.number(lr_min, "lr_min", minimum=0)
    if lr_min > lr_max:
        raise ValueError(f"lr_min ({lr_min:g}) must not exceed lr_max ({lr_max:g}).")
    checks.number(momentum, "momentum", minimum=0, maximum=0.999)
    if average not in AVERAGES:
        raise ValueError(f"Unknown average {average!r}; choose one of {AVERAGES}.")
    x = checks.inputs(x, network, "x", empty="no training data (x is empty).")
    y = checks.labels(y, len(x), checks.num_classes(network), "y")
    return x, y, members, cycle_steps, batch_size, lr_max, lr_min


def fge_ensemble(network, x, y, *, members=10, cycle_steps=100, lr_max=0.05, lr_min=5e-4,
                 momentum=0.9, batch_size=32, average="probabilities", seed=0, verbose=0):
    """Fast geometric ensembling from a trained network (Garipov et al. 2018).

    Args:
        network: the trained network to start from (not modified).
        x, y: training inputs and integer labels.
        members: members to collect, one per cycle.
        cycle_steps: optimizer steps per cycle (the paper's `c`; even is best).
        lr_max, lr_min: the cycle's highest and lowest learning rates.
        momentum: SGD momentum.
        batch_size: examples per step.
        average: how the ensemble averages (`"probabilities"` or `"logits"`).
        seed: seed of the batch order.

    Returns:
        `(ensemble, cost)`: a `FIPEnsemble` named "fge_ensemble" and the cost of
        the cycles (`steps`, `examples`, `seconds`), not counting the start's
        training.

    Raises:
        TypeError: `network` is not a `keras.Model`.
        ValueError: an ensemble or an unbuilt network, inputs and labels that do
            not match, counts below 1, `lr_min` above `lr_max` or an unknown
            `average`.
        FloatingPointError: the loss became NaN or infinite.

    Example:
        >>> ensemble, cost = fge_ensemble(start, x_train, y_train, members=10, cycle_steps=100)
    """
    network = checks.classifier(network, "starting network")
    x, y, members, cycle_steps, batch_size, lr_max, lr_min = _check(
        x, y, network, members, cycle_steps, batch_size, lr_max, lr_min, momentum, average)
    keras.utils.set_random_seed(seed)
    walker = fresh_copy(network)
    steps = members * cycle_steps
    mid = [k * cycle_steps + cycle_steps // 2 for k in range(members)]
    snaps, cost = _train_cyclic(walker, x, y, TriangularCycle(lr_max, lr_min, cycle_steps), steps,
                                mid, batch_size, momentum, seed, verbose, "FGE cycle")
    return FIPEnsemble(snaps, average=average, name="fge_ensemble"), cost


def snapshot_ensemble(build, x, y, *, members=10, steps=1000, lr_max=0.1, momentum=0.9,
                      batch_size=32, average="probabilities", seed=0, verbose=0):
    """Snapshot ensemble trained from scratch (Huang et al. 2017).

    Args:
        build: a function returning a new, uncompiled classifier.
        x, y: training inputs and integer labels.
        members: members (cycles of cosine annealing); `steps` is split evenly.
        steps: the whole training budget in optimizer steps.
        lr_max: the learning rate at each restart.
        momentum, batch_size, average, seed: as for `fge_ensemble`.

    Returns:
        `(ensemble, cost)`: a `FIPEnsemble` named "snapshot_ensemble" and the
        whole training's cost.

    Raises:
        TypeError: `build` is not callable.
        ValueError: counts below 1, fewer than 2 steps per member, or inputs and
            labels that do not match.
        FloatingPointError: the loss became NaN or infinite.

    Example:
        >>> from keras_fip import models
        >>> ensemble, cost = snapshot_ensemble(
        ...     lambda: models.reference_cnn((8, 8, 1), 10), x_train, y_train,
        ...     members=5, steps=1000)
    """
    if not callable(build):
        raise TypeError(f"build must be a function returning a new network, got "
                        f"{type(build).__name__}.")
    members = checks.count(members, "members")
    steps = checks.count(steps, "steps", minimum=2 * members)
    keras.utils.set_random_seed(seed)
    network = build()
    if not network.built:
        network(np.asarray(x[:1], np.float32))
    network = checks.classifier(network, "network build() returned")
    cycle = steps // members
    x, y, members, cycle, batch_size, lr_max, _ = _check(
        x, y, network, members, cycle, batch_size, lr_max, 0.0, momentum, average)
    schedule = keras.optimizers.schedules.CosineDecayRestarts(lr_max, cycle, t_mul=1.0, m_mul=1.0,
                                                              alpha=0.0)
    ends = [(k + 1) * cycle for k in range(members)]
    snaps, cost = _train_cyclic(network, x, y, schedule, members * cycle, ends, batch_size,
                                momentum, seed, verbose, "snapshot ensemble")
    return FIPEnsemble(snaps, average=average, name="snapshot_ensemble"), cost


__all__ = ["CycleSnapshots", "TriangularCycle", "fge_ensemble", "snapshot_ensemble"]
