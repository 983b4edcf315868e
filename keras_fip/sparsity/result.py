"""What every pruning method returns, and the checks every method shares.

`SparsificationResult` is the one result of the FIP recipes (`sparsify`,
`sparsify_ramp`) and of every peer (`keras_fip.sparsity.peers`), so that the
experiment reads them all alike. `copy_network`, `check_training_data`,
`check_validation` and `check_training` are the input checks they all make
before any work.
"""

import dataclasses
import warnings

import keras

from keras_fip import checks
from keras_fip.engine.networks import fresh_copy


@dataclasses.dataclass
class SparsificationResult:
    """What a sparsification run produced: what `sparsify` and every peer return.

    Args:
        network: the sparse Keras network (a copy; the input network is untouched).
        masks: `{variable path: mask}` of the counted weights.
        sparsity: measured fraction of zeros over the counted weights.
        path_steps: steps taken along the path; `finetune_steps`: after it.
        reached: whether the gap to the sparse set fell under the tolerance
            (the *set* was reached; says nothing of the function).
        gap: ||w - P_s(w)|| just before snapping.
        path: per-epoch records of the path (logs, weight distance, accuracy).
        seconds: wall time.
        accuracy_at_start: validation accuracy of the starting network
            (None without validation data).
        accuracy_at_arrival: validation accuracy at the end of the path,
            before the snap: what the path kept.
        accuracy_at_snap: validation accuracy right after the snap to exact
            zeros, before any fine-tuning.
        kept: whether `accuracy_at_arrival` is within 1 point of
            `accuracy_at_start` (None without validation data).
        distance_at_arrival: mean exact Bhattacharyya distance between the
            starting network's outputs and the arrival's, on the validation
            inputs (or the first 2,000 training inputs without them): what
            the path kept, measured without labels.
        max_pull: the largest lambda the pull reached (`weight` times the
            largest growth factor; `weight` when the pull never grew).
        pull_growth_steps: steps on which `pull_growth` made the pull grow
            (0: it never fired).
        lowest_accuracy_on_path: the lowest validation accuracy recorded
            along the path (`sparsify_ramp`; None for `sparsify`).
        kept_rule: what `kept` means for this path, in words.

    Returns:
        A dataclass; `.model` is the old name of `.network` (deprecated).

    Raises:
        TypeError: a required field is missing (a dataclass).

    Example:
        >>> result = sparsify(network, x_train, y_train, sparsity=0.95, steps=1000,
        ...                   validation_data=(x_val, y_val))
        >>> result.reached, result.kept, result.sparsity, result.network.count_params()
    """

    network: keras.Model
    masks: dict
    sparsity: float
    path_steps: int
    finetune_steps: int
    reached: bool
    gap: float
    path: list
    seconds: float
    accuracy_at_start: float = None
    accuracy_at_arrival: float = None
    accuracy_at_snap: float = None
    kept: bool = None
    distance_at_arrival: float = None
    max_pull: float = None
    pull_growth_steps: int = 0
    lowest_accuracy_on_path: float = None
    kept_rule: str = "validation accuracy at arrival within 0.01 of the start"

    @property
    def model(self):
        """The sparse network under its old name (use `.network`; goes in the next release)."""
        warnings.warn("SparsificationResult.model is now SparsificationResult.network; the old "
                      "name goes in the next release.", DeprecationWarning, stacklevel=2)
        return self.network

    def arrival(self):
        """What the path kept where it arrived, as a JSON-ready dict."""
        return {"reached": self.reached, "kept": self.kept, "gap": self.gap,
                "accuracy_at_start": self.accuracy_at_start,
                "accuracy_at_arrival": self.accuracy_at_arrival,
                "accuracy_at_snap": self.accuracy_at_snap,
                "distance_at_arrival": self.distance_at_arrival,
                "max_pull": self.max_pull, "pull_growth_steps": self.pull_growth_steps,
                "lowest_accuracy_on_path": self.lowest_accuracy_on_path,
                "kept_rule": self.kept_rule}


def copy_network(network):
    """A fresh copy of a functional or Sequential network with the same weights."""
    return fresh_copy(checks.classifier(network, "model"))


def check_training_data(network, x, y=None, needs_labels=False):
    """Training inputs (finite, shaped for `network`) and labels (class ids), checked."""
    x = checks.inputs(x, network, "x")
    if y is None:
        if needs_labels:
            raise ValueError("Training with a loss needs labels y (class ids); got y=None.")
        return x, None
    return x, checks.labels(y, len(x), checks.num_classes(network), "y")


def check_validation(network, data):
    """`validation_data`, a labelled `(x, y)` the network can take, checked."""
    return checks.labelled_pair(data, network, "validation_data")


def check_training(steps, batch_size, learning_rate, minimum_steps=1):
    """The training budget and learning rate, checked before any work: `(steps, batch_size)`."""
    checks.number(learning_rate, "learning_rate", minimum=0, strict=True)
    return (checks.count(steps, "steps", minimum=minimum_steps),
            checks.count(batch_size, "batch_size"))
