"""keras-fip: functionally invariant paths (Raghavan & Thomson) for Keras 3.

Train a network along paths in weight space on which its function on protected
data stays the same while a second objective (a new task, sparsity, diversity)
improves.
"""

import os
import sys

from keras_fip._version import __version__

__all__ = [
    "AnchorMemory", "FIPEnsemble", "FIPModel", "NaNGuard", "Objective", "PathRecorder",
    "PathResult", "PathStep", "SparsityObjective", "WeightDiversity", "distances", "geometry",
    "traverse", "__version__",
]


def _started_as_the_command():
    # `keras-fip --help` must answer without importing TensorFlow (4 s): the
    # command imports what it needs once its arguments are parsed.
    return os.path.basename(sys.argv[0] if sys.argv else "").startswith("keras-fip")


if not _started_as_the_command():
    from keras_fip.engine import (  # noqa: E402
        AnchorMemory, FIPModel, NaNGuard, Objective, PathRecorder, PathResult, PathStep,
        distances, traverse,
    )

    # Imported for their registered classes, so that `keras.models.load_model`
    # finds them after `import keras_fip`.
    from keras_fip.robustness import FIPEnsemble, WeightDiversity  # noqa: E402
    from keras_fip.sparsity import SparsityObjective  # noqa: E402

    from keras_fip.engine.backend import is_tensorflow as _is_tensorflow  # noqa: E402

    if _is_tensorflow():  # the geometry module is written in TensorFlow
        from keras_fip import geometry  # noqa: E402


def __getattr__(name):
    # Reached only when the command started the package light.
    if name in __all__:
        import importlib

        module = "keras_fip.geometry" if name == "geometry" else None
        if module:
            return importlib.import_module(module)
        for package in ("keras_fip.engine", "keras_fip.robustness", "keras_fip.sparsity"):
            value = getattr(importlib.import_module(package), name, None)
            if value is not None:
                return value
    raise AttributeError(f"module 'keras_fip' has no attribute {name!r}")
