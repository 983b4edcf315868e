"""The pull towards sparsity: the secondary objective of FIP sparsification.

The paper moves a trained network along a functionally invariant path towards
the set of networks with a fraction `s` of zero weights. Its step direction is

    normalise(grad D + lambda * (w - P_s(w)))

where P_s(w) zeroes the fraction `s` of weights with the smallest magnitude. The
second term is the gradient of `lambda / 2 * ||w - P_s(w)||^2` with the mask
held fixed, which is the loss this objective returns; `FIPModel` adds it to the
functional distance and the compiled `PathStep` normalises the sum.

Finding the magnitude threshold needs a sort of every prunable weight. The
reference recomputes it at every step, which costs several training steps'
worth of time; here the threshold and the mask live in variables on the device
and are recomputed every `threshold_every` steps (weights move at most one step
length per step, so the set drifts slowly). Between refreshes the pull acts on
the weights of the held mask.
"""

import types

import numpy as np
import keras
from keras import ops

from keras_fip import checks
from keras_fip.engine import backend
from keras_fip.engine.objectives import Objective
from keras_fip.sparsity import schedules
from keras_fip.sparsity.prunable import SCOPES, prunable_variables
from keras_fip.sparsity.schedules import check_sparsity  # noqa: F401  (public here too)
from keras_fip.sparsity.thresholds import (  # noqa: F401  (public here too)
    floored_thresholds, magnitude_threshold, structured_mask,
)

GRANULARITIES = ("global", "per_layer")


def parse_structure(structure):
    """`"N:M"` (keep N of every M consecutive input weights) -> (N, M), or None."""
    if structure is None:
        return None
    try:
        keep, group = (int(v) for v in str(structure).split(":"))
    except ValueError:
        raise ValueError(f"structure must look like '2:4', got {structure!r}.") from None
    if not 0 < keep < group:
        raise ValueError(f"structure N:M needs 0 < N < M, got {structure!r}.")
    return keep, group


