"""Moved: the continual experiment is `keras_fip.experiments.continual` (`ContinualRunConfig`,
`run`); `run_continual_experiment` stays there one release."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    homes = {"run_continual_experiment": "continual", "ContinualRunConfig": "continual",
             "run": "continual", "DEFAULT_METHODS": "continual", "METHOD_NAMES": "continual",
             "format_table": "continual_tables", "format_then_sparsify": "continual_tables",
             "result_rows": "continual_tables", "ResumeWarning": "continual_runs",
             "SETTINGS": "continual_runs", "remove_run_checkpoints": "continual_runs"}
    return moved(name, {n: f"keras_fip.experiments.{m}:{n}" for n, m in homes.items()},
                 __name__)
