"""Output distances between the anchor network and the current network.

A distance compares what the anchor network output on protected inputs (cached,
frozen) with what the current network outputs on the same inputs, and returns one
value per sample. The FIP engine averages it over a memory batch.

Every distance knows whether the network's outputs are logits or probabilities
(`from_logits`); the FIP model sets this from its network when a distance is
given by name.

Adding a distance is one class: a `Distance` subclass, registered with Keras (to
be saved) and in `DISTANCES` under its name (to be asked for by name).
"""

import keras
import numpy as np
from keras import ops

from keras_fip.registry import Registry

_PACKAGE = "keras_fip"

#: Name -> `Distance` class: what `get` (and so `FIPModel(distance=...)`) accepts by name.
DISTANCES = Registry("distance")


class Distance:
    """Base class: `distance(anchor_outputs, outputs)` -> per-sample values.

    Subclasses implement `call(anchor, outputs)` on tensors of shape
    `(batch, num_outputs)`. The anchor side is treated as a constant.
    """

    name = "distance"

    def __init__(self, from_logits=True):
        self.from_logits = bool(from_logits)

    def __call__(self, anchor_outputs, outputs):
        outputs = ops.convert_to_tensor(outputs)
        if keras.backend.standardize_dtype(outputs.dtype) in ("float16", "bfloat16"):
            # Mixed precision: small distances need float32, as the anchors are stored.
            outputs = ops.cast(outputs, "float32")
        anchor_outputs = ops.stop_gradient(ops.cast(anchor_outputs, outputs.dtype))
        if anchor_outputs.shape[-1] != outputs.shape[-1]:
            raise ValueError(
                f"{type(self).__name__}: anchor outputs have "
                f"{anchor_outputs.shape[-1]} values per sample but the network "
                f"outputs {outputs.shape[-1]}."
            )
        return self.call(anchor_outputs, outputs)

    def call(self, anchor, outputs):
        raise NotImplementedError

    def _probabilities(self, values):
        return ops.softmax(values, axis=-1) if self.from_logits else values

    def _log_probabilities(self, values):
        if self.from_logits:
            return ops.log_softmax(values, axis=-1)
        return ops.log(ops.maximum(values, 1e-12))

    def get_config(self):
        return {"from_logits": self.from_logits}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


@DISTANCES.register("bhattacharyya")
@keras.saving.register_keras_serializable(_PACKAGE)
class Bhattacharyya(Distance):
    """The paper's distance on softmax outputs: `-log sum_k sqrt(p_k q_k)`.

    `q` is the anchor's distribution, `p` the current one. The coefficient is
    computed from log-probabilities, `sum_k sqrt(p_k q_k) = exp(logsumexp((log p +
    log q) / 2))`, so its gradient stays finite where a probability is tiny, and
    it is measured against the anchor's own coefficient: the distance is exactly
    0 at the anchor and never negative.

    With `eps_scale > 0` it is the reference code's formula instead,
    `-log sum_k sqrt(p_k q_k + eps)` with `eps = eps_scale * min q` floored at
    `eps_floor` (the reference uses `eps_scale=1e-3`). The eps inside the root
    makes that one slightly negative at the anchor (about -0.002 to -0.005 for
    ten classes); use it to reproduce the reference's numbers.

    Args:
        from_logits: whether the outputs are logits.
        eps_scale: 0 for the exact distance, or the reference's eps scale.
        eps_floor: the least eps (the reference: 1e-10 for continual learning,
            1e-12 in its sparsification notebook).
        eps_over: `"sample"` (the minimum over each anchor row) or `"batch"`
            (one eps from the minimum over the whole anchor batch, as the
            reference computes `torch.min(output_ori)`).
    """

    name = "bhattacharyya"

    def __init__(self, from_logits=True, eps_scale=0.0, eps_floor=1e-10, eps_over="sample"):
        super().__init__(from_logits)
        self.eps_scale = float(eps_scale)
        self.eps_floor = float(eps_floor)
        if not (self.eps_scale >= 0 and self.eps_floor >= 0):
            raise ValueError(
                f"Bhattacharyya: eps_scale and eps_floor must be >= 0, got "
                f"{eps_scale} and {eps_floor}."
            )
        if eps_over not in ("sample", "batch"):
            raise ValueError(f"Bhattacharyya: eps_over must be 'sample' or 'batch', "
                             f"got {eps_over!r}.")
        self.eps_over = eps_over

    def call(self, anchor, outputs):
        if self.eps_scale > 0:
            return self._reference(anchor, outputs)
        log_q = self._log_probabilities(anchor)
        log_p = self._log_probabilities(outputs)
        log_coefficient = ops.logsumexp(0.5 * (log_p + log_q), axis=-1)
        # `0.5 * (log_q + log_q)` is `log_q` to the bit, so at the anchor the
        # difference is exactly 0; elsewhere it is >= 0 up to rounding.
        return ops.maximum(ops.logsumexp(log_q, axis=-1) - log_coefficient, 0.0)

    def _reference(self, anchor, outputs):
        q = self._probabilities(anchor)
        p = self._probabilities(outputs)
        smallest = (ops.min(q) if self.eps_over == "batch"
                    else ops.min(q, axis=-1, keepdims=True))
        eps = ops.maximum(self.eps_scale * smallest, self.eps_floor)
        return -ops.log(ops.sum(ops.sqrt(p * q + eps), axis=-1))

    def get_config(self):
        config = {**super().get_config(), "eps_scale": self.eps_scale,
                  "eps_floor": self.eps_floor}
        if self.eps_over != "sample":  # absent by default: older files still match
            config["eps_over"] = self.eps_over
        return config


