"""Per-step wall time measured inside Keras' own `fit` loop (shared by the step-cost benchmarks)."""

import time

import numpy as np
import keras


class StepTimer(keras.callbacks.Callback):
    """Records the wall time of every training step."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def median_step(model, x, y, batch_size, warmup):
    """Median seconds per step of one epoch of `model.fit(x, y)`, after `warmup` steps."""
    timer = StepTimer()
    model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[timer])
    return float(np.median(timer.times[warmup:]))
