"""Callbacks of sparsification: watch the gap to the sparse set, hold a mask.

On JAX the model's variables hold the step's state only after a sync, which
reading `self.model` in a callback forces; a callback reads `self.model` before
it reads or writes any variable, and what it writes is then what the next step
starts from. A sync per batch stalls JAX's asynchronous dispatch, so on JAX the
masks are applied inside the compiled step instead (`InStepMasks`): `HoldMask`
touches the model only when training begins, `GradualMask` only when it
recomputes its mask (every `frequency` steps), and `SparsityMonitor` only every
`check_every` batches (every batch only while it grows the pull). On TensorFlow
the masks are applied by a `tf.function` after each step, as before.
"""

import json
import os

import numpy as np
import keras
from keras import ops

from keras_fip.engine import backend
from keras_fip.engine.networks import accuracy
from keras_fip.sparsity.prunable import masks_of  # noqa: F401  (public here too)


class SparsityMonitor(keras.callbacks.Callback):
    """Shows progress towards the sparse set and stops once it is reached.

    Adds to the logs (and so to the progress bar and `History`):
    `sparse_gap_now` (||w - P_s(w)|| after the last step), `target_sparsity`,
    and `val_accuracy` when validation data is given.

    Args:
        objective: the `SparsityObjective` being trained.
        tolerance: stop when the gap falls under it (the paper uses 0.01), once
            the schedule has reached its final target.
        validation_data: optional `(x, y)`; accuracy is measured at epoch end.
        check_every: batches between checks of the gap.
        pull_growth: 1 (the reference's constant lambda) or a factor > 1 by
            which the pull's lambda grows after each step while the gap to the
            sparse set is more than 0.4 of the length the path has left
            (the remaining steps' lengths summed). Near the sparse set the
            distance term balances a constant pull and the path circles short
            of it; a pull grown while the path is off this track points it at
            the set in time to arrive. (A pull that also shrank when ahead
            was tried: the distance term then undoes the progress faster than
            the shrinking steps can remake it.)
        budget: the path's step budget, and
        step_length: its step length (a number or a schedule), both needed
            with `pull_growth`.

    Raises:
        ValueError: a tolerance that is not positive, or `pull_growth` above 1
            without `budget` and `step_length`.

    Example:
        >>> pull = SparsityObjective(0.95, weight=0.1)
        >>> model = FIPModel.from_model(network, objectives=[pull])
        >>> model.fit(x, y, epochs=10, callbacks=[SparsityMonitor(pull, tolerance=0.01)])
    """

    def __init__(self, objective, tolerance=0.01, validation_data=None, check_every=10,
                 pull_growth=1.0, budget=None, step_length=None):
        super().__init__()
        if tolerance <= 0:
            raise ValueError(f"tolerance must be > 0, got {tolerance}.")
        self.objective = objective
        self.tolerance = float(tolerance)
        self.validation_data = validation_data
        self.check_every = int(check_every)
        self.reached = False
        #: The largest pull multiplier reached, and the steps on which it grew.
        self.max_pull = 1.0
        self.growth_steps = 0
        self.pull_growth = float(pull_growth)
        self.budget = None if budget is None else int(budget)
        self._left = None  # the length still to travel after each step
        if self.pull_growth > 1.0:
            if self.budget is None or step_length is None:
                raise ValueError("SparsityMonitor needs the path's budget and step_length "
                                 "to grow the pull.")
            lengths = np.array([float(step_length(i)) if callable(step_length)
                                else float(step_length) for i in range(self.budget)])
            self._left = np.concatenate([np.cumsum(lengths[::-1])[::-1], [0.0]])

    def _at_final_target(self):
        return int(self.objective.step.numpy()) >= self.objective.ramp_steps

    def on_train_batch_end(self, batch, logs=None):
        if self.pull_growth <= 1.0 and (batch + 1) % self.check_every:
            return  # nothing to do on this batch: leave the model alone (no sync on JAX)
        self.model  # noqa: B018  (on JAX: the objective's variables now hold the step's)
        if not self._at_final_target():
            return
        if self.pull_growth > 1.0:
            self._steer(int(self.objective.step.numpy()), float(self.objective.gap.numpy()))
        if (batch + 1) % self.check_every:
            return
        gap = float(self.objective.gap.numpy())
        if gap < 10 * self.tolerance:
            # Measured under the held threshold: near the set, hold the exact one.
            gap = self.objective.refresh()
            self.objective.gap.assign(gap)
        if gap < self.tolerance:
            self.reached = True
            self.model.stop_training = True

    def _steer(self, step, gap):
        left = self._left[min(step, self.budget)]
        if gap > 0.4 * left:  # off track: point the path more at the set
            # Capped: far past the distance term, and short of overflowing the loss.
            pull = min(float(self.objective.pull.numpy()) * self.pull_growth, 1e12)
            self.objective.pull.assign(pull)
            self.max_pull = max(self.max_pull, pull)
            self.growth_steps += 1

    def save_checkpoint(self, folder):
        """Keeps what the monitor counted in the path's checkpoint (see `traverse`)."""
        with open(os.path.join(folder, "sparsity_monitor.json"), "w") as f:
            json.dump({"reached": self.reached, "max_pull": self.max_pull,
                       "growth_steps": self.growth_steps}, f)

    def load_checkpoint(self, folder):
        path = os.path.join(folder, "sparsity_monitor.json")
        if os.path.exists(path):  # absent in checkpoints written before it was kept
            with open(path) as f:
                state = json.load(f)
            self.reached = bool(state["reached"])
            self.max_pull = float(state["max_pull"])
            self.growth_steps = int(state["growth_steps"])

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        self.model  # noqa: B018  (syncs on JAX)
        logs["sparse_gap_now"] = float(self.objective.gap.numpy())
        logs["target_sparsity"] = float(self.objective.target_at(self.objective.step))
        logs["pull"] = self.objective.weight * float(self.objective.pull.numpy())
        if self.validation_data is not None:
            logs["val_accuracy"] = accuracy(self.model, *self.validation_data)