def check_min_density(value):
    """`min_density` as a float in [0, 1), or a clear ValueError."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"min_density must be a number in [0, 1), got {value!r}.") from None
    if not 0.0 <= number < 1.0 or np.isnan(number):
        raise ValueError(f"min_density must be in [0, 1) (the least fraction of each layer's "
                         f"weights kept), got {value!r}.")
    return number


@keras.saving.register_keras_serializable("keras_fip")
class SparsityObjective(Objective):
    """Pulls the weights towards their magnitude projection `P_s(w)`.

    Args:
        sparsity: target fraction of zero weights, in [0, 1). With `structure`
            it may be omitted (it is then `1 - N/M`); with `schedule` too.
        weight: lambda, the strength of the pull (the paper uses 0.1 with
            fixed-length steps of 0.01).
        schedule: a `SparsitySchedule` (`ConstantSparsity`, the paper's, or
            `PolynomialSparsity`): the target after each step. Default: built
            from `sparsity` and the ramp arguments below.
        ramp_steps: 0 (default) aims at the target from the first step, as in
            the paper; otherwise the target grows from `initial_sparsity` to
            `sparsity` over this many steps along a polynomial of `power`
            (`PolynomialSparsity`).
        initial_sparsity: start of the ramp.
        power: exponent of the ramp (3, like tfmot's `PolynomialDecay`).
        scope: which weights count: `"kernels"` (default), `"kernels_and_biases"`
            or `"all"` (normalisation parameters too).
        granularity: `"global"` (one magnitude threshold over all counted
            weights, the paper's) or `"per_layer"` (each variable to `sparsity`).
        structure: `"N:M"`, e.g. `"2:4"`: keep the N largest of every M
            consecutive weights along the input axis (variables whose input axis
            is not a multiple of M are left dense and listed in `skipped`).
        threshold_every: steps between exact recomputations of the threshold
            (1 recomputes every step, like the reference code).
        min_density: the least fraction of each variable's weights kept (0:
            none, the paper's plain global cut, which can empty a small layer).
            With `"global"` the variables that would fall under it keep their
            largest `ceil(min_density * size)` weights and the cut over the
            others moves so that the overall sparsity stays the target.

    Raises:
        ValueError: a sparsity outside [0, 1) or none given, a sparsity that
            differs from the schedule's, a malformed `structure`, a ramp with a
            structure, an unknown granularity or scope, or a `min_density`
            outside [0, 1).

    Example:
        >>> pull = SparsityObjective(0.95, weight=0.1)
        >>> model = FIPModel.from_model(network, objectives=[pull])
        >>> model.compile(PathStep(0.01), loss=DistanceLoss())
        >>> model.fit(x, network.predict(x), callbacks=[SparsityMonitor(pull)])
        >>> pull.snap(model)   # exact zeros
    """

    def __init__(self, sparsity=None, weight=0.1, *, schedule=None, ramp_steps=0,
                 initial_sparsity=0.0, power=3.0, scope="kernels", granularity="global",
                 structure=None, threshold_every=50, min_density=0.0, name="sparsity",
                 **kwargs):
        super().__init__(weight=checks.number(weight, "weight", minimum=0), name=name, **kwargs)
        self.structure = structure
        self._nm = parse_structure(structure)
        if isinstance(schedule, dict):
            schedule = keras.saving.deserialize_keras_object(schedule)
        if schedule is not None and sparsity is not None and \
                abs(float(sparsity) - schedule.final_sparsity) > 1e-9:
            raise ValueError(f"sparsity {sparsity} differs from the schedule's final "
                             f"target {schedule.final_sparsity}.")
        if self._nm is not None:
            implied = 1.0 - self._nm[0] / self._nm[1]
            if sparsity is not None and abs(float(sparsity) - implied) > 1e-9:
                raise ValueError(
                    f"structure {structure} means sparsity {implied:g}; got sparsity {sparsity}."
                )
            if ramp_steps or (schedule is not None and schedule.ramp_steps):
                raise ValueError("A ramp is not available with N:M structure.")
            sparsity = implied
        if schedule is None:
            if sparsity is None:
                raise ValueError("SparsityObjective needs a target sparsity (or a structure).")
            schedule = schedules.get(sparsity, ramp_steps, initial_sparsity, power)
        self.schedule = schedule
        self.sparsity = schedule.final_sparsity
        threshold_every = checks.count(threshold_every, "threshold_every")
        if granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}.")
        if scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}.")
        self.scope = scope
        self.granularity = granularity
        self.threshold_every = int(threshold_every)
        self.min_density = check_min_density(min_density)
        self._pruned = None  # the model's weights this objective prunes (not its own)
        self.skipped = []
        self.gap_metric = keras.metrics.Mean(name="sparse_gap")

    # ------------------------------------------------------------ state
    @property
    def pruned_variables(self):
        """The model's variables this objective prunes (after `bind`)."""
        return None if self._pruned is None else self._pruned.variables

    def bind(self, model):
        if self._pruned is not None:
            return
        variables = prunable_variables(model, self.scope)
        if self._nm is not None:
            group = self._nm[1]
            usable = [v for v in variables if len(v.shape) >= 2 and v.shape[-2] % group == 0]
            self.skipped = [v.path for v in variables if not any(v is u for u in usable)]
            if not usable:
                raise ValueError(
                    f"No weight has an input axis divisible by {group} for structure "
                    f"{self.structure}: {self.skipped}."
                )
            variables = usable
        # Held outside Keras' tracking: they are the model's weights, not this layer's.
        self._check_min_density_fits(variables)
        self._pruned = types.SimpleNamespace(variables=variables)
        count = 1 if self._one_threshold else len(variables)
        # int32 off TensorFlow: JAX holds no int64 unless x64 is enabled.
        step_dtype = "int64" if backend.is_tensorflow() else "int32"
        self.step = self.add_weight(shape=(), dtype=step_dtype, initializer="zeros",
                                    trainable=False, name="step")
        self.thresholds = self.add_weight(shape=(count,), initializer=keras.initializers.Constant(-1.0),
                                          trainable=False, name="thresholds")
        self.gap = self.add_weight(shape=(), initializer="zeros", trainable=False, name="gap")
        # The mask of the last refresh, held between refreshes: the pull acts on
        # the same weights until the next one. (Holding the threshold instead lets
        # weights just above it, already half pulled in, drift back out.)
        self.held_masks = [self.add_weight(shape=v.shape, initializer="ones", trainable=False,
                                           name=f"held_mask_{i}")
                           for i, v in enumerate(variables)] if self._nm is None else []
        # Multiplies `weight`; a `SparsityMonitor` raises it when the path stalls.
        self.pull = self.add_weight(shape=(), initializer="ones", trainable=False, name="pull")

    @property
    def _one_threshold(self):
        return self.granularity == "global" and not self.min_density and self._nm is None

    def _check_min_density_fits(self, variables):
        if not self.min_density or self._nm is not None:
            return
        sizes = [int(np.prod(v.shape)) for v in variables]
        floors = sum(int(np.ceil(self.min_density * n)) for n in sizes)
        kept = sum(sizes) - int(np.floor(self.sparsity * sum(sizes)))
        if self.granularity == "global" and floors > kept:
            raise ValueError(
                f"min_density {self.min_density} keeps at least {floors} weights, but sparsity "
                f"{self.sparsity} keeps only {kept} of {sum(sizes)}; lower one of them.")

    def __call__(self, model):
        pull = self.pull if getattr(self, "pull", None) is not None else 1.0
        return self.weight * pull * self.call(model)

    @property
    def ramp_steps(self):
        """Steps until the schedule aims at its final target."""
        return self.schedule.ramp_steps

    def target_at(self, step):
        """The sparsity aimed at after `step` steps of the schedule."""
        return self.schedule(step)

    def _exact_thresholds(self, sparsity):
        # Selected magnitudes carry no gradient (and JAX cannot differentiate
        # through the while loop of the floored cut).
        magnitudes = [ops.reshape(ops.abs(ops.stop_gradient(ops.convert_to_tensor(v))), (-1,))
                      for v in self.pruned_variables]
        if self._one_threshold:
            return ops.reshape(magnitude_threshold(ops.concatenate(magnitudes, 0), sparsity), (1,))
        if self.granularity == "global":
            return floored_thresholds(magnitudes, sparsity, self.min_density)
        thresholds = []
        for m in magnitudes:  # each to the target, but keeping its floor
            n = int(m.shape[0])
            most = (n - int(np.ceil(self.min_density * n))) / n
            if isinstance(sparsity, (int, float, np.floating)):  # as a float32 tensor rounds it
                target = float(min(np.float32(sparsity), np.float32(most)))
            else:
                target = ops.minimum(ops.cast(sparsity, "float32"), most)
            thresholds.append(magnitude_threshold(m, target))
        return ops.stack(thresholds)

    def _masks(self, thresholds):
        if self._nm is not None:
            return [structured_mask(v, *self._nm) for v in self.pruned_variables]
        masks = []
        for i, v in enumerate(self.pruned_variables):
            threshold = thresholds[0 if self._one_threshold else i]
            masks.append(ops.cast(ops.abs(v) > threshold, v.dtype))
        return masks

    # ------------------------------------------------------------- step
    def _refresh(self, step):
        new = self._exact_thresholds(self.target_at(step))
        self.thresholds.assign(new)
        for held, mask in zip(self.held_masks, self._masks(new)):
            held.assign(mask)
        return new

    def call(self, model):
        if backend.is_tensorflow():
            return self._tf_call()
        self.step.assign(self.step + 1)
        step = ops.convert_to_tensor(self.step)
        if self._nm is None:
            # Traced by jax.jit: the branches return the new state and it is
            # assigned after the cond (an assignment inside a branch would leak
            # the branch's tracer into the step's state).
            def refresh():
                new = self._exact_thresholds(self.target_at(step))
                return new, self._masks(new)

            def hold():
                return (ops.convert_to_tensor(self.thresholds),
                        [ops.convert_to_tensor(m) for m in self.held_masks])

            due = ops.equal((step - 1) % self.threshold_every, 0)
            thresholds, masks = ops.cond(due, refresh, hold)
            self.thresholds.assign(thresholds)
            for held, mask in zip(self.held_masks, masks):
                held.assign(mask)
        else:
            masks = self._masks(None)
        masks = [ops.stop_gradient(m) for m in masks]
        # 1/2 ||w - P_s(w)||^2: its gradient is (w - P_s(w)) on the pruned weights.
        pruned = sum(ops.sum(ops.square(v * (1.0 - m))) for v, m in zip(self.pruned_variables, masks))
        gap = ops.sqrt(pruned)
        self.gap.assign(gap)
        self.gap_metric.update_state(gap)
        return 0.5 * pruned

    def _tf_call(self):
        import tensorflow as tf

        self.step.assign(self.step + 1)
        step = tf.convert_to_tensor(self.step)
        if self._nm is None:
            due = tf.equal((step - 1) % self.threshold_every, 0)
            tf.cond(due, lambda: self._refresh(step), lambda: tf.convert_to_tensor(self.thresholds))
            masks = [tf.convert_to_tensor(m) for m in self.held_masks]
        else:
            masks = [tf.stop_gradient(m) for m in self._masks(None)]
        pruned = tf.add_n([tf.reduce_sum(tf.square(v * (1.0 - m))) for v, m in zip(self.pruned_variables, masks)])
        gap = tf.sqrt(pruned)
        self.gap.assign(gap)
        self.gap_metric.update_state(gap)
        return 0.5 * pruned

    # --------------------------------------------------------- results
    def masks(self, model=None):
        """Exact masks (1 kept, 0 pruned) at the final target, as NumPy arrays."""
        if model is not None:
            self.bind(model)
        thresholds = None if self._nm is not None else self._exact_thresholds(self.sparsity)
        return [np.asarray(m) for m in self._masks(thresholds)]

    def refresh(self):
        """Recomputes the held thresholds exactly now; returns the exact gap (a float)."""
        if self._nm is None:
            self._refresh(self.step)
        return self.distance_to_sparse_set()

    def masks_at(self, sparsity):
        """Masks (tensors, 1 kept) of the magnitude cut at `sparsity`, now (after `bind`)."""
        thresholds = None if self._nm is not None else self._exact_thresholds(sparsity)
        return self._masks(thresholds)

    def distance_to_sparse_set(self, model=None):
        """||w - P_s(w)|| at the final target, computed exactly now."""
        masks = self.masks(model)
        return float(np.sqrt(sum(np.sum(np.square(np.asarray(v) * (1 - m)))
                                 for v, m in zip(self.pruned_variables, masks))))

    def snap(self, model=None):
        """Sets the pruned weights to exact zeros; returns `{variable path: mask}`."""
        masks = self.masks(model)
        for v, m in zip(self.pruned_variables, masks):
            v.assign(np.asarray(v) * m)
        return {v.path: m for v, m in zip(self.pruned_variables, masks)}

    def get_config(self):
        return {
            "weight": self.weight, "name": self.name,
            "schedule": keras.saving.serialize_keras_object(self.schedule),
            "scope": self.scope, "granularity": self.granularity,
            "structure": self.structure, "threshold_every": self.threshold_every,
            "min_density": self.min_density,
        }
