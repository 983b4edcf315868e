"""Callbacks of sparsification: watch the gap to the sparse set, hold a mask."""

import numpy as np
import tensorflow as tf
import keras

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
    """

    def __init__(self, objective, tolerance=0.01, validation_data=None, check_every=10):
        super().__init__()
        if tolerance <= 0:
            raise ValueError(f"tolerance must be > 0, got {tolerance}.")
        self.objective = objective
        self.tolerance = float(tolerance)
        self.validation_data = validation_data
        self.check_every = int(check_every)
        self.reached = False

    def _at_final_target(self):
        return int(self.objective.step.numpy()) >= self.objective.ramp_steps

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.check_every:
            return
        if self._at_final_target() and float(self.objective.gap.numpy()) < self.tolerance:
            self.reached = True
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs["sparse_gap_now"] = float(self.objective.gap.numpy())
        logs["target_sparsity"] = float(self.objective.target_at(self.objective.step))
        if self.validation_data is not None:
            logs["val_accuracy"] = accuracy(self.model, *self.validation_data)


class HoldMask(keras.callbacks.Callback):
    """Keeps pruned weights at zero while training (fine-tuning a sparse network).

    Args:
        masks: `{variable path: mask}` as returned by `SparsityObjective.snap`
            or `masks_of`; 1 keeps a weight, 0 holds it at zero.

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
            pairs.append((variable, tf.constant(mask, variable.dtype)))

        @tf.function
        def apply():
            for variable, mask in pairs:
                variable.assign(variable * mask)

        self._apply = apply
        apply()

    def on_train_batch_end(self, batch, logs=None):
        self._apply()
