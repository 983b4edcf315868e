"""The robust peers' settings, chosen on one seed's own validation split.

FGE and snapshot ensembles train with SGD under cyclical learning rates; the
rate that suits the reference CNN is not the papers' (their VGG / ResNet on
CIFAR). `tune(config)` trains the starting network as `run(config)` does (on
the training data less the seed's validation split), then searches the grid of
every tunable method (an `ENSEMBLES` entry with a `grid`) with
`keras_fip.experiments.tuning.search`, the rule every tuner of the project
shares. Each grid point is built exactly as the experiment builds that method;
its score is the ensemble's accuracy on the validation split (a diverged run
is never chosen). The test split is not touched.

Example:
    >>> from keras_fip.experiments.robust import RobustConfig
    >>> tuned = tune(RobustConfig(seed=0))
    >>> tuned["chosen"]          # doctest: +SKIP
    {'fge': '0.01', 'snapshot': '0.02'}
"""

import time

from keras_fip.experiments import common as experiment_common
from keras_fip.robustness.registry import ENSEMBLES


def tunable(methods=None):
    """The names of `methods` that have a grid to tune.

    Args:
        methods: names of `ENSEMBLES` (default: every registered one).

    Returns:
        A list of names, in the order given.

    Raises:
        ValueError: an unknown name (the registry's error).

    Example:
        >>> tunable()
        ['fge', 'snapshot']
    """
    names = ENSEMBLES.names() if methods is None else methods
    return [name for name in names if ENSEMBLES.get(name).grid]


def axis_of(name):
    """The setting a method's grid moves (its `RobustConfig` field).

    Args:
        name: a method of `ENSEMBLES` with a grid.

    Returns:
        The field's name, a str.

    Raises:
        ValueError: an unknown method, or a grid of other than one setting.

    Example:
        >>> axis_of("fge")
        'fge_lr_max'
    """
    axes = tuple(ENSEMBLES.get(name).grid)
    if len(axes) != 1:
        raise ValueError(f"{name}'s grid must move one setting, got {axes or 'none'}")
    return axes[0]


def tune(config, *, methods=None, grids=None, max_moves=2, progress=None):
    """Searches each tunable method's grid on `config.seed`'s validation split.

    Args:
        config: a `keras_fip.experiments.robust.RobustConfig` (its data, network,
            training, member count and FIP path budget are used).
        methods: the methods to tune (default: those of `config.methods` with
            a grid).
        grids: `{method: values}` replacing a method's registered grid.
        max_moves: most moves of a grid whose best setting is on an edge.
        progress: print a line per setting (default `config.progress`).

    Returns:
        `{"dataset", "model", "validation_samples", "validation_accuracy"
        ({"start": acc, method: {value: acc}}), "search" ({method:
        SearchResult.to_dict()}), "chosen" ({method: value as text, or None})}`.

    Raises:
        ValueError: a method without a grid, or what `run` refuses.
        FloatingPointError: the start's training diverged.

    Example:
        >>> tune(RobustConfig(seed=1), grids={"fge": (0.005, 0.01, 0.02)})  # doctest: +SKIP
    """
    from keras_fip.experiments.robust import ensemble_inputs, prepare, train_start
    from keras_fip.experiments.tuning import as_grid, search
    from keras_fip.robustness.analysis import accuracy

    methods = tunable(config.methods) if methods is None else list(methods)
    for name in methods:
        if not ENSEMBLES.get(name).grid:
            raise ValueError(f"`methods`: {name} has no grid to tune")
    grids = dict(grids or {})
    say = experiment_common.printer(config.progress if progress is None else progress)
    seed = config.seed
    prepared = prepare(config)
    start, start_cost = train_start(config, prepared)
    inputs = ensemble_inputs(config, prepared, start, start_cost)
    start_val = accuracy(start, prepared.x_val, prepared.y_val)
    say(f"seed {seed} start: validation accuracy {start_val:.4f}")

    results, table = {}, {"start": start_val}
    for name in methods:
        method, axis = ENSEMBLES.get(name), axis_of(name)

        def score(point, name=name, method=method, axis=axis):
            began = time.perf_counter()
            try:
                built = method.build(inputs.with_settings(**method.settings_for(point)))
                value = accuracy(built.ensemble, prepared.x_val, prepared.y_val)
            except FloatingPointError:
                value = None  # diverged: never chosen
            say(f"seed {seed} {name} {axis} {point[axis]:g}: {value} "
                f"({time.perf_counter() - began:.0f}s)")
            return value

        values = grids.get(name, method.grid[axis])
        found = search(as_grid([{axis: float(v)} for v in values]), score, max_moves=max_moves)
        results[name] = found.to_dict()
        table[name] = {f"{row['setting'][axis]:g}": row["score"] for row in found.table}
    chosen = {name: (f"{results[name]['best'][axis_of(name)]:g}" if results[name]["best"]
                     else None) for name in results}
    say(f"seed {seed} chosen on validation: " + ", ".join(
        f"{name} {axis_of(name)} {value}" for name, value in chosen.items()))
    return {"dataset": prepared.dataset_name, "model": prepared.options,
            "validation_samples": len(prepared.x_val), "validation_accuracy": table,
            "search": results, "chosen": chosen}


__all__ = ["axis_of", "tunable", "tune"]