class HoldMask(keras.callbacks.Callback):
    """Keeps pruned weights at zero while training (fine-tuning a sparse network).

    The masks are applied after every step: on JAX inside the compiled step
    (the callback reads the model only when training begins), on TensorFlow by
    a `tf.function` after each batch.

    Args:
        masks: `{variable path: mask}` as returned by `SparsityObjective.snap`
            or `masks_of`; 1 keeps a weight, 0 holds it at zero.

    Raises:
        ValueError: no masks; when training begins, a mask for a variable the
            model does not have, or of another shape.

    Example:
        >>> masks = pull.snap(network)
        >>> network.fit(x, y, callbacks=[HoldMask(masks)])
    """

    def __init__(self, masks):
        super().__init__()
        if not masks:
            raise ValueError("HoldMask needs at least one mask.")
        self.masks = dict(masks)
        self._apply = None
        self._in_step = None

    def on_train_begin(self, logs=None):
        by_path = {v.path: v for v in self.model.weights}
        # A FIPModel's variable paths carry its own name in front.
        pairs = []
        for path, mask in self.masks.items():
            variable = by_path.get(path)
            if variable is None:
                variable = next((v for p, v in by_path.items()
                                 if p.endswith("/" + path) or path.endswith("/" + p)), None)
            if variable is None:
                raise ValueError(f"HoldMask: the model has no variable {path!r}.")
            if tuple(variable.shape) != np.shape(mask):
                raise ValueError(f"HoldMask: mask for {path!r} has shape {np.shape(mask)}, "
                                 f"the variable {tuple(variable.shape)}.")
            pairs.append((variable, ops.convert_to_tensor(np.asarray(mask), variable.dtype)))
        self._apply = _masking(pairs)
        self._apply()
        # JAX: each step multiplies by the masks itself; the callback stays out of the loop.
        self._in_step = InStepMasks.install(self.model, pairs)

    def on_train_batch_end(self, batch, logs=None):
        if self._in_step is not None:
            return
        self.model  # noqa: B018  (syncs on JAX, so the zeros reach the next step)
        self._apply()

    def on_train_end(self, logs=None):
        self._in_step = InStepMasks.remove(self._in_step)


