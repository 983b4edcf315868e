"""Fast geometric ensembling (Garipov et al. 2018): members at the middles of cyclic SGD.

From a trained network, SGD with momentum under a triangular cyclical learning
rate (`TriangularCycle`: from `lr_max` down to `lr_min` at mid-cycle and back);
a member is taken at every cycle's middle, where the rate is lowest.
"""

import keras

from keras_fip import checks
from keras_fip.engine.networks import fresh_copy
from keras_fip.robustness.ensemble import FIPEnsemble
from keras_fip.robustness.peers._cyclic import check, train_cyclic
from keras_fip.robustness.registry import Built, EnsembleMethod


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
    x, y, members, cycle_steps, batch_size, lr_max, lr_min = check(
        x, y, network, members, cycle_steps, batch_size, lr_max, lr_min, momentum, average)
    keras.utils.set_random_seed(seed)
    walker = fresh_copy(network)
    steps = members * cycle_steps
    mid = [k * cycle_steps + cycle_steps // 2 for k in range(members)]
    snaps, cost = train_cyclic(walker, x, y, TriangularCycle(lr_max, lr_min, cycle_steps), steps,
                               mid, batch_size, momentum, seed, verbose, "FGE cycle")
    return FIPEnsemble(snaps, average=average, name="fge_ensemble"), cost


def _cycle_steps(inputs):
    """FGE's cycle: the FIP path's budget shared among the members."""
    return max(2, inputs.path_budget // inputs.config.members)


def _build(inputs):
    c = inputs.config
    ensemble, cost = fge_ensemble(inputs.start, inputs.x_fit, inputs.y_fit, members=c.members,
                                  cycle_steps=_cycle_steps(inputs), lr_max=c.fge_lr_max,
                                  lr_min=c.fge_lr_min, batch_size=c.batch_size,
                                  average=c.average, seed=c.seed, verbose=c.verbose)
    settings = {"cycle_steps": _cycle_steps(inputs), "lr_max": c.fge_lr_max,
                "lr_min": c.fge_lr_min, "momentum": 0.9, "batch_size": c.batch_size}
    return Built(ensemble, cost, settings)


FGE = EnsembleMethod(
    label="fge_ensemble",
    description="fast geometric ensembling from the start: SGD, triangular cyclical "
                "learning rate, a member at each cycle's middle",
    build=_build, from_start=True, settings_key="fge",
    options=("fge_lr_max", "fge_lr_min"),
    # Tuned with the lowest rate a hundredth of the highest.
    grid={"fge_lr_max": (0.01, 0.02, 0.05)},
    tuned=lambda point: {"fge_lr_max": point["fge_lr_max"],
                         "fge_lr_min": point["fge_lr_max"] / 100},
)
