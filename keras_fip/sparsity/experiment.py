"""Moved: `keras_fip.experiments.sparsify` (`run(SparsifyConfig(...))`); `run_method` is
`keras_fip.sparsity.prune`."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    table = {n: f"keras_fip.experiments.sparsify:{n}" for n in (
        "DEFAULT_METHODS", "FIP_METHODS", "LABELLED_METHODS", "METHOD_NAMES", "MODEL_SUFFIXES",
        "format_table", "method_label", "min_layer_density", "run_sparsify_experiment",
        "train_dense", "uses_labels", "_model_file", "_load_network", "_single_network")}
    table.update(run_method="keras_fip.sparsity.pruning:run_method",
                 REFERENCE_PATH="keras_fip.sparsity.fip_methods:REFERENCE_PATH",
                 reference_distance="keras_fip.sparsity.fip_methods:reference_distance")
    return moved(name, table, __name__)