class GradualMask(keras.callbacks.Callback):
    """Gradual magnitude pruning while training (Zhu & Gupta 2017).

    Every `frequency` steps the mask is recomputed by the objective's magnitude
    cut at its schedule's target for that step (one global threshold for a
    `"global"` objective); between updates, and after every step, the pruned
    weights are held at zero (on JAX inside the compiled step: the callback
    reads the model only to recompute the mask).

    Args:
        objective: a bound `SparsityObjective` whose schedule is the pruning
            schedule (e.g. `PolynomialSparsity(s, ramp_steps, power=3)`, the
            cubic schedule) and whose `pruned_variables` are the model's.
        frequency: steps between mask updates.

    Raises:
        TypeError: a `frequency` that is not a number (the callers, such as
            `gradual_magnitude`, check its range before training).

    Example:
        >>> pull = SparsityObjective(schedule=PolynomialSparsity(0.95, 750))
        >>> pull.bind(network)
        >>> network.fit(x, y, callbacks=[GradualMask(pull, frequency=10)])
    """

    def __init__(self, objective, frequency=10):
        super().__init__()
        self.objective = objective
        self.frequency = int(frequency)
        self.step = 0
        self._masks = None
        self._in_step = None

    def on_train_begin(self, logs=None):
        variables = self.objective.pruned_variables
        if not backend.is_tensorflow():
            # Eager: the masks are plain arrays, replaced at each update.
            self._masks = [ops.ones(v.shape, v.dtype) for v in variables]

            def update(step):
                self._masks = list(self.objective.masks_at(self.objective.target_at(step)))
                if self._in_step is not None:  # the next steps multiply by the new masks
                    self._in_step.masks = tuple(self._masks)

            self._apply = lambda: [v.assign(v * m) for v, m in zip(variables, self._masks)]
            self._update = update
            # JAX: each step multiplies by the masks itself; the callback syncs
            # only to recompute them.
            self._in_step = InStepMasks.install(self.model, list(zip(variables, self._masks)))
            return
        import tensorflow as tf

        self._masks = [tf.Variable(tf.ones_like(v), trainable=False) for v in variables]

        @tf.function
        def apply():
            for variable, mask in zip(variables, self._masks):
                variable.assign(variable * mask)

        @tf.function
        def update(step):
            for mask, new in zip(self._masks, self.objective.masks_at(self.objective.target_at(step))):
                mask.assign(new)

        self._apply, self._update = apply, update

    def on_train_batch_begin(self, batch, logs=None):
        if self.step % self.frequency == 0:
            self.model  # noqa: B018  (syncs on JAX: the cut reads the current weights)
            self._update(self.step if not backend.is_tensorflow() else _tf_step(self.step))
            self._apply()

    def on_train_batch_end(self, batch, logs=None):
        if self._in_step is None:
            self.model  # noqa: B018  (syncs on JAX)
            self._apply()
        self.step += 1

    def on_train_end(self, logs=None):
        self._in_step = InStepMasks.remove(self._in_step)


def _tf_step(step):
    import tensorflow as tf

    return tf.constant(step, tf.int64)


def _masking(pairs):
    """`apply()`: multiplies each variable by its mask (a `tf.function` on TensorFlow)."""
    def apply():
        for variable, mask in pairs:
            variable.assign(variable * mask)

    if backend.is_tensorflow():
        import tensorflow as tf

        return tf.function(apply)
    return apply


