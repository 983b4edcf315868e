"""Moved: `keras_fip.experiments.sparsify_plots` (plots are report-level)."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    return moved(name, {"plot_accuracy_against_sparsity":
                        "keras_fip.experiments.sparsify_plots:plot_accuracy_against_sparsity"},
                 __name__)
