"""The model classes of keras-fip 0.2, kept one release so that their files still load.

Each was a `FIPModel` subclass overriding `memory_loss`; each is now a
`ContinualModel` with the memory-term plugins that compute the same, built
from the old arguments. New code builds `ContinualModel(network, terms=[...])`.
"""

import warnings

import keras

from keras_fip.continual.terms import ContinualModel, LabelLoss, LogitMatching, OutputDistance


def _deprecated(old, new):
    warnings.warn(f"{old} is now {new}; {old} goes in the next release.", DeprecationWarning,
                  stacklevel=4)


@keras.saving.register_keras_serializable("keras_fip")
class ReplayModel(ContinualModel):
    """Deprecated: `ContinualModel(network, terms=[LabelLoss(replay_weight)])`.

    Args:
        *args: as `FIPModel` (the network first).
        replay_weight: the weight of the memory's cross-entropy.
        terms: the terms (given when the model is loaded from a file of this version).
        **kwargs: as `FIPModel`.

    Raises:
        ValueError: as `FIPModel`.

    Example:
        >>> model = ReplayModel(network, replay_weight=4.0, memory_batch_size=64)
        >>> model.remember(x_a, y_a, memory_per_class=20)
    """

    def __init__(self, *args, replay_weight=1.0, terms=None, **kwargs):
        if terms is None:
            _deprecated("ReplayModel(replay_weight=w)", "ContinualModel(terms=[LabelLoss(w)])")
            terms = [LabelLoss(replay_weight)]
        super().__init__(*args, terms=terms, **kwargs)


@keras.saving.register_keras_serializable("keras_fip")
class FIPLabelsModel(ContinualModel):
    """Deprecated: `ContinualModel(network, terms=[OutputDistance(), LabelLoss(label_weight)])`."""

    def __init__(self, *args, label_weight=1.0, terms=None, **kwargs):
        if terms is None:
            _deprecated("FIPLabelsModel(label_weight=w)",
                        "ContinualModel(terms=[OutputDistance(), LabelLoss(w)])")
            terms = [OutputDistance(), LabelLoss(label_weight)]
        super().__init__(*args, terms=terms, **kwargs)


@keras.saving.register_keras_serializable("keras_fip")
class DERModel(ContinualModel):
    """Deprecated: `ContinualModel(network, terms=[LogitMatching(alpha), LabelLoss(beta,
    own_batch=True)])` (no `LabelLoss` when `beta` is 0)."""

    def __init__(self, *args, alpha=0.5, beta=0.5, terms=None, **kwargs):
        if terms is None:
            _deprecated("DERModel(alpha=a, beta=b)", "ContinualModel(terms=[LogitMatching(a), "
                        "LabelLoss(b, own_batch=True)])")
            terms = [LogitMatching(alpha)] + ([LabelLoss(beta, own_batch=True)] if beta else [])
        super().__init__(*args, terms=terms, **kwargs)