def bhattacharyya_numpy(p, q):
    """The Bhattacharyya distance of probability rows in NumPy, per row.

    The twin of `Bhattacharyya` for arrays already out of the network (an
    ensemble's members, a trust region's check): `-log sum_k sqrt(p_k q_k)`,
    the coefficient clipped to [1e-12, 1] so that identical rows give exactly 0
    and disjoint ones a finite distance.

    Args:
        p: class probabilities, `(..., num_classes)`.
        q: class probabilities broadcastable to `p`.

    Returns:
        A float64 array of distances, one per row (at most `-log 1e-12`).

    Raises:
        ValueError: `p` and `q` cannot be broadcast together (NumPy's error).

    Example:
        >>> bhattacharyya_numpy(np.array([[0.5, 0.5]]), np.array([[0.5, 0.5]]))
        array([0.])
    """
    p = np.clip(np.asarray(p, np.float64), 0, None)
    q = np.clip(np.asarray(q, np.float64), 0, None)
    overlap = np.sum(np.sqrt(p * q), axis=-1)
    return -np.log(np.clip(overlap, 1e-12, 1.0))


@DISTANCES.register("squared_l2")
@DISTANCES.register("l2")
@keras.saving.register_keras_serializable(_PACKAGE)
class SquaredL2(Distance):
    """Squared Euclidean distance between logits, halved: `0.5 * ||z - z_anchor||^2`.

    For a network that outputs probabilities, log-probabilities stand in for the
    logits.
    """

    name = "l2"

    def call(self, anchor, outputs):
        if not self.from_logits:
            anchor, outputs = self._log_probabilities(anchor), self._log_probabilities(outputs)
        return 0.5 * ops.sum(ops.square(outputs - anchor), axis=-1)


@DISTANCES.register("kl")
@keras.saving.register_keras_serializable(_PACKAGE)
class KLDivergence(Distance):
    """`KL(anchor || current)` between the softmax distributions."""

    name = "kl"

    def call(self, anchor, outputs):
        log_q = self._log_probabilities(anchor)
        log_p = self._log_probabilities(outputs)
        return ops.sum(ops.exp(log_q) * (log_q - log_p), axis=-1)


@keras.saving.register_keras_serializable(_PACKAGE)
class FunctionDistance(Distance):
    """Wraps a plain function `fn(anchor_outputs, outputs) -> per-sample values`.

    The function must be registered with `keras.saving.register_keras_serializable`
    for a model using it to be saved and loaded.
    """

    name = "function"

    def __init__(self, fn, from_logits=True):
        super().__init__(from_logits)
        if not callable(fn):
            raise TypeError(f"FunctionDistance needs a callable, got {fn!r}.")
        self.fn = fn

    def call(self, anchor, outputs):
        return self.fn(anchor, outputs)

    def get_config(self):
        return {**super().get_config(), "fn": keras.saving.serialize_keras_object(self.fn)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["fn"] = keras.saving.deserialize_keras_object(config["fn"])
        return cls(**config)


def get(identifier, from_logits=True):
    """Resolves a distance from a name, a `Distance`, a callable or a config dict.

    Args:
        identifier: `"bhattacharyya"` (the paper's), `"l2"` (squared L2 on
            logits), `"kl"`, a `Distance` instance, a function
            `fn(anchor_outputs, outputs)` returning per-sample values, or a
            serialised distance.
        from_logits: whether the network outputs logits; used for names and
            functions (an instance keeps its own setting).

    Returns:
        A `Distance`.

    Raises:
        ValueError: an unknown name (the message lists the registered ones).
        TypeError: anything else that is not a distance.

    Example:
        >>> get("bhattacharyya", from_logits=True)
        Bhattacharyya(from_logits=True)
    """
    if isinstance(identifier, Distance):
        return identifier
    if isinstance(identifier, str):
        if identifier.lower() not in DISTANCES:
            raise ValueError(
                f"Unknown distance {identifier!r}; known: {', '.join(DISTANCES)}; "
                "or pass a Distance or a function."
            )
        return DISTANCES.get(identifier.lower())(from_logits=from_logits)
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    if callable(identifier):
        return FunctionDistance(identifier, from_logits=from_logits)
    raise TypeError(
        f"A distance must be a name, a Distance or a function, got {identifier!r}."
    )


def serialize(distance):
    return keras.saving.serialize_keras_object(distance)


@keras.saving.register_keras_serializable(_PACKAGE)
class DistanceLoss(keras.losses.Loss):
    """An output distance used as a compiled loss, with anchor outputs as targets.

    When the protected data is the training data itself (sparsification,
    diversification), fit on `(x, anchor_outputs)` pairs, where `anchor_outputs`
    are the starting network's outputs computed once: the compiled loss is then
    the functional distance, measured in the same forward pass as training.

    Args:
        distance: a name, `Distance` or function (see `get`).
        from_logits: whether the network outputs logits.

    Example:
        >>> anchors = network.predict(x)
        >>> model.compile(PathStep(0.01), loss=DistanceLoss("bhattacharyya"))
        >>> model.fit(x, anchors, batch_size=200)
    """

    def __init__(self, distance="bhattacharyya", from_logits=True, name="distance_loss",
                 reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.distance = get(distance, from_logits=from_logits)

    def call(self, y_true, y_pred):
        return self.distance(y_true, y_pred)

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction,
                "distance": serialize(self.distance)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["distance"] = keras.saving.deserialize_keras_object(config["distance"])
        return cls(**config)
