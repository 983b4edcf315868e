"""`fit_supervised`: the one way the package trains a network on targets.

Every job trains ordinary networks besides its paths: the dense start of a
sparsify run, fine-tuning under a mask, distillation, the members of a deep
ensemble, FGE's cyclic run. They all compile, fit and watch for a non-finite
loss the same way, so they all call this. Seeding stays with the caller: the
seed is set where the network is built, before this is reached.
"""

import dataclasses
import time

import keras

from keras_fip.engine.batches import epoch_length, path_batches
from keras_fip.engine.callbacks import NaNGuard


@dataclasses.dataclass
class Fitted:
    """What `fit_supervised` did.

    Args:
        steps: optimizer steps taken (fewer than asked when a callback stopped
            the run).
        seconds: wall time of `fit`.
        history: Keras' `History` of the run.

    Raises:
        TypeError: a field is missing (a dataclass).

    Example:
        >>> fitted = fit_supervised(network, x, y, optimizer=keras.optimizers.Adam(),
        ...                         loss="sparse_categorical_crossentropy", epochs=2)
        >>> fitted.steps, fitted.seconds
    """

    steps: int
    seconds: float
    history: keras.callbacks.History


def fit_supervised(network, x, targets, *, optimizer, loss, steps=None, epochs=None,
                   batch_size=200, seed=0, shuffle=True, metrics=None, callbacks=(),
                   verbose=0, what="The training loss", advice="Try a smaller learning rate"):
    """Compiles `network` and trains it towards `targets`, guarded against NaN.

    Give exactly one of `steps` and `epochs`:

    - `steps`: exactly that many batches of the seeded stream `path_batches`
      (full batches, resumable by step), logged about once per pass;
    - `epochs`: Keras' own passes over `(x, targets)`, the last batch of a pass
      being the remainder, shuffled by Keras when `shuffle`.

    Args:
        network: the Keras model, trained in place.
        x: inputs (an array).
        targets: what each input is trained towards: labels, or stored outputs
            for a distillation or distance loss.
        optimizer: a Keras optimizer.
        loss: a Keras loss (an object or a name).
        steps: the step budget (0: nothing is trained).
        epochs: the number of passes, instead of `steps`.
        batch_size: inputs per step.
        seed: seed of the batch order with `steps`.
        shuffle: Keras shuffles each pass (with `epochs` only).
        metrics: passed to `compile`.
        callbacks: further Keras callbacks (a mask holder, snapshots, ...).
        verbose: Keras progress bar (1), one line per epoch (2) or silent (0).
        what: how the error names the loss that went non-finite.
        advice: the last sentence of that error.

    Returns:
        A `Fitted`: steps taken, seconds and Keras' history.

    Raises:
        ValueError: both or neither of `steps` and `epochs`.
        FloatingPointError: the loss became NaN or infinite; the weights from the
            start of that epoch are back in `network`.

    Example:
        >>> fit_supervised(network, x, y, optimizer=keras.optimizers.Adam(1e-3),
        ...                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        ...                steps=600, batch_size=200, seed=0)
    """
    if (steps is None) == (epochs is None):
        raise ValueError("fit_supervised takes exactly one of steps and epochs.")
    if steps == 0 or epochs == 0:
        return Fitted(0, 0.0, keras.callbacks.History())
    network.compile(optimizer, loss, metrics=metrics)
    guard = NaNGuard()
    callbacks = [guard, *callbacks]
    start = time.perf_counter()
    if steps is not None:
        per_epoch = epoch_length(steps, len(x), batch_size)
        history = network.fit(path_batches(x, targets, batch_size, seed),
                              epochs=steps // per_epoch, steps_per_epoch=per_epoch,
                              shuffle=False, callbacks=callbacks, verbose=verbose)
        taken = len(history.epoch) * per_epoch
    else:
        history = network.fit(x, targets, epochs=epochs, batch_size=batch_size,
                              shuffle=shuffle, callbacks=callbacks, verbose=verbose)
        taken = len(history.epoch) * -(-len(x) // batch_size)
    seconds = time.perf_counter() - start
    guard.raise_if_triggered(f"{what} became NaN or infinite in epoch {(guard.epoch or 0) + 1}",
                             advice)
    return Fitted(int(taken), seconds, history)
