"""Baselines for robust ensembles, with the training compute each one used.

- the single starting network, trained once;
- a deep ensemble: the same architecture trained independently from different
  seeds, each member with the same training as the single network.

Compute is counted in optimizer steps, training examples processed and wall
seconds, so the FIP ensemble (start + path) can be compared fairly. An example
is one input through the network forward and backward (`examples`); inputs
passed forward only (validation passes) are `validation_examples` (none here),
and `total_examples` is their sum, a forward-only example counted as one (a
generous count: it costs about a third of a training example).
"""

import time

import numpy as np
import keras

from keras_fip import checks
from keras_fip.engine.callbacks import NaNGuard
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.robustness.ensemble import AVERAGES, FIPEnsemble


def train_network(build, x, y, *, epochs=5, batch_size=64, learning_rate=1e-3, seed=0, verbose=0):
    """Builds a network with `build()` under `seed` and trains it with Adam.

    Args:
        build: a function returning a new, uncompiled Keras classifier (outputting
            logits, or probabilities from a final softmax).
        x, y: training inputs and integer labels.
        epochs, batch_size, learning_rate: the training.
        seed: seeds the initial weights and the batch order.

    Returns:
        `(model, cost)`, cost a dict of `steps`, `examples` (forward and
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
    network.compile(
        keras.optimizers.Adam(learning_rate),
        keras.losses.SparseCategoricalCrossentropy(from_logits=outputs_are_logits(network, x[:8])),
        metrics=["accuracy"],
    )
    guard = NaNGuard()
    start = time.perf_counter()
    network.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=verbose, callbacks=[guard])
    seconds = time.perf_counter() - start
    if guard.triggered:
        raise FloatingPointError(
            f"The training loss became NaN or infinite in epoch {guard.epoch + 1}; try a "
            "smaller learning_rate."
        )
    steps = int(epochs) * int(np.ceil(len(x) / int(batch_size)))
    examples = int(epochs) * len(x)  # Keras' last batch of an epoch is the remainder
    return network, {"steps": steps, "examples": examples, "validation_examples": 0,
                     "total_examples": examples, "seconds": seconds}


def deep_ensemble(build, x, y, *, members=10, epochs=5, batch_size=64, learning_rate=1e-3,
                  seed=0, average="probabilities", verbose=0):
    """Trains `members` networks independently (seeds `1000 * seed + 1 + k`).

    Args:
        build: a function returning a new, uncompiled Keras classifier.
        x: training inputs.
        y: integer training labels.
        members: networks to train.
        epochs: epochs of each network.
        batch_size: the batch size.
        learning_rate: Adam's learning rate.
        seed: the ensemble's seed (each member's is derived from it).
        average: how the ensemble averages (`"probabilities"` or `"logits"`).
        verbose: passed to `fit`.

    Returns:
        `(ensemble, cost)`: a `FIPEnsemble` and the summed cost (`steps`,
        `examples`, `validation_examples`, `total_examples`, `seconds`) of
        training every member.

    Raises:
        ValueError: a count below 1, an unknown `average`, or bad data (as
            `train_network`).
        TypeError: `build` is not callable.
        FloatingPointError: a member's loss became NaN or infinite.

    Example:
        >>> from keras_fip import models
        >>> ensemble, cost = deep_ensemble(lambda: models.reference_cnn((8, 8, 1), 10),
        ...                                x_train, y_train, members=5, epochs=20)
    """
    members = checks.count(members, "members")
    seed = checks.count(seed, "seed", minimum=0)
    if average not in AVERAGES:
        raise ValueError(f"Unknown average {average!r}; choose one of {AVERAGES}.")
    networks = []
    total = {"steps": 0, "examples": 0, "validation_examples": 0, "total_examples": 0,
             "seconds": 0.0}
    for k in range(members):
        try:
            network, cost = train_network(
                build, x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                seed=1000 * seed + 1 + k, verbose=verbose,
            )
        except FloatingPointError as error:
            raise FloatingPointError(f"Deep-ensemble member {k + 1}: {error}") from None
        networks.append(network)
        for key in total:
            total[key] += cost[key]
    return FIPEnsemble(networks, average=average, name="deep_ensemble"), total
