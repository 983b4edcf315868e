"""Measuring an ensemble: accuracy, adversarial accuracy, transfer, diversity, distances.

Every function takes Keras models (members, a `FIPEnsemble`, a single network)
and numpy data, and returns plain numbers, lists and dicts ready for JSON.
"""

import itertools
import time

import numpy as np

from keras_fip.engine.distances import bhattacharyya_numpy
from keras_fip.engine.networks import accuracy as network_accuracy, outputs_are_logits
from keras_fip.robustness import attacks as attacks_lib
from keras_fip.robustness.diversify import weight_distance
from keras_fip.robustness.ensemble import FIPEnsemble


def probabilities(model, x, batch_size=500):
    """The model's class probabilities on `x` (softmax of logits where needed).

    Args:
        model: a Keras model or a `FIPEnsemble`; whether it outputs logits is
            found from its outputs on the first inputs.
        x: inputs.
        batch_size: the prediction batch size.

    Returns:
        A numpy array `(len(x), num_classes)` whose rows sum to 1.

    Raises:
        ValueError: inputs the model cannot take (Keras' error).

    Example:
        >>> p = probabilities(network, x_test[:10])
        >>> p.sum(axis=-1)   # ones
    """
    outputs = np.asarray(model.predict(np.asarray(x, np.float32), batch_size=batch_size, verbose=0))
    if isinstance(model, FIPEnsemble):
        logits = model.outputs_logits
    else:
        logits = outputs_are_logits(model, np.asarray(x[:8], np.float32))
    if logits:
        outputs = outputs - outputs.max(axis=-1, keepdims=True)
        outputs = np.exp(outputs)
        outputs /= outputs.sum(axis=-1, keepdims=True)
    return outputs


def accuracy(model, x, y, batch_size=500):
    """Fraction of `x` the model classifies as `y` (argmax).

    Args:
        model: a Keras model or a `FIPEnsemble`.
        x: inputs.
        y: integer labels.
        batch_size: the prediction batch size.

    Returns:
        The accuracy, a float in [0, 1].

    Raises:
        ValueError: no inputs.

    Example:
        >>> accuracy(result.ensemble, x_test, y_test)
    """
    if len(x) == 0:
        raise ValueError("accuracy() got no inputs.")
    return network_accuracy(model, np.asarray(x, np.float32), y, batch_size=batch_size)


def member_accuracies(ensemble, x, y):
    """Clean accuracy of each member of an ensemble (a list).

    Args:
        ensemble: a `FIPEnsemble` or a list of models.
        x: inputs.
        y: integer labels.

    Returns:
        A list of floats, one per member, in order.

    Raises:
        ValueError: the ensemble has no members, or no inputs.

    Example:
        >>> member_accuracies(result.ensemble, x_test, y_test)
    """
    return [accuracy(member, x, y) for member in _members(ensemble)]


def _members(ensemble):
    members = ensemble.members if isinstance(ensemble, FIPEnsemble) else list(ensemble)
    if not members:
        raise ValueError("The ensemble has no members.")
    return members


