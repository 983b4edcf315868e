"""The memory terms: plugins whose `memory_loss` hook adds a term on the memory batch.

A method's memory term is the sum of its plugins' terms, in order
(`ContinualModel`). Each term is saved with the model (its settings in the
model's config), so a model loaded from a checkpoint trains as it did.

Each term computes exactly what the method it came from computed: the FIP
distance (`OutputDistance`), cross-entropy on labels (`LabelLoss`: replay,
ER-ACE, the `*_labels` variants, DER++'s second batch) and DER's logit matching
(`LogitMatching`).
"""

import keras
from keras import ops

from keras_fip.continual.plugins import Plugin
from keras_fip.engine.model import FIPModel


@keras.saving.register_keras_serializable("keras_fip")
class OutputDistance(Plugin):
    """`fip_weight * D(anchor outputs, outputs)` on the memory batch: the FIP term.

    The distance and its weight are the model's own (`FIPModel(distance=...,
    fip_weight=...)`), so the evaluation's `fip_distance` measures the same.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> model = ContinualModel(network, terms=[OutputDistance()], fip_weight=300.0)
    """

    def memory_loss(self, model, anchor_outputs, labels, outputs):
        return FIPModel.memory_loss(model, anchor_outputs, labels, outputs)


@keras.saving.register_keras_serializable("keras_fip")
class LabelLoss(Plugin):
    """`weight * cross-entropy(labels)` on remembered samples: replay's term.

    Args:
        weight: the term's weight.
        own_batch: draw a second memory batch for it (DER++), instead of the
            step's memory batch.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> model = ContinualModel(network, terms=[LabelLoss(4.0)])   # experience replay
    """

    def __init__(self, weight=1.0, own_batch=False):
        self.weight = float(weight)
        self.own_batch = bool(own_batch)

    def memory_loss(self, model, anchor_outputs, labels, outputs):
        if self.own_batch:
            x, _, labels = model.memory_batch()
            outputs = ops.cast(model(x, training=False), "float32")
        fitted = keras.losses.sparse_categorical_crossentropy(
            labels, outputs, from_logits=model.from_logits)
        return self.weight * ops.mean(fitted)

    def get_config(self):
        return {"weight": self.weight, "own_batch": self.own_batch}


@keras.saving.register_keras_serializable("keras_fip")
class LogitMatching(Plugin):
    """`alpha * MSE(outputs, stored outputs)` on the memory batch: DER's term
    (Buzzega et al. 2020).

    Args:
        alpha: the term's weight.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> model = ContinualModel(network, terms=[LogitMatching(0.1), LabelLoss(0.5, True)])
    """

    def __init__(self, alpha=0.5):
        self.alpha = float(alpha)

    def memory_loss(self, model, anchor_outputs, labels, outputs):
        return self.alpha * ops.mean(ops.square(outputs - anchor_outputs))

    def get_config(self):
        return {"alpha": self.alpha}


@keras.saving.register_keras_serializable("keras_fip")
class ContinualModel(FIPModel):
    """A `FIPModel` whose memory term is its memory-term plugins', added in order.

    Args:
        *args: as `FIPModel` (the network first).
        terms: plugins answering `memory_loss` (`OutputDistance`, `LabelLoss`,
            `LogitMatching`, or your own, registered with
            `keras.saving.register_keras_serializable` to be saved).
        **kwargs: as `FIPModel`.

    Raises:
        ValueError: no terms, or as `FIPModel`.

    Example:
        >>> model = ContinualModel(network, terms=[OutputDistance(), LabelLoss(0.5)],
        ...                        fip_weight=100.0, memory_batch_size=64)
        >>> model.remember(x_a, y_a, memory_per_class=20)
    """

    def __init__(self, *args, terms=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.terms = list(terms)
        if not self.terms:
            raise ValueError("ContinualModel needs at least one memory term (a FIPModel has "
                             "the output distance alone).")

    def memory_loss(self, anchor_outputs, labels, outputs):
        total = None
        for term in self.terms:
            value = term.memory_loss(self, anchor_outputs, labels, outputs)
            total = value if total is None else total + value
        return total

    def get_config(self):
        return {**super().get_config(),
                "terms": [keras.saving.serialize_keras_object(t) for t in self.terms]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "terms" in config:  # absent from the files of keras-fip 0.2's classes (legacy.py)
            config["terms"] = [keras.saving.deserialize_keras_object(t) for t in config["terms"]]
        return super().from_config(config)
