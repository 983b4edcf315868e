"""Moved: the validation tuning of continual methods is `keras_fip.experiments.continual_tuning`
(each method's grid is its entry's in `keras_fip.continual.registry.METHODS`)."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    return moved(name, {n: f"keras_fip.experiments.continual_tuning:{n}"
                        for n in ("tune", "GRIDS", "GRID_SIZE", "MAX_MOVES")}, __name__)
