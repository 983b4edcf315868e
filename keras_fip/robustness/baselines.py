"""Baselines for robust ensembles, with the training compute each one used.

- the single starting network, trained once;
- a deep ensemble: the same architecture trained independently from different
  seeds, each member with the same training as the single network.

Compute is counted in optimizer steps, training examples processed and wall
seconds, so the FIP ensemble (start + path) can be compared fairly.
"""

import time

import numpy as np
import keras

from keras_fip.robustness.ensemble import FIPEnsemble


def train_network(build, x, y, *, epochs=5, batch_size=64, learning_rate=1e-3, seed=0, verbose=0):
    """Builds a network with `build()` under `seed` and trains it with Adam.

    Args:
        build: a function returning a new, uncompiled Keras model outputting logits.
        x, y: training inputs and integer labels.
        epochs, batch_size, learning_rate: the training.
        seed: seeds the initial weights and the batch order.

    Returns:
        `(model, cost)`, cost a dict of `steps`, `examples` and `seconds`.
    """
    if int(epochs) < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}.")
    keras.utils.set_random_seed(int(seed))
    network = build()
    network.compile(
        keras.optimizers.Adam(learning_rate),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    start = time.perf_counter()
    network.fit(x, y, epochs=int(epochs), batch_size=int(batch_size), verbose=verbose)
    seconds = time.perf_counter() - start
    steps = int(epochs) * int(np.ceil(len(x) / int(batch_size)))
    return network, {"steps": steps, "examples": int(epochs) * len(x), "seconds": seconds}


def deep_ensemble(build, x, y, *, members=10, epochs=5, batch_size=64, learning_rate=1e-3,
                  seed=0, average="probabilities", verbose=0):
    """Trains `members` networks independently (seeds `1000 * seed + 1 + k`).

    Returns:
        `(ensemble, cost)`: a `FIPEnsemble` and the summed cost (`steps`,
        `examples`, `seconds`) of training every member.
    """
    if int(members) < 1:
        raise ValueError(f"members must be at least 1, got {members}.")
    networks, total = [], {"steps": 0, "examples": 0, "seconds": 0.0}
    for k in range(int(members)):
        network, cost = train_network(
            build, x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
            seed=1000 * int(seed) + 1 + k, verbose=verbose,
        )
        networks.append(network)
        for key in total:
            total[key] += cost[key]
    return FIPEnsemble(networks, average=average, name="deep_ensemble"), total
