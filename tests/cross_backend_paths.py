"""Runs the sparsify and ensemble paths on the backend this process has, from fixed weights.

`tests/test_backends.py` runs it once per backend and compares the results, as
`tests/cross_backend_steps.py` does for single steps. Each path takes full
batches (`batch_size` = the number of inputs): the backends shuffle with
different generators (`path_batches`), so a smaller batch would show each of
them other inputs at each step; with the whole set in every batch only the
order of the sum over it differs, and the paths agree to float32 round-off.

    KERAS_BACKEND=jax python tests/cross_backend_paths.py OUT.npz
"""

import sys

import keras
import numpy as np

from cross_backend_common import flat, network, start_weights
from keras_fip.robustness import grow_ensemble
from keras_fip.sparsity import gradual_magnitude, sparsify

N = 64


def main(out):
    rng = np.random.default_rng(0)
    weights = start_weights(rng, hidden=16)
    x = rng.normal(size=(N, 6)).astype("float32")
    y = np.argmax(x[:, :4] + 0.3 * rng.normal(size=(N, 4)), -1)
    x_val = rng.normal(size=(32, 6)).astype("float32")
    y_val = np.argmax(x_val[:, :4], -1)
    results = {}

    # FIP sparsification: the default path (summed Bhattacharyya, growing pull,
    # cosine steps), the held threshold refreshed every 10 steps, then a fine-tune.
    sparse = sparsify(network(weights), x, y, sparsity=0.75, steps=60, batch_size=N,
                      threshold_every=10, finetune_steps=10, verbose=0)
    results["sparsify"] = flat(sparse.model.get_weights())
    results["sparsify_stats"] = np.array([sparse.sparsity, sparse.path_steps, sparse.gap])
    floored = sparsify(network(weights), x, sparsity=0.75, steps=30, batch_size=N,
                       min_density=0.2, threshold_every=5, verbose=0)
    results["sparsify_min_density"] = flat(floored.model.get_weights())
    gmp = gradual_magnitude(network(weights), x, y, sparsity=0.75, steps=30, batch_size=N,
                            frequency=5)
    results["gradual_magnitude"] = flat(gmp.model.get_weights())

    # The ensemble path with its trust region and acceptance test (callbacks that
    # change the step length and the objective's scale during fit), and the
    # random-direction sampling.
    for sampling in ("diversity", "random_direction"):
        grown = grow_ensemble(network(weights), x, members=2, steps_between=10, batch_size=N,
                              step_length=0.05, validation=(x_val, y_val), max_distance=0.05,
                              tolerance=0.5, check_every=5, sampling=sampling, seed=0)
        results[f"grow_{sampling}"] = np.concatenate([flat(m.get_weights()) for m in grown.members])
        results[f"grow_{sampling}_steps"] = np.array([r["step"] for r in grown.records])
    np.savez(out, backend=keras.backend.backend(), **results)


if __name__ == "__main__":
    main(sys.argv[1])
