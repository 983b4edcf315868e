"""Robust ensembles grown along functionally invariant paths.

From one trained network, walk a path whose secondary objective diversifies the
weights (`WeightDiversity`) while the functional distance on the training data
keeps the function; sample members along it (`grow_ensemble`) and average them
(`FIPEnsemble`). Attack them through cleverhans (`attacks.generate`, imported
lazily: `pip install keras-fip[robust]`) and measure them (`analysis`).

Example:
    >>> from keras_fip.robustness import grow_ensemble, generate, accuracy
    >>> result = grow_ensemble(network, x_train, members=10, steps_between=40)
    >>> x_adv = generate(network, x_test, y_test, "pgd", eps=0.2)   # transfer
    >>> accuracy(result.ensemble, x_adv, y_test)
"""

from keras_fip.robustness.analysis import (
    accuracy, adversarial_accuracies, distances_from_start, diversity, member_accuracies,
    probabilities, transfer_matrix,
)
from keras_fip.robustness.attacks import ATTACKS, Attack, generate
from keras_fip.robustness.baselines import deep_ensemble, train_network
from keras_fip.robustness.diversify import (
    GrowthResult, MemberSampler, WeightDiversity, grow_ensemble, weight_distance,
)
from keras_fip.robustness.ensemble import FIPEnsemble

__all__ = [
    "ATTACKS", "Attack", "FIPEnsemble", "GrowthResult", "MemberSampler", "WeightDiversity",
    "accuracy", "adversarial_accuracies", "deep_ensemble", "distances_from_start",
    "diversity", "generate", "grow_ensemble", "member_accuracies", "probabilities",
    "train_network", "transfer_matrix", "weight_distance",
]
