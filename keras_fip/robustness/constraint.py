"""Keeping the function along an ensemble path: a trust region and member acceptance.

A path that diversifies the weights drifts in function unless something holds
it. Two callbacks on `traverse` hold it, both measured on a validation split
carved from the training data (never on the test split):

- `FunctionalTrustRegion`: after every epoch of the path, the mean
  Bhattacharyya distance between the start's and the walker's outputs on the
  validation inputs must stay under `max_distance`. A segment that ends outside
  is undone (the weights go back to the last point inside) and the step length
  and the objective's weight shrink; a segment well inside lets them grow back
  towards their initial values. It is the `||theta|| <= radius` constraint of
  the paper, set on the function instead of the weights.
- `MemberAcceptance`: a sampled network joins the ensemble only when its
  validation accuracy is within `tolerance` of the start's.

`ScaledObjective` is the base of objectives whose weight such a controller
changes during `fit`: the scale lives in a non-trainable variable, so changing
it needs no retracing and the `.keras` file keeps it.
"""

import functools
import operator

import numpy as np
import keras
from keras import ops

from keras_fip import checks
from keras_fip.engine import backend
from keras_fip.engine.distances import bhattacharyya_numpy
from keras_fip.engine.networks import probabilities
from keras_fip.engine.objectives import Objective


def add_n(terms):
    """The sum of tensors: `tf.add_n` on TensorFlow (its order of additions, which
    the published figures were measured with), left to right elsewhere."""
    if backend.is_tensorflow():
        import tensorflow as tf

        return tf.add_n(terms)
    return functools.reduce(operator.add, terms)


def softmax_probabilities(network, x, batch_size=1000):
    """Deprecated: `keras_fip.engine.networks.probabilities` (this name goes next release).

    Args:
        network: a Keras classifier.
        x: inputs.
        batch_size: the prediction batch size.

    Returns:
        A float64 numpy array `(len(x), num_classes)` whose rows sum to 1.

    Raises:
        ValueError: inputs the network cannot take (Keras' error).

    Example:
        >>> p = probabilities(network, x_val)   # keras_fip.engine.networks
    """
    import warnings

    warnings.warn("softmax_probabilities is now keras_fip.engine.networks.probabilities; the "
                  "old name goes in the next release.", DeprecationWarning, stacklevel=2)
    return probabilities(network, x, batch_size)


def mean_bhattacharyya(p, q):
    """Mean over inputs of `-log sum_k sqrt(p_k q_k)` (0 for identical outputs).

    The mean of `keras_fip.engine.distances.bhattacharyya_numpy` over the rows.

    Args:
        p: class probabilities, `(N, num_classes)`.
        q: class probabilities of the same shape.

    Returns:
        The mean Bhattacharyya distance, a float (at most `-log 1e-12`).

    Raises:
        ValueError: `p` and `q` cannot be broadcast together (numpy's error).

    Example:
        >>> mean_bhattacharyya(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]]))
        0.0
    """
    return float(np.mean(bhattacharyya_numpy(p, q)))


class ScaledObjective(Objective):
    """An `Objective` whose term is multiplied by a scale held in a variable.

    `weight * scale * call(model)`; `scale` starts at 1 and a callback (the
    trust region) may `set_scale` during `fit` without retracing the step.

    Args:
        weight: multiplier of the term in the total loss.
        name: the layer's name.
        adaptive: whether the scale may change (`set_scale`); False fixes it at 1.
        **kwargs: passed to `Objective`.

    Raises:
        ValueError: from `set_scale`, on an objective built with `adaptive=False`.
        NotImplementedError: a subclass that does not implement `call`.

    Example:
        >>> class Push(ScaledObjective):
        ...     def call(self, model):
        ...         return -keras.ops.sum(keras.ops.square(model.network.trainable_weights[0]))
        >>> push = Push(weight=0.1)
        >>> push.set_scale(0.5)     # what the trust region does
    """

    def __init__(self, weight=1.0, name=None, adaptive=True, **kwargs):
        super().__init__(weight, name=name, **kwargs)
        self.adaptive = bool(adaptive)
        self._scale = (self.add_weight(shape=(), initializer="ones", trainable=False,
                                       name="scale") if self.adaptive else None)

    @property
    def scale(self):
        return 1.0 if self._scale is None else float(self._scale.numpy())

    def set_scale(self, value):
        if self._scale is None:
            raise ValueError(f"{self.name} was built with adaptive=False; its weight is fixed.")
        self._scale.assign(float(value))

    def __call__(self, model):
        term = self.weight * self.call(model)
        return term if self._scale is None else term * ops.cast(self._scale, term.dtype)

    def get_config(self):
        return {**super().get_config(), "adaptive": self.adaptive}


