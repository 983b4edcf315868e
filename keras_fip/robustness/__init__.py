"""Robust ensembles grown along functionally invariant paths, and their peers.

From one trained network, walk a path whose secondary objective diversifies the
weights (`WeightDiversity`, or a `RandomDirection` as in the paper's sampling)
while the functional distance on the training data keeps the function; hold it
with a `FunctionalTrustRegion` and accept members (`MemberAcceptance`) on a
validation split; sample members along it (`grow_ensemble`) and average them
(`FIPEnsemble`). The peers (`peers/`): `deep_ensemble`, `fge_ensemble`
(Garipov et al. 2018) and `snapshot_ensemble` (Huang et al. 2017). Every
ensemble method is an entry of `ENSEMBLES` and every attack one of `ATTACKS`
(`registry`). Attack them through cleverhans (`attacks.generate`, imported
lazily: `pip install keras-fip[robust]`) and measure them (`analysis`). The
experiment that runs them all is `keras_fip.experiments.robust`.

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
from keras_fip.robustness.attacks import Attack, AttackMethod, generate
from keras_fip.robustness.constraint import (
    FunctionalTrustRegion, MemberAcceptance, ScaledObjective, mean_bhattacharyya,
    softmax_probabilities,
)
from keras_fip.robustness.directions import RandomDirection
from keras_fip.robustness.diversify import (
    GrowthResult, MemberSampler, WeightDiversity, grow_ensemble, weight_distance,
)
from keras_fip.robustness.ensemble import FIPEnsemble
from keras_fip.robustness.peers._cyclic import CycleSnapshots
from keras_fip.robustness.peers.deep import deep_ensemble
from keras_fip.robustness.peers.fge import TriangularCycle, fge_ensemble
from keras_fip.robustness.peers.snapshot import snapshot_ensemble
from keras_fip.robustness.registry import ATTACKS, ENSEMBLES, EnsembleMethod
from keras_fip.robustness.settings import AcceptanceSettings, PathSettings
from keras_fip.robustness.training import train_network

__all__ = [
    "ATTACKS", "AcceptanceSettings", "Attack", "AttackMethod", "CycleSnapshots", "ENSEMBLES", "EnsembleMethod",
    "FIPEnsemble", "FunctionalTrustRegion",
    "GrowthResult", "MemberAcceptance", "MemberSampler", "PathSettings", "RandomDirection",
    "ScaledObjective",
    "TriangularCycle", "WeightDiversity", "accuracy", "adversarial_accuracies",
    "deep_ensemble", "distances_from_start", "diversity", "fge_ensemble", "generate",
    "grow_ensemble", "mean_bhattacharyya", "member_accuracies", "probabilities",
    "snapshot_ensemble", "softmax_probabilities", "train_network", "transfer_matrix",
    "weight_distance",
]
