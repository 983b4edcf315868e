"""`NaNGuard`: stops a run whose loss went non-finite and puts back the weights."""

import math

import keras


class NaNGuard(keras.callbacks.Callback):
    """Stops training after an epoch whose loss is not finite and puts back the
    weights the model had when that epoch began.

    Keras' own `TerminateOnNaN` stops, but leaves the NaN weights in the model,
    where a later save would write them. This keeps a copy of the weights at the
    start of each epoch and restores it. It looks at the loss once per epoch
    (the epoch's mean is NaN as soon as one batch is), so the training loop keeps
    running asynchronously between epochs.

    Attributes:
        triggered: whether a non-finite loss was seen; `epoch` says when.

    Raises:
        FloatingPointError: from `raise_if_triggered`, once a non-finite loss was seen.

    Example:
        >>> guard = NaNGuard()
        >>> model.fit(x, y, epochs=10, callbacks=[guard])
        >>> guard.raise_if_triggered("task 2 diverged", "lower the learning rate")
    """

    def __init__(self):
        super().__init__()
        self.triggered = False
        self.epoch = None
        self._weights = None

    def on_train_begin(self, logs=None):
        self.triggered = False

    def on_epoch_begin(self, epoch, logs=None):
        self._weights = self.model.get_weights()

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.triggered, self.epoch = True, epoch
            self.model.set_weights(self._weights)
            self.model.stop_training = True

    def raise_if_triggered(self, what, advice):
        """Raises FloatingPointError (`"{what}; {advice}."`) when a non-finite loss was seen."""
        if self.triggered:
            raise FloatingPointError(
                f"{what}; the weights from the start of that epoch were restored. {advice}."
            )
