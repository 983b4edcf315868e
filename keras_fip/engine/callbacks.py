"""Callbacks that keep long FIP runs safe."""

import math

import keras


class NaNGuard(keras.callbacks.Callback):
    """Stops training at the first non-finite loss and puts back the last good weights.

    Keras' own `TerminateOnNaN` stops, but leaves the NaN weights in the model,
    where a later save would write them. This keeps a copy of the weights at the
    start of each epoch and restores it.

    Attributes:
        triggered: whether a non-finite loss was seen; `batch` and `epoch` say where.
    """

    def __init__(self):
        super().__init__()
        self.triggered = False
        self.epoch = None
        self.batch = None
        self._weights = None
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        self.triggered = False
        self._weights = self.model.get_weights()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch
        self._weights = self.model.get_weights()

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.triggered, self.batch, self.epoch = True, batch, self._current_epoch
            self.model.set_weights(self._weights)
            self.model.stop_training = True