class FunctionalTrustRegion(keras.callbacks.Callback):
    """Holds a path within a functional distance of its start, on validation inputs.

    Meant for `traverse` (the walker is `self.model.network`). After every
    epoch it measures `d = mean Bhattacharyya(start outputs, walker outputs)` on
    `x_val`:

    - `d > max_distance`: the epoch's steps are undone (weights back to the
      last epoch that ended inside), and the step length (the optimizer's
      learning rate) and the objective's scale are multiplied by `shrink`;
    - otherwise both grow by `1 / sqrt(shrink)`, up to their initial values,
      so a walker held at the boundary keeps moving along it.

    When a `MemberAcceptance` refuses a candidate inside the region, the
    region was wider than the function allows: `candidate_rejected` narrows it
    to `shrink` times that candidate's distance and takes the walker back to the
    last accepted member. The radius so settles where members keep the
    start's validation accuracy.

    The logs get `val_distance`, `step_length`, `objective_scale` and
    `rejected_epochs` (so far). `validation_examples` counts the validation
    inputs it has passed forward through the walker (the compute it costs).

    Args:
        x_val: validation inputs (carved from the training data).
        start_probabilities: the start's class probabilities on `x_val`.
        max_distance: the budget of mean Bhattacharyya distance.
        objective: a `ScaledObjective` (with `adaptive=True`) whose weight is
            adapted too, or None.
        shrink: factor in (0, 1) applied on a rejected epoch.
        min_fraction: the step length never falls below this fraction of its
            initial value (the path keeps moving).

    Raises:
        ValueError: when training begins, an optimizer whose learning rate is a
            schedule rather than a constant.

    Example:
        >>> region = FunctionalTrustRegion(x_val, probabilities(net, x_val), 0.05)
        >>> traverse(net, x, steps=500, objectives=[diversity], callbacks=[region])
    """

    def __init__(self, x_val, start_probabilities, max_distance, objective=None, shrink=0.5,
                 min_fraction=0.01):
        super().__init__()
        self.x_val = np.asarray(x_val, np.float32)
        self.start_probabilities = np.asarray(start_probabilities, np.float64)
        self.max_distance = checks.number(max_distance, "max_distance", minimum=0, strict=True)
        self.objective = objective if getattr(objective, "adaptive", False) else None
        self.shrink = checks.number(shrink, "shrink", minimum=0, strict=True, maximum=0.999)
        self.min_fraction = checks.number(min_fraction, "min_fraction", minimum=0, strict=True,
                                          maximum=1)
        self.rejected_epochs = 0
        # Validation inputs passed forward (the start's outputs, given, are not counted).
        self.validation_examples = 0
        self.just_undone = False  # whether the last epoch's steps were undone
        self.back_at_member = False  # ... back to the last member itself
        self.last_distance = 0.0
        self._good = None
        self._initial_length = None

    def _lr(self):
        return self.model.optimizer.learning_rate

    def on_train_begin(self, logs=None):
        self._good = self.model.network.get_weights()
        self._member = self._good
        self._member_distance = 0.0
        if self._initial_length is None:
            self._initial_length = float(np.asarray(self._lr()))
        if not hasattr(self._lr(), "assign"):
            raise ValueError("FunctionalTrustRegion needs an optimizer with a constant learning "
                             "rate (the step length it adapts), not a schedule.")

    def distance(self):
        """The walker's current distance from the start on the validation inputs."""
        self.validation_examples += len(self.x_val)
        probs = probabilities(self.model.network, self.x_val)
        return mean_bhattacharyya(self.start_probabilities, probs)

    def _rescale(self, factor, ceiling=False):
        length = float(np.asarray(self._lr())) * factor
        low, high = self._initial_length * self.min_fraction, self._initial_length
        self._lr().assign(min(max(length, low), high))
        if self.objective is not None:
            self.objective.set_scale(min(max(self.objective.scale * factor, 1e-4), 1.0))

    def undo(self):
        """Returns the walker to the last point inside the region and shrinks the steps."""
        self.model.network.set_weights(self._good)
        self.back_at_member = self._good is self._member
        self.rejected_epochs += 1
        self._rescale(self.shrink)

    def member_accepted(self):
        """Marks the walker's current point as the last accepted member."""
        self._member = self.model.network.get_weights()
        self._member_distance = self.last_distance
        self._good = self._member

    def candidate_rejected(self):
        """A candidate inside the region failed the acceptance test: the region was too wide.

        The radius shrinks towards the last accepted member's distance (by
        `shrink` of the way from it to the candidate's: the member stays inside),
        the walker goes back to that member (or the start), and the steps shrink.
        """
        near = self._member_distance
        narrower = near + self.shrink * max(self.last_distance - near, 0.0)
        self.max_distance = max(min(self.max_distance, narrower), 1e-6)
        self.model.network.set_weights(self._member)
        self._good = self._member
        self.rejected_epochs += 1
        self._rescale(self.shrink)

    def on_epoch_end(self, epoch, logs=None):
        distance = self.distance()
        self.just_undone = distance > self.max_distance
        if self.just_undone:
            self.undo()
            distance = self.distance()
        else:  # a step inside: the steps grow back (a trust region's expansion)
            self._good = self.model.network.get_weights()
            self._rescale(1 / np.sqrt(self.shrink))
        self.last_distance = distance
        if logs is not None:
            logs.update({
                "val_distance": distance, "step_length": float(np.asarray(self._lr())),
                "objective_scale": self.objective.scale if self.objective else 1.0,
                "rejected_epochs": float(self.rejected_epochs),
                "max_distance": self.max_distance,
            })


