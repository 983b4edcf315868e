"""Hyperparameters chosen on validation data, with the same grid budget and move rule per method.

For each method, every setting of its grid (`GRID_SIZE` settings, the same
budget for every method) learns the stream with part of each task's training
data held out (`validation_stream`, on the run's own seed); the setting with the
best average validation accuracy is chosen. The search is
`keras_fip.experiments.tuning.search`, the one every job uses: a grid is an ordered
1-D sequence along its first varying hyperparameter (the primary axis: the
method's weight; for derpp-like pairs `alpha` or `fip_weight`, the label weight
riding along), and when the best setting is the lowest or highest tried, the
grid moves `GRID_SIZE - 1` settings towards it (at most `MAX_MOVES` times), for
every method alike. The test split is never seen; the chosen methods are then
trained on the full training data and tested once, by the caller.
"""

from keras_fip.continual import methods as methods_lib
from keras_fip.continual.registry import METHODS
from keras_fip.continual.runner import run_method
from keras_fip.continual.streams import validation_stream
from keras_fip.experiments.tuning import search

GRID_SIZE = 4
#: The most times a grid moves when its best setting is on an edge.
MAX_MOVES = 2

#: Each method's own hyperparameters and the settings tried (4 each; none for
#: methods without any): the `grid` of its `METHODS` entry.
GRIDS = {name: list(METHODS.get(name).grid) for name in METHODS if METHODS.get(name).grid}


def tune(stream, names, build_network, config, fraction=0.1, fixed=None, verbose=0,
         move_on_edge=True, max_moves=MAX_MOVES):
    """Chooses each method's hyperparameters on a validation split of the training data.

    Args:
        stream: the `TaskStream` (its test data is not used).
        names: method names (see `keras_fip.continual.registry.METHODS`).
        build_network: as for `run_method`.
        config: the `ContinualConfig` every run gets (its seed splits the data).
        fraction: share of each task's training data held out for validation.
        fixed: `{name: {hyperparameter: value}}` kept fixed in every setting
            (for example a distance chosen by the caller).
        verbose: Keras fit verbosity.
        move_on_edge, max_moves: the grid-move rule (`keras_fip.experiments.tuning`).

    Returns:
        `(methods, table)`: the chosen `Method` of each name, and per name the
        settings tried (`tried`, in order, each with its average validation
        accuracy and `window`: 0 for the first grid, k after the k-th move),
        the choice, its accuracy, the `moves`, `at_edge` (the choice is still
        on an edge of what was tried) and the last `grid`.

    Example:
        >>> chosen, table = tune(stream, ["fip", "derpp"], build, config)
        >>> table["fip"]["chosen"]
        {'fip_weight': 100.0}
    """
    validation = validation_stream(stream, fraction, seed=config.seed)
    chosen, table = {}, {}
    for name in names:
        grid = list(METHODS.get(name).grid or [{}])[:GRID_SIZE]
        extra = (fixed or {}).get(name, {})

        def score(setting, name=name, extra=extra):
            result, _ = run_method(validation, methods_lib.get(name, **{**extra, **setting}),
                                   build_network, config, verbose=verbose, progress=False)
            return result.summary["average_accuracy"]

        found = search(grid, score, move_on_edge=move_on_edge, max_moves=max_moves)
        chosen[name] = methods_lib.get(name, **{**extra, **found.best})
        table[name] = {
            "tried": [{"setting": row["setting"], "validation_accuracy": row["score"],
                       "window": row["window"]} for row in found.table],
            "chosen": found.best, "validation_accuracy": found.score,
            "moves": found.moves, "at_edge": found.at_edge, "stopped": found.stopped,
            "grid": found.grid,
        }
    return chosen, table