def diversity(ensemble, x):
    """How much the members' outputs differ on `x`.

    Args:
        ensemble: a `FIPEnsemble` or a list of models.
        x: inputs.

    Returns:
        `disagreement`: mean over pairs of members of the fraction of inputs
        where their predicted classes differ; `bhattacharyya`: mean over pairs of
        the mean Bhattacharyya distance between their output distributions;
        `pairwise_disagreement`: the full matrix.

    Raises:
        ValueError: the ensemble has no members.

    Example:
        >>> diversity(result.ensemble, x_test)["disagreement"]
    """
    members = _members(ensemble)
    probs = [probabilities(m, x) for m in members]
    k = len(members)
    matrix = np.zeros((k, k))
    distances = []
    for i, j in itertools.combinations(range(k), 2):
        matrix[i, j] = matrix[j, i] = np.mean(probs[i].argmax(-1) != probs[j].argmax(-1))
        distances.append(float(np.mean(bhattacharyya_numpy(probs[i], probs[j]))))
    pairs = max(k * (k - 1) // 2, 1)
    return {
        "disagreement": float(matrix[np.triu_indices(k, 1)].sum() / pairs),
        "bhattacharyya": float(np.mean(distances)) if distances else 0.0,
        "pairwise_disagreement": matrix.round(4).tolist(),
    }


def distances_from_start(start, members, x):
    """Weight-space and functional distance of each network from `start`.

    Args:
        start: the network the members started from.
        members: a `FIPEnsemble` or a list of models shaped like `start`.
        x: inputs the functional distance is measured on.

    Returns:
        One dict per member: `weight_distance` (L2 over all weights),
        `relative_weight_distance` (divided by the start's weight norm),
        `functional_distance` (mean Bhattacharyya distance between the start's and
        the member's outputs on `x`) and `agreement` (fraction of `x` on which
        they predict the same class).

    Raises:
        ValueError: no members, or a member with other weight shapes than `start`.

    Example:
        >>> for row in distances_from_start(network, result.ensemble, x_test):
        ...     print(row["weight_distance"], row["functional_distance"])
    """
    start_weights = start.get_weights()
    norm = float(np.sqrt(sum(float(np.sum(np.square(w, dtype=np.float64))) for w in start_weights)))
    p = probabilities(start, x)
    rows = []
    for member in _members(members):
        q = probabilities(member, x)
        distance = weight_distance(start_weights, member.get_weights())
        rows.append({
            "weight_distance": distance,
            "relative_weight_distance": distance / max(norm, 1e-12),
            "functional_distance": float(np.mean(bhattacharyya_numpy(p, q))),
            "agreement": float(np.mean(p.argmax(-1) == q.argmax(-1))),
        })
    return rows


def transfer_matrix(networks, x, y, attack, batch_size=256):
    """Accuracy of network j on adversarial examples crafted against network i.

    Args:
        networks: a list of models (or a `FIPEnsemble`, whose members are used).
        x, y: clean inputs and labels.
        attack: an `attacks.Attack`.

    Returns:
        The matrix as a list of lists, `M[i][j]`; the diagonal is white-box.

    Raises:
        ValueError: no networks, or an attack `generate` refuses.
        ImportError: cleverhans is not installed.

    Example:
        >>> from keras_fip.robustness import Attack
        >>> matrix = transfer_matrix(result.ensemble, x_test[:200], y_test[:200],
        ...                          Attack("pgd", eps=0.1, nb_iter=20))
    """
    networks = _members(networks)
    matrix = []
    for source in networks:
        adversarial = attacks_lib.generate(source, x, y, attack, batch_size=batch_size)
        matrix.append([accuracy(target, adversarial, y) for target in networks])
    return matrix


def adversarial_accuracies(models, x, y, attacks, source=None, batch_size=256):
    """Accuracy of every model under every attack.

    Args:
        models: `{name: model}`.
        x, y: clean inputs and labels.
        attacks: a list of `attacks.Attack`.
        source: a model: the examples are crafted against it once and evaluated
            on every model (transfer). None: each model is attacked itself
            (white-box).

    Returns:
        `{name: {attack name: {eps: accuracy}}}` (eps as a string key), and the
        seconds spent crafting, `{attack name: {eps: seconds}}`.

    Raises:
        ValueError: an attack `generate` refuses.
        ImportError: cleverhans is not installed.

    Example:
        >>> from keras_fip.robustness import Attack
        >>> accuracies, seconds = adversarial_accuracies(
        ...     {"single": network, "fip": result.ensemble}, x_test, y_test,
        ...     [Attack("fgsm", eps=0.1)], source=network)
    """
    results = {name: {} for name in models}
    seconds = {}
    for attack in attacks:
        key = f"{attack.eps:g}"
        if source is not None:
            start = time.perf_counter()
            adversarial = attacks_lib.generate(source, x, y, attack, batch_size=batch_size)
            seconds.setdefault(attack.name, {})[key] = time.perf_counter() - start
            for name, model in models.items():
                results[name].setdefault(attack.name, {})[key] = accuracy(model, adversarial, y)
        else:
            for name, model in models.items():
                start = time.perf_counter()
                adversarial = attacks_lib.generate(model, x, y, attack, batch_size=batch_size)
                seconds.setdefault(attack.name, {}).setdefault(key, {})[name] = time.perf_counter() - start
                results[name].setdefault(attack.name, {})[key] = accuracy(model, adversarial, y)
    return results, seconds


__all__ = [
    "accuracy", "adversarial_accuracies", "distances_from_start", "diversity",
    "member_accuracies", "probabilities", "transfer_matrix",
]
