"""Hyperparameters of every sparsification method, chosen on a validation split.

Every method gets the same grid budget (four settings), tried from the same
dense start on the training data less a held-out split, and scored by accuracy
on that split; the test split is never looked at. The search is
`keras_fip.experiments.tuning.search`, the rule every job shares: each grid is an
ordered 1-D sequence along one primary axis (the fine-tuning learning rate,
doubling, for every method here; FIP's path fraction rides along at 0.5, the
value every tuned run chose), and when the best setting is the lowest or
highest tried, the grid moves three settings towards it, at most `MAX_MOVES`
times. Plain lists added to `GRIDS` are read by `keras_fip.experiments.tuning.as_grid`
(primary axis: the first hyperparameter that varies; `AXIS_BOUNDS` keeps a
fraction inside its range).

    x_fit, y_fit, x_val, y_val = validation_split(x, y, 0.1, seed, offset=VALIDATION_OFFSETS["sparsity"])
    best, scores = tune("gmp", network, x_fit, y_fit, x_val, y_val, sparsity=0.98, steps=1000)
"""

from keras_fip.data.splits import VALIDATION_OFFSETS, validation_split
from keras_fip.experiments.tuning import Grid, search

#: The most times a grid moves when its best setting is on an edge.
MAX_MOVES = 2
#: The range an inferred grid's axis stays in (`keras_fip.experiments.tuning.as_grid`).
AXIS_BOUNDS = {"path_fraction": (0.05, 1.0)}

#: The grid of each method (the same budget for all: four settings).
GRIDS = {
    # FIP: the fine-tuning learning rate, as for every peer; the share of the
    # budget the path may take stays at 0.5, the value chosen on every model
    # when it was tuned on seed 0 (grid 0.25 / 0.5 / 0.75, before issue 21).
    "fip": Grid.of("learning_rate", (5e-4, 1e-3, 2e-3, 4e-3), step=2.0,
                   fixed={"path_fraction": 0.5}),
    # fip_pull is fip with the forced arrival (the pull grown x1.5 per step off track).
    # (Its grid is fip's: one primary axis, the learning rate.)
    "fip_pull": Grid.of("learning_rate", (5e-4, 1e-3, 2e-3, 4e-3), step=2.0,
                        fixed={"path_fraction": 0.5, "pull_growth": 1.5}),
    # The reference runs as it ships: nothing to choose.
    "fip_reference": [{}],
    # fip_ramp trains no learning rate: its one axis is the FIP step's length.
    "fip_ramp": [{"step_length": v} for v in (0.05, 0.1, 0.2, 0.4)],
    "oneshot": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "oneshot_kd": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "gmp_kd": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "obs": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "gmp": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "tfmot": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
    "tfmot_global": [{"learning_rate": lr} for lr in (5e-4, 1e-3, 2e-3, 4e-3)],
}
#: What a method uses when it is not tuned.
DEFAULTS = {"fip": {"path_fraction": 0.5, "learning_rate": 1e-3},
            "fip_pull": {"path_fraction": 0.5, "learning_rate": 1e-3, "pull_growth": 1.5},
            "fip_reference": {}, "fip_ramp": {"step_length": 0.2},
            **{m: {"learning_rate": 1e-3} for m in ("oneshot", "oneshot_kd", "obs", "gmp", "gmp_kd",
                                                    "tfmot", "tfmot_global")}}


def split_validation(x, y, fraction=0.1, seed=0):
    """`((x_fit, y_fit), (x_val, y_val))`: `fraction` of each class held out, by `seed`.

    `keras_fip.data.splits.validation_split` with this job's offset (20,000):
    the same images as before the split was shared.
    """
    x_fit, y_fit, x_val, y_val = validation_split(x, y, fraction, seed,
                                                  offset=VALIDATION_OFFSETS["sparsity"])
    return (x_fit, y_fit), (x_val, y_val)


def search_method(method, network, x, y, x_val, y_val, *, sparsity, steps, batch_size=200,
                  seed=0, scope="kernels_and_biases", min_density=0.0, grid=None,
                  move_on_edge=True, max_moves=MAX_MOVES, label_free=False):
    """Searches `method`'s grid (`GRIDS`, or `grid`) under the move rule; a `SearchResult`.

    `network` should have been trained on `(x, y)` only, so that the validation
    accuracy is not inflated by having seen `(x_val, y_val)`. With `label_free`
    the methods run label-free (`run_method`) and every method is scored by
    its agreement with the dense network's predictions on `x_val`, so that
    the choice reads no label either (`y_val` is not used).
    """
    import numpy as np

    from keras_fip.engine.networks import accuracy
    from keras_fip.sparsity.experiment import run_method

    if label_free:
        y_val = np.argmax(network.predict(x_val, batch_size=1000, verbose=0), axis=-1)

    def score(setting):
        result = run_method(method, network, x, y, sparsity=sparsity, steps=steps,
                            batch_size=batch_size, seed=seed, scope=scope,
                            min_density=min_density, label_free=label_free, **setting)
        return accuracy(result.model, x_val, y_val)

    return search(grid if grid is not None else GRIDS[method], score,
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
