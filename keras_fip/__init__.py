"""keras-fip: functionally invariant paths (Raghavan & Thomson) for Keras 3.

Train a network along paths in weight space on which its function on protected
data stays the same while a second objective (a new task, sparsity, diversity)
improves.
"""

from keras_fip import geometry
from keras_fip.engine import (
    AnchorMemory, FIPModel, NaNGuard, Objective, PathRecorder, PathStep, distances,
)

__version__ = "0.1.0"

__all__ = [
    "AnchorMemory", "FIPModel", "NaNGuard", "Objective", "PathRecorder", "PathStep",
    "distances", "geometry", "__version__",
]
