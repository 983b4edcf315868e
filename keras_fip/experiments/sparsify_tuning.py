"""Hyperparameters of every sparsification method, chosen on a validation split.

Every method gets the same grid budget (four settings), tried from the same
dense start on the training data less a held-out split, and scored by accuracy
on that split; the test split is never looked at. The search is
`keras_fip.experiments.tuning.search`, the rule every job shares: each grid is
the method's registry entry's (`keras_fip.sparsity.registry.METHODS`, `grid`),
an ordered 1-D sequence along one primary axis (the fine-tuning learning rate,
doubling, for every method that has one; FIP's path fraction rides along at
0.5, the value every tuned run chose), and when the best setting is the lowest
or highest tried, the grid moves three settings towards it, at most
`MAX_MOVES` times. Plain lists are read by `keras_fip.experiments.tuning.as_grid`
(primary axis: the first hyperparameter that varies; `AXIS_BOUNDS` keeps a
fraction inside its range).

    (x_fit, y_fit), (x_val, y_val) = split_validation(x, y, 0.1, seed)
    best, scores = tune("gmp", network, x_fit, y_fit, x_val, y_val, sparsity=0.98, steps=1000)
"""

from keras_fip.experiments.sparsify import split_validation  # noqa: F401  (read here too)
from keras_fip.experiments.tuning import Grid, search
from keras_fip.sparsity.registry import METHODS

#: The most times a grid moves when its best setting is on an edge.
MAX_MOVES = 2
#: The range an inferred grid's axis stays in (`keras_fip.experiments.tuning.as_grid`).
AXIS_BOUNDS = {"path_fraction": (0.05, 1.0)}


def grid_of(method):
    """`method`'s validation grid: a `Grid` (from a registry dict) or its list of settings."""
    grid = METHODS.get(method).grid
    return Grid.of(**grid) if isinstance(grid, dict) else list(grid)


#: The grid of each method (the same budget for all: four settings).
GRIDS = {name: grid_of(name) for name in METHODS}
#: What a method uses when it is not tuned.
DEFAULTS = {name: dict(METHODS.get(name).defaults) for name in METHODS}


def search_method(method, network, x, y, x_val, y_val, *, sparsity, steps, batch_size=200,
                  seed=0, scope="kernels_and_biases", min_density=0.0, grid=None,
                  move_on_edge=True, max_moves=MAX_MOVES, label_free=False):
    """Searches `method`'s grid (its registry entry's, or `grid`) under the move rule.

    `network` should have been trained on `(x, y)` only, so that the validation
    accuracy is not inflated by having seen `(x_val, y_val)`. With `label_free`
    the methods run label-free (`keras_fip.sparsity.prune`) and every method is
    scored by its agreement with the dense network's predictions on `x_val`, so
    that the choice reads no label either (`y_val` is not used).

    Returns:
        A `SearchResult` (`best`, `table`, the moves).
    """
    import numpy as np

    from keras_fip.engine.networks import accuracy
    from keras_fip.sparsity.pruning import prune

    if label_free:
        y_val = np.argmax(network.predict(x_val, batch_size=1000, verbose=0), axis=-1)

    def score(setting):
        result = prune(method, network, x, y, sparsity=sparsity, steps=steps,
                       batch_size=batch_size, seed=seed, scope=scope, min_density=min_density,
                       label_free=label_free, **setting)
        return accuracy(result.network, x_val, y_val)

    return search(grid if grid is not None else grid_of(method), score,
                  move_on_edge=move_on_edge, max_moves=max_moves, bounds=AXIS_BOUNDS)


def tune(method, network, x, y, x_val, y_val, *, sparsity, steps, batch_size=200, seed=0,
         scope="kernels_and_biases", min_density=0.0, grid=None, move_on_edge=True,
         max_moves=MAX_MOVES, label_free=False):
    """Tries `method`'s grid under the move rule; returns `(best setting, [(setting, accuracy)])`.

    Every setting tried is listed, moves included, in the order tried; the
    best is the first of equals. `search_method` gives the moves too.
    """
    found = search_method(method, network, x, y, x_val, y_val, sparsity=sparsity, steps=steps,
                          batch_size=batch_size, seed=seed, scope=scope,
                          min_density=min_density, grid=grid, move_on_edge=move_on_edge,
                          max_moves=max_moves, label_free=label_free)
    return found.best, [(row["setting"], row["score"]) for row in found.table]
