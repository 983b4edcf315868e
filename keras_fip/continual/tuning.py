"""Hyperparameters chosen on validation data, with the same grid budget per method.

For each method, every setting of its grid (at most `GRID_SIZE`, the same budget
for every method) learns the stream with part of each task's training data held
out (`validation_stream`); the setting with the best average validation accuracy
is chosen. The test split is never seen; the chosen methods are then trained on
the full training data and tested once, by the caller.
"""

from keras_fip.continual import methods as methods_lib
from keras_fip.continual.runner import run_method
from keras_fip.continual.streams import validation_stream

GRID_SIZE = 4

#: Each method's own hyperparameters and the settings tried (4 each; none for
#: methods without any).
GRIDS = {
    # Half-decade steps. The first grids (FIP 10..300, DER 0.1..1, fip_l2
    # 0.01..0.3, replay 0.5..4) had the validation choice at an edge on MNIST,
    # so each was moved towards that edge; the budget stays 4 settings each.
    "fip": [{"fip_weight": w} for w in (30.0, 100.0, 300.0, 1000.0)],
    "fip_l2": [{"fip_weight": w} for w in (0.003, 0.01, 0.03, 0.1)],
    # fip_views chose 0.1, the top of its second grid (0.003..0.1), on 5 of 6
    # MNIST runs, so its grid moved up once more.
    "fip_views": [{"fip_weight": w} for w in (0.03, 0.1, 0.3, 1.0)],
    "fip_views_labels": [{"fip_weight": w, "label_weight": lw}
                         for w, lw in ((0.03, 0.5), (0.1, 0.5), (0.1, 1.0), (0.3, 1.0))],
    "fip_labels": [{"fip_weight": w, "label_weight": lw}
                   for w, lw in ((100.0, 1.0), (300.0, 1.0), (1000.0, 1.0), (300.0, 0.5))],
    "replay": [{"replay_weight": w} for w in (1.0, 2.0, 4.0, 8.0)],
    "er_ace": [{"replay_weight": w} for w in (0.5, 1.0, 2.0, 4.0)],
    "der": [{"alpha": a} for a in (0.03, 0.1, 0.3, 1.0)],
    "derpp": [{"alpha": a, "beta": b} for a, b in ((0.03, 0.5), (0.1, 0.5), (0.1, 1.0), (0.3, 1.0))],
    "derpp_views": [{"alpha": a, "beta": b}
                    for a, b in ((0.03, 0.5), (0.1, 0.5), (0.1, 1.0), (0.3, 1.0))],
    "ewc": [{"ewc_weight": w} for w in (1e3, 1e4, 1e5, 1e6)],
}


def tune(stream, names, build_network, config, fraction=0.1, fixed=None, verbose=0):
    """Chooses each method's hyperparameters on a validation split of the training data.

    Args:
        stream: the `TaskStream` (its test data is not used).
        names: method names (see `methods_lib.METHODS`).
        build_network: as for `run_method`.
        config: the `ContinualConfig` every run gets.
        fraction: share of each task's training data held out for validation.
        fixed: `{name: {hyperparameter: value}}` kept fixed in every setting
            (for example a distance chosen by the caller).
        verbose: Keras fit verbosity.

    Returns:
        `(methods, table)`: the chosen `Method` of each name, and per name the
        settings tried with their average validation accuracy and the choice.

    Example:
        >>> chosen, table = tune(stream, ["fip", "derpp"], build, config)
        >>> table["fip"]["chosen"]
        {'fip_weight': 100.0}
    """
    validation = validation_stream(stream, fraction, seed=config.seed)
    chosen, table = {}, {}
    for name in names:
        grid = GRIDS.get(name, [{}])[:GRID_SIZE]
        tried = []
        for setting in grid:
            kwargs = {**(fixed or {}).get(name, {}), **setting}
            result, _ = run_method(validation, methods_lib.get(name, **kwargs), build_network,
                                   config, verbose=verbose, progress=False)
            tried.append({"setting": setting, "validation_accuracy": result.summary["average_accuracy"]})
        best = max(tried, key=lambda t: t["validation_accuracy"])
        chosen[name] = methods_lib.get(name, **{**(fixed or {}).get(name, {}), **best["setting"]})
        table[name] = {"tried": tried, "chosen": best["setting"],
                       "validation_accuracy": best["validation_accuracy"]}
    return chosen, table
