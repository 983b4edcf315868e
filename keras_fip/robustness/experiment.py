"""Moved: the robustness experiment is `keras_fip.experiments.robust` (this path goes next release)."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    names = ("ATTACKERS", "COMPUTE_CONVENTION", "COUNTS", "DEFAULT_ATTACKERS", "DEFAULT_METHODS",
             "RobustConfig", "format_compute", "format_table", "run", "run_robust_experiment",
             "split_validation")
    return moved(name, {n: f"keras_fip.experiments.robust:{n}" for n in names}, __name__)
