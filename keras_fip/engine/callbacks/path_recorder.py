"""`PathRecorder`: a callback that records the networks a training run passes through.

The paper's figures are about networks along a path: how far each is from the
start in weight space, how its losses and accuracies evolve, and the networks
themselves. This callback keeps those, once per epoch.
"""

import json
import os

import numpy as np
import keras

from keras_fip.engine.networks import accuracy


def _weight_distance(weights, start):
    """The L2 norm of `weights - start`, summed over the variables, in float64.

    float64 whatever the variables' dtype: squaring a float16 or float32 difference
    overflows long before the distance itself does. A diverged network (inf or NaN
    weights) gets an inf or NaN distance, recorded without a numpy warning:
    `NaNGuard` is what reports the divergence.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        total = sum(np.sum(np.square(np.asarray(w, np.float64) - np.asarray(s, np.float64)))
                    for w, s in zip(weights, start))
        return float(np.sqrt(total))


class PathRecorder(keras.callbacks.Callback):
    """Records, once per epoch, the logs, the weight distance from the start of
    the path and accuracies on given data; optionally saves the network.

    Args:
        evaluate: optional `{name: (x, y)}`; the accuracy on each is recorded
            (argmax of the outputs against integer labels).
        checkpoint_dir: if given, the network at the end of every
            `checkpoint_every`-th epoch is saved there as `point_<epoch>.keras`.
        checkpoint_every: epochs between saved networks.
        start_weights: the weights the path started from (`trainable_weights`
            order); default: the model's when training begins. A resumed path
            passes its true start.

    Raises:
        ValueError: `checkpoint_every` below 1.

    Attributes:
        records: one dict per epoch: `epoch`, the fit logs (loss, fip_distance,
            metrics), `weight_distance` (L2 norm of w - w_start) and
            `<name>_accuracy` for each entry of `evaluate`.

    Example:
        >>> recorder = PathRecorder(evaluate={"task_a": (x_a, y_a)})
        >>> model.fit(x_b, y_b, epochs=10, callbacks=[recorder])
        >>> [r["task_a_accuracy"] for r in recorder.records]
    """

    def __init__(self, evaluate=None, checkpoint_dir=None, checkpoint_every=1, start_weights=None):
        super().__init__()
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be at least 1, got {checkpoint_every}.")
        self.evaluate = dict(evaluate or {})
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = int(checkpoint_every)
        self.records = []
        self._start = None if start_weights is None else [np.asarray(w) for w in start_weights]

    def _weights(self):
        return [np.asarray(w) for w in self.model.trainable_weights]

    def on_train_begin(self, logs=None):
        if self._start is None:
            self._start = self._weights()
        if self.checkpoint_dir:
            os.makedirs(self.checkpoint_dir, exist_ok=True)

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": epoch + 1, **{k: float(v) for k, v in (logs or {}).items()}}
        record["weight_distance"] = _weight_distance(self._weights(), self._start)
        for name, (x, y) in self.evaluate.items():
            record[f"{name}_accuracy"] = accuracy(self.model, x, y)
        if self.checkpoint_dir and (epoch + 1) % self.checkpoint_every == 0:
            network = getattr(self.model, "network", self.model)
            path = os.path.join(self.checkpoint_dir, f"point_{epoch + 1}.keras")
            network.save(path)
            record["checkpoint"] = path
        self.records.append(record)

    def to_json(self, path):
        """Writes the records to `path` as JSON."""
        with open(path, "w") as f:
            json.dump(self.records, f, indent=2)
