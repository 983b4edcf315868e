"""Sparsification along functionally invariant paths, and export through tfmot.

    result = sparsify(network, x_train, y_train, sparsity=0.95)   # FIP path + snap
    result = sparsify_ramp(network, x_train, sparsity=0.95)       # ramped FIP, no labels
    report = export_sparse(result.model, "export/", check_inputs=x_test)

tensorflow-model-optimization and tf_keras are imported only by the export and
the tfmot baseline, and never change what `keras` / `tf.keras` mean for the caller.
"""

from keras_fip.sparsity.baselines import (
    gradual_magnitude, gradual_magnitude_kd, one_shot, one_shot_kd, tfmot_polynomial,
)
from keras_fip.sparsity.callbacks import GradualMask, HoldMask, SparsityMonitor
from keras_fip.sparsity.convert import (
    SUPPORTED_LAYERS, UnsupportedModelError, from_tf_keras, to_tf_keras,
)
from keras_fip.sparsity.export import (
    ExportFolderError, ExportReport, export_sparse, gzip_size, saved_model_predict, tflite_predict,
)
from keras_fip.sparsity.fip import (
    SparsificationResult, finetune, sparsify,
)
from keras_fip.sparsity.objective import SparsityObjective
from keras_fip.sparsity.ramp import sparsify_ramp
from keras_fip.sparsity.prunable import masks_of, measured_sparsity, prunable_variables
from keras_fip.sparsity.schedules import ConstantSparsity, PolynomialSparsity, SparsitySchedule

__all__ = [
    "ConstantSparsity", "PolynomialSparsity", "SparsitySchedule", "ExportFolderError",
    "ExportReport", "GradualMask", "HoldMask", "gradual_magnitude", "gradual_magnitude_kd", "SUPPORTED_LAYERS", "SparsificationResult",
    "SparsityMonitor", "SparsityObjective", "UnsupportedModelError", "export_sparse",
    "finetune", "from_tf_keras", "gzip_size", "masks_of", "measured_sparsity",
    "one_shot", "one_shot_kd", "prunable_variables", "saved_model_predict", "sparsify",
    "sparsify_ramp",
    "tfmot_polynomial", "tflite_predict", "to_tf_keras",
]
