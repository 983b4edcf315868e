"""Experience replay from the memory every method shares: `replay` and `er_ace`."""

from keras_fip.continual.methods.base import Method
from keras_fip.continual.plugins import OwnClassesOnly, StoreSamples
from keras_fip.continual.terms import LabelLoss


class Replay(Method):
    """Experience replay from the same memory as `fip` (same samples, same batch).

    Its plugins: `StoreSamples` after each task and `LabelLoss` (cross-entropy
    on the memory batch's labels).

    Args:
        replay_weight: the weight of the memory's cross-entropy.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, Replay(replay_weight=4.0), build)
    """

    name = "replay"
    family = "replay"

    def __init__(self, replay_weight=4.0):
        super().__init__([StoreSamples(), LabelLoss(replay_weight)])
        self.replay_weight = replay_weight

    def get_config(self):
        return {"replay_weight": self.replay_weight}


class ERACE(Method):
    """ER-ACE (Caccia et al. 2022): replay with an asymmetric cross-entropy.

    The new task's batches compete only among the new task's classes
    (`OwnClassesOnly`), so learning them does not push the old classes' logits
    down; the memory's batches (`LabelLoss`, as in `replay`) compete among all
    classes. The task's samples join the memory when the task starts
    (`StoreSamples(when="before")`), as they enter ER-ACE's buffer while the
    data streams in: the memory's batches then teach the new classes apart from
    the old (same number stored per class as every method).

    Args:
        replay_weight: the weight of the memory's cross-entropy.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, "er_ace", build)
    """

    name = "er_ace"
    family = "replay"

    def __init__(self, replay_weight=1.0):
        super().__init__([StoreSamples(when="before"), LabelLoss(replay_weight),
                          OwnClassesOnly()])
        self.replay_weight = replay_weight

    def get_config(self):
        return {"replay_weight": self.replay_weight}
