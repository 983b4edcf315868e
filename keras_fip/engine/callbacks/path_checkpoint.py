"""`PathCheckpoint`: saves a path after every epoch, so a killed path resumes exactly."""

import json
import os
import time

import numpy as np
import keras

from keras_fip.engine import checkpoints
from keras_fip.engine.callbacks.path_recorder import PathRecorder


class PathCheckpoint(keras.callbacks.Callback):
    """Saves a path after every epoch and restores it, so a killed path resumes.

    Each checkpoint is a folder that is whole or absent (`engine.checkpoints`):
    the `FIPModel`'s weights file (the network, its memory, objectives and random
    streams), the optimizer's variables, the records and the settings.

    Args:
        folder: where the checkpoints go.
        settings: what the path was started with; a checkpoint with other
            settings is refused.
        stateful: callbacks whose state is saved too: the `PathRecorder`'s
            records, and any callback with `save_checkpoint(folder)` /
            `load_checkpoint(folder)`.
        guard: the path's `NaNGuard`; nothing is saved after a non-finite epoch.
    """

    def __init__(self, folder, settings, stateful=(), guard=None):
        super().__init__()
        self.folder = os.fspath(folder)
        self.settings = settings
        self.stateful = list(stateful)
        self.guard = guard
        self.finished = False
        self._started = time.perf_counter()
        self._spent = 0.0

    def restore(self, model):
        """Loads the newest checkpoint into `model`; returns `(step, seconds spent)`."""
        found = checkpoints.latest(self.folder, "after_step_")
        if found is None:
            return 0, 0.0
        _, path = found
        with open(os.path.join(path, "progress.json")) as f:
            progress = json.load(f)
        differing = [k for k in self.settings if progress["settings"].get(k) != self.settings[k]]
        if differing:
            raise ValueError(
                f"The checkpoint in {self.folder} is of a path with other settings "
                f"({', '.join(differing)}); resume with the same settings or use another folder."
            )
        model.load_weights(os.path.join(path, "model.weights.h5"))
        optimizer = model.optimizer
        optimizer.build(model.trainable_variables)
        with np.load(os.path.join(path, "optimizer.npz")) as saved:
            for i, variable in enumerate(optimizer.variables):
                variable.assign(saved[f"v{i}"])
        for callback in self.stateful:
            if isinstance(callback, PathRecorder):
                callback.records = progress["records"]
            elif hasattr(callback, "load_checkpoint"):
                callback.set_model(model)
                callback.load_checkpoint(path)
        self.finished = progress["finished"]
        self._spent = progress["seconds"]
        return progress["step"], progress["seconds"]

    def on_epoch_end(self, epoch, logs=None):
        self._save(finished=False)

    def on_train_end(self, logs=None):
        # A path stopped early by a callback (its goal reached) ends here.
        if self.model.stop_training:
            self._save(finished=True)

    def _save(self, finished):
        if self.guard is not None and self.guard.triggered:
            return
        step = int(self.model.optimizer.iterations)

        def write(folder):
            self.model.save_weights(os.path.join(folder, "model.weights.h5"))
            np.savez(os.path.join(folder, "optimizer.npz"),
                     **{f"v{i}": np.asarray(v) for i, v in enumerate(self.model.optimizer.variables)})
            records = []
            for callback in self.stateful:
                if isinstance(callback, PathRecorder):
                    records = callback.records
                elif hasattr(callback, "save_checkpoint"):
                    callback.save_checkpoint(folder)
            with open(os.path.join(folder, "progress.json"), "w") as f:
                json.dump({"step": step, "finished": finished, "settings": self.settings,
                           "records": records,
                           "seconds": self._spent + time.perf_counter() - self._started}, f)

        checkpoints.save(self.folder, "after_step_", step, write)
