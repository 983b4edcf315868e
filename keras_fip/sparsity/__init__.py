"""Sparsification along functionally invariant paths, its peers, and export through tfmot.

    result = sparsify(network, x_train, y_train, sparsity=0.95)   # FIP path + snap
    result = sparsify_ramp(network, x_train, sparsity=0.95)       # ramped FIP, no labels
    result = prune("gmp", network, x_train, y_train, sparsity=0.95, steps=1000)  # any method
    report = export_sparse(result.network, "export/", check_inputs=x_test)

The names are imported when first read (`keras_fip.sparsity.registry`, the
method names, needs no TensorFlow, so `keras-fip sparsify --help` stays light).
tensorflow-model-optimization and tf_keras are imported only by the export and
the tfmot peer, and never change what `keras` / `tf.keras` mean for the caller.
"""

from keras_fip import lazy

#: Each public name and the module that defines it.
_HOMES = {
    "ConstantSparsity": "schedules", "PolynomialSparsity": "schedules",
    "SparsitySchedule": "schedules",
    "GradualMask": "callbacks", "HoldMask": "callbacks", "SparsityMonitor": "callbacks",
    "SUPPORTED_LAYERS": "convert", "UnsupportedModelError": "convert",
    "from_tf_keras": "convert", "to_tf_keras": "convert",
    "ExportFolderError": "export", "ExportReport": "export", "export_sparse": "export",
    "gzip_size": "export", "saved_model_predict": "export", "tflite_predict": "export",
    "SparsificationResult": "result", "finetune": "training", "sparsify": "fip",
    "sparsify_ramp": "ramp", "SparsityObjective": "objective",
    "masks_of": "prunable", "measured_sparsity": "prunable", "prunable_variables": "prunable",
    "gradual_magnitude": "peers", "gradual_magnitude_kd": "peers", "one_shot": "peers",
    "one_shot_kd": "peers", "fisher_pruning": "peers", "tfmot_polynomial": "peers",
    "METHODS": "registry", "prune": "pruning",
}

__all__ = ["ConstantSparsity", "ExportFolderError", "ExportReport", "GradualMask", "HoldMask",
    "METHODS", "PolynomialSparsity", "SUPPORTED_LAYERS", "SparsificationResult",
    "SparsityMonitor", "SparsityObjective", "SparsitySchedule", "UnsupportedModelError",
    "export_sparse", "finetune", "fisher_pruning", "from_tf_keras", "gradual_magnitude",
    "gradual_magnitude_kd", "gzip_size", "masks_of", "measured_sparsity", "one_shot",
    "one_shot_kd", "prunable_variables", "prune", "saved_model_predict", "sparsify",
    "sparsify_ramp", "tflite_predict", "tfmot_polynomial", "to_tf_keras"]



__getattr__, __dir__ = lazy.serve(__name__, {name: f".{home}" for name, home in _HOMES.items()})

