"""`train_network`: one network of the robustness job trained with Adam, with its compute.

The start, the attackers' own networks and every deep-ensemble member train
this way. Compute is counted in optimizer steps, training examples processed
and wall seconds, so the FIP ensembles (start + path) compare fairly: an example
is one input through the network forward and backward (`examples`); inputs
passed forward only are `validation_examples` (none here), and
`total_examples` is their sum.
"""

import numpy as np
import keras

from keras_fip import checks
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.engine.training import fit_supervised


def train_network(build, x, y, *, epochs=5, batch_size=64, learning_rate=1e-3, seed=0, verbose=0):
    """Builds a network with `build()` under `seed` and trains it with Adam.

    Args:
        build: a function returning a new, uncompiled Keras classifier (outputting
            logits, or probabilities from a final softmax).
        x, y: training inputs and integer labels.
        epochs, batch_size, learning_rate: the training.
        seed: seeds the initial weights and the batch order.

    Returns:
        `(network, cost)`, cost a dict of `steps`, `examples` (forward and
        backward: `epochs * len(x)`), `validation_examples` (0),
        `total_examples` and `seconds`.

    Raises:
        ValueError: for bad arguments or data (before any training).
        FloatingPointError: if the loss becomes NaN or infinite.
        TypeError: `build` is not callable.

    Example:
        >>> from keras_fip import models
        >>> network, cost = train_network(lambda: models.reference_cnn((8, 8, 1), 10),
        ...                               x_train, y_train, epochs=20, seed=0)
    """
    if not callable(build):
        raise TypeError(f"build must be a function returning a new network, got "
                        f"{type(build).__name__}.")
    epochs = checks.count(epochs, "epochs")
    batch_size = checks.count(batch_size, "batch_size")
    learning_rate = checks.number(learning_rate, "learning_rate", minimum=0, strict=True)
    seed = checks.count(seed, "seed", minimum=0)
    keras.utils.set_random_seed(seed)
    network = build()
    if isinstance(network, keras.Model) and not network.built:
        x = checks.inputs(x, None, "x")
        try:
            network(x[:1])  # builds it for the data's shape
        except Exception as error:  # noqa: BLE001 - Keras raises many kinds here
            reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
            raise ValueError(f"The network build() returned cannot take inputs of shape "
                             f"{x.shape[1:]}: {type(error).__name__}: {reason}") from None
    network = checks.classifier(network, "network build() returned")
    x = checks.inputs(x, network, "x")
    y = checks.labels(y, len(x), checks.num_classes(network), "y")
    fitted = fit_supervised(
        network, x, y, optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(
            from_logits=outputs_are_logits(network, x[:8])),
        epochs=epochs, batch_size=batch_size, metrics=["accuracy"], verbose=verbose,
        what="The training loss", advice="Try a smaller learning_rate",
    )
    steps = int(epochs) * int(np.ceil(len(x) / int(batch_size)))
    examples = int(epochs) * len(x)  # Keras' last batch of an epoch is the remainder
    return network, {"steps": steps, "examples": examples, "validation_examples": 0,
                     "total_examples": examples, "seconds": fitted.seconds}


__all__ = ["train_network"]
