"""Continual learning on the FIP engine: task streams, methods, runner, metrics.

The names load when first used, so that `keras_fip.continual.registry` (the
methods by name) is read by `keras-fip continual --help` without TensorFlow.
"""

from keras_fip import lazy

_HOMES = {
    "keras_fip.continual.methods": (
        "DER", "DERPP", "ERACE", "EWC", "FIP", "VARIANTS", "Consolidate", "FineTune", "Joint",
        "Method", "OutputMatching", "Replay", "ReplayModel"),
    "keras_fip.continual.plugins": ("Plugin", "RefreshAnchors", "StoreSamples"),
    "keras_fip.continual.terms": ("ContinualModel", "LabelLoss", "LogitMatching",
                                  "OutputDistance"),
    "keras_fip.continual.registry": ("METHODS",),
    "keras_fip.continual.metrics": ("backward_transfer", "forgetting", "average_accuracy",
                                    "summarize"),
    "keras_fip.continual.runner": ("ContinualConfig", "MethodResult", "compare", "run_method"),
    "keras_fip.continual.streams": ("Task", "TaskStream", "class_split", "dataset_sequence",
                                    "make_stream", "permuted", "rotated"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "DER", "DERPP", "ERACE", "EWC", "FIP", "VARIANTS", "Consolidate", "FineTune", "Joint",
    "Method", "OutputMatching", "Replay", "ReplayModel", "Plugin", "RefreshAnchors",
    "StoreSamples", "ContinualModel", "LabelLoss", "LogitMatching", "OutputDistance", "METHODS",
    "backward_transfer", "forgetting", "average_accuracy", "summarize", "ContinualConfig",
    "MethodResult", "compare", "run_method", "Task", "TaskStream", "class_split",
    "dataset_sequence", "make_stream", "permuted", "rotated",
]


__getattr__, __dir__ = lazy.serve(__name__, _HOME)