class MemberAcceptance:
    """Accepts a network as an ensemble member when it keeps the start's accuracy.

    Args:
        x_val, y_val: the validation split.
        start_accuracy: the start's accuracy on it.
        tolerance: the most accuracy a member may lose (0.01: one point).

    Calling it with a network returns `(accepted, validation accuracy)`;
    `validation_examples` counts the inputs passed forward so far.

    Raises:
        ValueError: a `tolerance` outside [0, 1].

    Example:
        >>> accept = MemberAcceptance(x_val, y_val, accuracy(network, x_val, y_val), 0.01)
        >>> accepted, val_accuracy = accept(candidate)
    """

    def __init__(self, x_val, y_val, start_accuracy, tolerance=0.01):
        self.x_val = np.asarray(x_val, np.float32)
        self.y_val = np.asarray(y_val).reshape(-1)
        self.start_accuracy = float(start_accuracy)
        self.tolerance = checks.number(tolerance, "tolerance", minimum=0, maximum=1)
        self.validation_examples = 0

    def __call__(self, network):
        from keras_fip.engine.networks import accuracy

        self.validation_examples += len(self.x_val)
        value = accuracy(network, self.x_val, self.y_val)
        return value >= self.start_accuracy - self.tolerance - 1e-9, value


__all__ = ["FunctionalTrustRegion", "MemberAcceptance", "ScaledObjective",
           "mean_bhattacharyya", "softmax_probabilities"]
