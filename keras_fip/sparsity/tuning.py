"""Moved: `keras_fip.experiments.sparsify_tuning` (grids now live with each method in
`keras_fip.sparsity.registry.METHODS`)."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    return moved(name, {n: f"keras_fip.experiments.sparsify_tuning:{n}" for n in (
        "AXIS_BOUNDS", "DEFAULTS", "GRIDS", "MAX_MOVES", "search_method", "split_validation",
        "tune")}, __name__)
