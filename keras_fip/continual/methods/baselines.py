"""The bounds of a comparison: `finetune` (forgets) and `joint` (all tasks so far together)."""

from keras_fip.continual.methods.base import Method
from keras_fip.continual.plugins import SeenTasks


class FineTune(Method):
    """Fine-tuning: each task learned in turn with nothing kept of the earlier ones.

    The lower bound of a comparison (it forgets).

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, "finetune", build)
    """

    name = "finetune"
    family = "baseline"


class Joint(Method):
    """Trains on the union of all tasks seen so far (the upper bound): `SeenTasks`.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, "joint", build)
    """

    name = "joint"
    family = "baseline"

    def __init__(self):
        super().__init__([SeenTasks()])