class InStepMasks:
    """On JAX: variables multiplied by masks inside the compiled train step.

    `install(model, pairs)` makes every train step of `model` end by
    multiplying each variable of `pairs` (`(variable, mask)`) by its mask, the
    masks being arguments of the compiled step, so that replacing them
    (`masks`) costs no new trace. Until then a callback would read `self.model`
    after each step (on JAX a sync of the step's state into the variables,
    which stalls the asynchronous dispatch) to apply them eagerly.

    Keras' JAX trainer compiles `model.train_step(state, data)`; the installed
    step is Keras' own followed by the masks (traced once, then reused by later
    `fit`s of the same compiled model). The step finds its masks beside each
    batch: the train function is given an iterator that yields `(batch,
    masks)`. `remove` puts back the train function built before, so a later
    `fit` without masks runs the model's own step. A `fit` that ends in an
    exception skips `on_train_end`; the next `make_train_function` (which every
    `fit` calls first) then removes what was installed.

    `install` returns None (and the caller keeps its per-batch route) on any
    other backend, a model that is not Keras' JAX trainer, one that already
    holds masks in its step, or a mask for a variable the model does not hold.
    """

    def __init__(self, model, slots, masks):
        self.model = model
        self.slots = slots  # (0: trainable, 1: non-trainable, index in that list)
        self.masks = tuple(masks)
        self.saved_function = model.train_function
        self.function = None
        self.removed = False

    @classmethod
    def install(cls, model, pairs):
        if backend.name() != "jax" or not hasattr(model, "jax_state_sync") or \
                getattr(keras.config, "is_nnx_enabled", lambda: False)():
            return None  # (with Flax NNX, Keras compiles the class's train_step)
        if "make_train_function" in vars(model) or model.train_function is None:
            return None  # another holder's step (or the user's own) is in place; not in fit
        lists = (model.trainable_variables, model.non_trainable_variables)
        slots = []
        for variable, _ in pairs:
            slot = next(((kind, i) for kind, held in enumerate(lists)
                         for i, v in enumerate(held) if v is variable), None)
            if slot is None:
                return None
            slots.append(slot)
        masks = cls(model, slots, [ops.convert_to_tensor(m, v.dtype) for v, m in pairs])
        masks._patch()
        return masks

    def _patch(self):
        model, kind = self.model, type(self.model)

        def train_step(state, data):
            data, masks = data
            logs, state = kind.train_step(model, state, data)
            trainable, non_trainable, *rest = state
            held = [list(trainable), list(non_trainable)]
            for (which, i), mask in zip(self.slots, masks):
                held[which][i] = held[which][i] * mask
            return logs, (held[0], held[1], *rest)

        def make_train_function(force=False):
            # A new `fit` (or `train_on_batch`) begins: what this fit installed goes.
            InStepMasks.remove(self)
            return model.make_train_function(force=force)

        # The masked step of the last `fit` serves again while the model's own
        # step is the same one (no new `compile`) and the same variables are masked.
        key = (self.saved_function, tuple(self.slots))
        cached = getattr(model, "_keras_fip_masked_step", None)
        if cached is not None and cached[0] is key[0] and cached[1] == key[1]:
            traced = cached[2]
        else:
            model.train_step = train_step  # what Keras compiles (read once, when built)
            try:
                model.make_train_function(force=True)
            finally:
                vars(model).pop("train_step", None)
            traced = model.train_function
            object.__setattr__(model, "_keras_fip_masked_step", (*key, traced))  # untracked
        self.function = lambda state, iterator: traced(state, _WithMasks(iterator, self))
        model.train_function = self.function
        model.make_train_function = make_train_function

    @staticmethod
    def remove(masks):
        """Puts back the model's own step; returns None (for `self._in_step = remove(...)`)."""
        if masks is None or masks.removed:
            return None
        model = masks.model
        vars(model).pop("make_train_function", None)
        if model.train_function is masks.function:  # (a new `compile` leaves None there)
            model.train_function = masks.saved_function
        masks.removed = True
        return None


class _WithMasks:
    """The batches of `iterator`, each with the masks the step multiplies by."""

    def __init__(self, iterator, holder):
        self.iterator, self.holder = iterator, holder

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.iterator), self.holder.masks


class PathPoints(keras.callbacks.Callback):
    """Records points along a pruning run: what the network keeps as it is pruned.

    Every `every` steps (and before the first) it appends to `records`:
    `step`, `target_sparsity` (from `schedule`, when given), `sparsity`
    (measured zeros over `scope`), `val_distance` (mean exact Bhattacharyya
    distance to `probe_outputs`, the starting network's outputs on `probe`,
    label-free) and `val_accuracy` when `validation_data` is given. The same
    figures `sparsify_ramp` records along its path, so that any method's run
    can be drawn beside it.

    Example:
        >>> points = PathPoints(50, x_val, dense.predict(x_val), (x_val, y_val))
        >>> gradual_magnitude(dense, x, y, sparsity=0.98, callbacks=[points])
        >>> [p["val_accuracy"] for p in points.records]
    """

    def __init__(self, every, probe, probe_outputs, validation_data=None, schedule=None,
                 scope="kernels_and_biases", from_logits=True):
        super().__init__()
        from keras_fip.engine.distances import Bhattacharyya

        self.every = int(every)
        self.probe, self.probe_outputs = probe, probe_outputs
        self.validation_data = validation_data
        self.schedule = schedule
        self.scope = scope
        self._distance = Bhattacharyya(from_logits=from_logits)
        self.records = []
        self.step = 0

    def _record(self):
        from keras_fip.sparsity.prunable import measured_sparsity

        network = self.model
        record = {"step": self.step,
                  "sparsity": measured_sparsity(network, self.scope)[0],
                  **point(network, self.probe, self.probe_outputs, self._distance,
                          self.validation_data)}
        if self.schedule is not None:
            record["target_sparsity"] = float(self.schedule(self.step))
        self.records.append(record)

    def on_train_begin(self, logs=None):
        if not self.records:
            self._record()

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.every == 0:
            self._record()


def point(model, probe, probe_outputs, distance, validation_data):
    """The distance to the start on `probe`, and validation accuracy if labelled data is given."""
    outputs = model.predict(probe, batch_size=1000, verbose=0)
    figures = {"val_distance": float(np.mean(np.asarray(distance(probe_outputs, outputs))))}
    if validation_data is not None:
        figures["val_accuracy"] = accuracy(model, *validation_data)
    return figures
