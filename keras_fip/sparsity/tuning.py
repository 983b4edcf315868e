"""Hyperparameters of every sparsification method, chosen on a validation split.

Every method gets the same grid budget (four settings), tried from the same
dense start on the training data less a held-out split, and scored by accuracy
on that split; the test split is never looked at.

    fit, val = split_validation(x, y, fraction=0.1, seed=0)
    best, scores = tune("gmp", network, *fit, *val, sparsity=0.98, steps=1000)
"""

import numpy as np

#: The grid of each method (the same budget for all: four settings).
GRIDS = {
    # FIP: the share of the budget the path may take (the rest fine-tunes), and
    # the fine-tuning learning rate.
    "fip": [{"path_fraction": p, "learning_rate": 1e-3} for p in (0.25, 0.5, 0.75)]
    + [{"path_fraction": 0.5, "learning_rate": 2e-3}],
    "oneshot": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "gmp": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "tfmot": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "tfmot_global": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
}
#: What a method uses when it is not tuned.
DEFAULTS = {"fip": {"path_fraction": 0.5, "learning_rate": 1e-3},
            **{m: {"learning_rate": 1e-3} for m in ("oneshot", "gmp", "tfmot", "tfmot_global")}}


def split_validation(x, y, fraction=0.1, seed=0):
    """`((x_fit, y_fit), (x_val, y_val))`: `fraction` of each class held out, by `seed`."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"the validation fraction must be in (0, 1), got {fraction}.")
    rng = np.random.default_rng(20_000 + int(seed))
    held = np.zeros(len(y), bool)
    for label in np.unique(y):
        where = np.flatnonzero(y == label)
        held[rng.permutation(where)[:max(1, int(round(fraction * len(where))))]] = True
    return (x[~held], y[~held]), (x[held], y[held])


def tune(method, network, x, y, x_val, y_val, *, sparsity, steps, batch_size=200, seed=0,
         scope="kernels_and_biases", min_density=0.0, grid=None):
    """Tries each setting of `method`'s grid; returns `(best setting, [(setting, accuracy)])`.

    `network` should have been trained on `(x, y)` only, so that the validation
    accuracy is not inflated by having seen `(x_val, y_val)`.
    """
    from keras_fip.engine.networks import accuracy
    from keras_fip.sparsity.experiment import run_method

    scores = []
    for setting in grid or GRIDS[method]:
        result = run_method(method, network, x, y, sparsity=sparsity, steps=steps,
                            batch_size=batch_size, seed=seed, scope=scope,
                            min_density=min_density, **setting)
        scores.append((setting, accuracy(result.model, x_val, y_val)))
    best = max(scores, key=lambda pair: pair[1])[0]  # the first of equals
    return best, scores
