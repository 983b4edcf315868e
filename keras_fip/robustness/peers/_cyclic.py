"""The cyclic SGD run that FGE and snapshot ensembles share: snapshots at given steps.

Both return the cost counted like the other methods (`steps`, `examples` =
steps x batch through the network forward and backward, `validation_examples`
= 0, `total_examples`, `seconds`), so the report compares compute.
"""

import math

import numpy as np
import keras

from keras_fip import checks
from keras_fip.engine.networks import fresh_copy, outputs_are_logits
from keras_fip.engine.training import fit_supervised
from keras_fip.robustness.ensemble import AVERAGES


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


def batch_order(x, batch_size, steps, seed):
    """Exactly `steps` shuffled batches of indices: reshuffled passes over the data."""
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(x))
                            for _ in range(math.ceil(steps * batch_size / len(x)) + 1)])
    return order[:steps * batch_size]


def train_cyclic(network, x, y, schedule, steps, snapshot_steps, batch_size, momentum, seed,
                 verbose, what):
    """SGD under `schedule` for `steps` batches (one pre-ordered pass); the snapshots and cost."""
    order = batch_order(x, batch_size, steps, seed)
    snapshots = CycleSnapshots(snapshot_steps)
    # One Keras pass over arrays already in the seeded batch order: no shuffle.
    fitted = fit_supervised(
        network, x[order], y[order], optimizer=keras.optimizers.SGD(schedule, momentum=momentum),
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=outputs_are_logits(network, x[:8])),
        epochs=1, batch_size=batch_size, shuffle=False, callbacks=[snapshots], verbose=verbose,
        what=f"The {what}'s loss", advice="Try a smaller learning rate",
    )
    examples = int(steps * batch_size)  # `batch_order` gives full batches only
    return snapshots.members, {"steps": int(steps), "examples": examples,
                               "validation_examples": 0, "total_examples": examples,
                               "seconds": fitted.seconds}


def check(x, y, network, members, cycle_steps, batch_size, lr_max, lr_min, momentum, average):
    """The cyclic run's arguments, checked before any training."""
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
