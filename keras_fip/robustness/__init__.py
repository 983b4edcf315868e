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

The names are imported when first read, so `keras_fip.robustness.registry`
(the method and attack names) needs no TensorFlow and `keras-fip robust --help`
stays light.
"""

from keras_fip import lazy

#: Each public name and the module that defines it.
_HOMES = {
    "AcceptanceSettings": "settings",
    "accuracy": "analysis",
    "adversarial_accuracies": "analysis",
    "Attack": "attacks",
    "AttackMethod": "attacks",
    "ATTACKS": "registry",
    "CycleSnapshots": "peers._cyclic",
    "deep_ensemble": "peers.deep",
    "distances_from_start": "analysis",
    "diversity": "analysis",
    "EnsembleMethod": "registry",
    "ENSEMBLES": "registry",
    "fge_ensemble": "peers.fge",
    "FIPEnsemble": "ensemble",
    "FunctionalTrustRegion": "constraint",
    "generate": "attacks",
    "grow_ensemble": "diversify",
    "GrowthResult": "diversify",
    "mean_bhattacharyya": "constraint",
    "member_accuracies": "analysis",
    "MemberAcceptance": "constraint",
    "MemberSampler": "diversify",
    "PathSettings": "settings",
    "probabilities": "analysis",
    "RandomDirection": "directions",
    "ScaledObjective": "constraint",
    "snapshot_ensemble": "peers.snapshot",
    "softmax_probabilities": "constraint",
    "train_network": "training",
    "transfer_matrix": "analysis",
    "TriangularCycle": "peers.fge",
    "weight_distance": "diversify",
    "WeightDiversity": "diversify",
}

__all__ = [
    "ATTACKS", "AcceptanceSettings", "Attack", "AttackMethod", "CycleSnapshots", "ENSEMBLES",
    "EnsembleMethod", "FIPEnsemble", "FunctionalTrustRegion", "GrowthResult",
    "MemberAcceptance", "MemberSampler", "PathSettings", "RandomDirection", "ScaledObjective",
    "TriangularCycle", "WeightDiversity", "accuracy", "adversarial_accuracies", "deep_ensemble",
    "distances_from_start", "diversity", "fge_ensemble", "generate", "grow_ensemble",
    "mean_bhattacharyya", "member_accuracies", "probabilities", "snapshot_ensemble",
    "softmax_probabilities", "train_network", "transfer_matrix", "weight_distance",
]



__getattr__, __dir__ = lazy.serve(__name__, {name: f".{home}" for name, home in _HOMES.items()})

