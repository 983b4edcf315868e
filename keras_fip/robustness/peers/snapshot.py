"""Snapshot ensembles (Huang et al. 2017): members at the ends of cosine-annealed cycles.

From scratch, SGD with momentum under cosine annealing with warm restarts
(`keras.optimizers.schedules.CosineDecayRestarts`); a member is taken at the end
of every cycle, just before the restart.
"""

import numpy as np
import keras

from keras_fip import checks
from keras_fip.robustness.ensemble import FIPEnsemble
from keras_fip.robustness.peers._cyclic import check, train_cyclic
from keras_fip.robustness.registry import Built, EnsembleMethod


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
    x, y, members, cycle, batch_size, lr_max, _ = check(
        x, y, network, members, cycle, batch_size, lr_max, 0.0, momentum, average)
    schedule = keras.optimizers.schedules.CosineDecayRestarts(lr_max, cycle, t_mul=1.0, m_mul=1.0,
                                                              alpha=0.0)
    ends = [(k + 1) * cycle for k in range(members)]
    snaps, cost = train_cyclic(network, x, y, schedule, members * cycle, ends, batch_size,
                               momentum, seed, verbose, "snapshot ensemble")
    return FIPEnsemble(snaps, average=average, name="snapshot_ensemble"), cost


def _build(inputs):
    """The start's step budget plus the FIP path's, from scratch."""
    c = inputs.config
    steps = inputs.start_cost["steps"] + inputs.path_budget
    ensemble, cost = snapshot_ensemble(inputs.build, inputs.x_fit, inputs.y_fit,
                                       members=c.members, steps=max(steps, 2 * c.members),
                                       lr_max=c.snapshot_lr, batch_size=c.batch_size,
                                       average=c.average, seed=1000 * c.seed + 500,
                                       verbose=c.verbose)
    settings = {"steps": cost["steps"], "lr_max": c.snapshot_lr, "momentum": 0.9,
                "batch_size": c.batch_size}
    return Built(ensemble, cost, settings)


SNAPSHOT = EnsembleMethod(
    label="snapshot_ensemble",
    description="snapshot ensemble from scratch: SGD, cosine annealing with "
                "restarts, a member at each cycle's end",
    build=_build, from_start=False, settings_key="snapshot",
    options=("snapshot_lr",), grid={"snapshot_lr": (0.01, 0.02, 0.05)},
)
