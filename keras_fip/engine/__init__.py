"""The FIP engine: the model, output distances, anchor memory, objectives, steps."""

from keras_fip.engine import distances
from keras_fip.engine.distances import DistanceLoss
from keras_fip.engine.memory import AnchorMemory
from keras_fip.engine.model import FIPModel
from keras_fip.engine.objectives import Objective
from keras_fip.engine.callbacks import PathRecorder
from keras_fip.engine.callbacks import NaNGuard
from keras_fip.engine.steps import PathStep
from keras_fip.engine.traverse import PathResult, traverse
