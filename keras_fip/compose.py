"""Moved: `keras_fip.experiments.compose` (it combines two jobs: an experiment)."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    return moved(name, {n: f"keras_fip.experiments.compose:{n}" for n in (
        "LABEL_FREE_METHODS", "ThenSparsifyResult", "learn_tasks_keeping_mask", "memory_of",
        "sparsify_after_tasks")}, __name__)
