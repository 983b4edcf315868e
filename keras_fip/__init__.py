"""keras-fip: functionally invariant paths (Raghavan & Thomson) for Keras 3.

Train a network along paths in weight space on which its function on protected
data stays the same while a second objective (a new task, sparsity, diversity)
improves.
"""

from keras_fip import geometry
from keras_fip.engine import (
    AnchorMemory, FIPModel, NaNGuard, Objective, PathRecorder, PathStep, distances,
)

# Imported for their registered classes, so that `keras.models.load_model` finds
# them after `import keras_fip`.
from keras_fip.robustness import FIPEnsemble, WeightDiversity  # noqa: E402
from keras_fip.sparsity import SparsityObjective  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "AnchorMemory", "FIPEnsemble", "FIPModel", "NaNGuard", "Objective", "PathRecorder",
    "PathStep", "SparsityObjective", "WeightDiversity", "distances", "geometry", "__version__",
]
