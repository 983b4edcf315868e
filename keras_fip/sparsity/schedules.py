"""Sparsity schedules: the target sparsity after each step of a path.

Small serialisable objects, as tfmot's `PruningSchedule`s are: a
`SparsityObjective` asks its schedule what to aim at after `step` steps.

- `ConstantSparsity(s)`: the target from the first step (the paper's).
- `PolynomialSparsity(s, ramp_steps, initial_sparsity, power)`: from
  `initial_sparsity` to `s` over `ramp_steps` steps along a polynomial, like
  tfmot's `PolynomialDecay` (power 3 by default).
"""

import numpy as np
import keras
from keras import ops

from keras_fip import checks
from keras_fip.engine import backend


def check_sparsity(sparsity, what="sparsity"):
    """Returns `sparsity` as a float in [0, 1), or raises a clear ValueError."""
    try:
        value = float(sparsity)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number in [0, 1), got {sparsity!r}.") from None
    if not 0.0 <= value < 1.0 or np.isnan(value):
        raise ValueError(
            f"{what} must be in [0, 1) (the fraction of weights set to zero), got {sparsity!r}."
        )
    return value


class SparsitySchedule:
    """Base class: `schedule(step)` -> the target sparsity (a float32 tensor or a float).

    Subclasses set `final_sparsity` and `ramp_steps` and implement `__call__` and
    `get_config` (registered with Keras, they save with the objective).

    Raises:
        NotImplementedError: a subclass that does not implement `__call__` or `get_config`.

    Example:
        >>> @keras.saving.register_keras_serializable("mine")
        ... class Step(SparsitySchedule):
        ...     def __init__(self, sparsity, at):
        ...         self.final_sparsity, self.ramp_steps = sparsity, at
        ...     def __call__(self, step):
        ...         return keras.ops.where(step < self.ramp_steps, 0.0, self.final_sparsity)
        ...     def get_config(self):
        ...         return {"sparsity": self.final_sparsity, "at": self.ramp_steps}
        >>> pull = SparsityObjective(schedule=Step(0.9, at=100))
    """

    #: the target once the schedule is done.
    final_sparsity = 0.0
    #: steps until the final target is aimed at (0: from the first step).
    ramp_steps = 0

    def __call__(self, step):
        raise NotImplementedError

    def get_config(self):
        raise NotImplementedError

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable("keras_fip")
class ConstantSparsity(SparsitySchedule):
    """The same target at every step.

    Args:
        sparsity: the target fraction of zero weights, in [0, 1).

    Raises:
        ValueError: a sparsity outside [0, 1).

    Example:
        >>> ConstantSparsity(0.95)(step=10)   # 0.95
    """

    def __init__(self, sparsity):
        self.final_sparsity = check_sparsity(sparsity)

    def __call__(self, step):
        if backend.is_tensorflow():
            import tensorflow as tf

            return tf.constant(self.final_sparsity, tf.float32)
        # A Python number: the magnitude cut then counts what it prunes statically.
        return self.final_sparsity

    def get_config(self):
        return {"sparsity": self.final_sparsity}


@keras.saving.register_keras_serializable("keras_fip")
class PolynomialSparsity(SparsitySchedule):
    """From `initial_sparsity` to `sparsity` over `ramp_steps` steps.

    `s(t) = s - (s - s0) * (1 - min(t / ramp_steps, 1)) ** power`.

    Args:
        sparsity: the final target `s`, in [0, 1).
        ramp_steps: steps until it is reached, at least 1.
        initial_sparsity: the target `s0` at step 0, at most `sparsity`.
        power: the ramp's exponent, positive (3, like tfmot's `PolynomialDecay`).

    Raises:
        ValueError: sparsities outside [0, 1), `initial_sparsity` above
            `sparsity`, `ramp_steps` below 1 or a power that is not positive.

    Example:
        >>> PolynomialSparsity(0.9, ramp_steps=100)(step=50)   # 0.7875
    """

    def __init__(self, sparsity, ramp_steps, initial_sparsity=0.0, power=3.0):
        self.final_sparsity = check_sparsity(sparsity)
        self.initial_sparsity = check_sparsity(initial_sparsity, "initial_sparsity")
        if self.initial_sparsity > self.final_sparsity:
            raise ValueError("initial_sparsity must not exceed sparsity.")
        self.ramp_steps = checks.count(ramp_steps, "ramp_steps")
        self.power = checks.number(power, "power", minimum=0, strict=True)

    def __call__(self, step):
        if backend.is_tensorflow():
            import tensorflow as tf

            progress = tf.minimum(tf.cast(step, tf.float32) / self.ramp_steps, 1.0)
        else:
            progress = ops.minimum(ops.cast(step, "float32") / self.ramp_steps, 1.0)
        span = self.final_sparsity - self.initial_sparsity
        return self.final_sparsity - span * (1.0 - progress) ** self.power

    def get_config(self):
        return {"sparsity": self.final_sparsity, "ramp_steps": self.ramp_steps,
                "initial_sparsity": self.initial_sparsity, "power": self.power}


def get(sparsity=None, ramp_steps=0, initial_sparsity=0.0, power=3.0):
    """The schedule for a target `sparsity` reached at once or along a ramp."""
    if not ramp_steps:
        return ConstantSparsity(sparsity)
    return PolynomialSparsity(sparsity, ramp_steps, initial_sparsity, power)
