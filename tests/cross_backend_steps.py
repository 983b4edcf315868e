"""Runs the same FIP training on the backend this process has, from fixed weights.

`tests/test_backends.py` runs it once per backend and compares the results.
Everything random is fixed here (initial weights, data, no shuffling; memory
batches are whole, or drawn the same way on both backends), so the two backends
must agree to float32 round-off.

    KERAS_BACKEND=jax python tests/cross_backend_steps.py OUT.npz
"""

import sys

import keras
import numpy as np

from cross_backend_common import flat, network, start_weights
from keras_fip.continual.methods import DERModel, diagonal_fisher
from keras_fip.engine import FIPModel, PathStep


def main(out):
    rng = np.random.default_rng(0)
    weights = start_weights(rng, hidden=12)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = rng.integers(0, 4, 48)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    results = {}
    cases = {
        # memory_batch_size >= the memory: each step uses the whole memory, so
        # the backends' different random streams cannot change the mean.
        **{f"fip_{d}": lambda net, d=d: FIPModel.from_model(
            net, distance=d, fip_weight=2.0, memory_batch_size=64, seed=0)
           for d in ("bhattacharyya", "l2", "kl")},
        "derpp": lambda net: DERModel(net, alpha=0.5, beta=0.5, memory_batch_size=64, seed=0),
        # A memory batch smaller than the memory: the draws come from a hash of
        # the seed's state, in integer ops, the same on both backends.
        "fip_drawn": lambda net: FIPModel.from_model(
            net, fip_weight=2.0, memory_batch_size=5, seed=0),
    }
    for name, make in cases.items():
        for optimizer in ("sgd", "path_step"):
            model = make(network(weights))
            model.compile(keras.optimizers.SGD(0.1) if optimizer == "sgd" else PathStep(0.05), loss)
            model.remember(x[:16], y[:16])
            model.fit(x[16:], y[16:], batch_size=32, epochs=3, shuffle=False, verbose=0)
            results[f"{name}_{optimizer}"] = flat(model.network.trainable_weights)
    fisher = diagonal_fisher(FIPModel.from_model(network(weights)), x, y, num_samples=48, seed=0)
    results["fisher"] = flat(fisher)
    np.savez(out, backend=keras.backend.backend(), **results)


if __name__ == "__main__":
    main(sys.argv[1])
