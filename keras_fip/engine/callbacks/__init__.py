"""The engine's Keras callbacks, one per module.

- `NaNGuard` (`nan_guard`): stops after an epoch whose loss is not finite and puts
  back the weights of the start of that epoch;
- `PathRecorder` (`path_recorder`): records the networks a path passes through;
- `PathCheckpoint` (`path_checkpoint`): saves a path after every epoch, so a
  killed path resumes exactly.
"""

from keras_fip.engine.callbacks.nan_guard import NaNGuard
from keras_fip.engine.callbacks.path_checkpoint import PathCheckpoint
from keras_fip.engine.callbacks.path_recorder import PathRecorder

__all__ = ["NaNGuard", "PathCheckpoint", "PathRecorder"]
