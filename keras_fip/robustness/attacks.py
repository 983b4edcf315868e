"""Adversarial attacks through cleverhans, on Keras 3 models and ensembles.

cleverhans (`pip install keras-fip[robust]`) is imported only when an attack
runs. Its TF2 attacks take a function returning logits; `logits_fn` makes one
from a network that outputs logits or probabilities, or from a `FIPEnsemble`
(log of the averaged probabilities, or the averaged logits).

Attacks, by name (the table `keras_fip.robustness.registry.ATTACKS`, each
entry an `AttackMethod` below; adding an attack is one entry there):

    fgsm    fast gradient sign method (one step, L-infinity)
    fgm_l2  fast gradient method under L2 (one step)
    pgd     projected gradient descent under L-infinity, random start (Madry et al.)
    pgd_l2  projected gradient descent under L2, random start
    bim     basic iterative method (PGD under L-infinity without random start)
    mim     momentum iterative method (L-infinity)

An unknown name is a ValueError listing the known ones.

C&W (`cw`) and SPSA (`spsa`) are refused with a ValueError that says why:
cleverhans 4 builds both on the Keras 2 optimizer API.
"""

import dataclasses
import math

import numpy as np
import keras

from typing import Callable

from keras_fip.engine import backend
from keras_fip.robustness.registry import ATTACKS

_FEATURE = "Adversarial attacks (cleverhans, built on TensorFlow)"
_REFUSED = {
    "cw": "cleverhans 4's Carlini-Wagner L2 drives a Keras 2 optimizer (it calls "
          "optimizer.variables(), zeroes the learning rate with the slots, and reuses "
          "one optimizer for a new variable per batch); patched for Keras 3 it runs "
          "but its search goes the wrong way, so keras-fip does not report it. Use "
          "pgd_l2 for an L2 attack",
    "spsa": "cleverhans 4's SPSA is built on the Keras 2 optimizer API (it subclasses "
            "tf.optimizers.Adam and calls methods Keras 3 removed) and cannot run under "
            "Keras 3; use a gradient attack (pgd, pgd_l2, mim, bim, fgsm)",
}
_ALIASES = {
    "fgm": "fgsm", "fast_gradient_method": "fgsm", "pgd_linf": "pgd", "pgd_inf": "pgd",
    "projected_gradient_descent": "pgd", "madry": "pgd", "basic_iterative_method": "bim",
    "momentum_iterative_method": "mim", "carlini_wagner": "cw", "cw_l2": "cw",
    "carlini_wagner_l2": "cw",
}


def cleverhans_module():
    backend.require_tensorflow(_FEATURE)
    try:
        from cleverhans.tf2.attacks import (  # noqa: F401
            fast_gradient_method, momentum_iterative_method, projected_gradient_descent,
        )
    except ImportError as error:
        raise ImportError(
            "Adversarial attacks need cleverhans: pip install 'keras-fip[robust]' "
            f"(or pip install cleverhans). ({error})"
        ) from None
    import cleverhans.tf2.attacks as attacks

    return attacks


def attack_name(name):
    """Canonical attack name; raises ValueError for unknown or refused attacks."""
    key = str(name).strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key in _REFUSED:
        raise ValueError(f"attack {name!r} is not supported: {_REFUSED[key]}.")
    if key not in ATTACKS:
        raise ValueError(f"unknown attack {name!r}; choose from {', '.join(ATTACKS)}.")
    return key


def attack_norm(name):
    """The norm an attack's eps is measured in: `np.inf` or 2."""
    return ATTACKS.get(attack_name(name)).norm


def check_clip_range(clip_min, clip_max, names=("clip_min", "clip_max")):
    """Validates the valid input range (both finite, min below max, or both None)."""
    if clip_min is None and clip_max is None:
        return None, None
    if clip_min is None or clip_max is None:
        raise ValueError(f"give both {names[0]} and {names[1]}, or neither.")
    for value, name in zip((clip_min, clip_max), names):
        try:
            finite = math.isfinite(float(value))
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number, got {value!r}.") from None
        if not finite:
            raise ValueError(f"{name} must be a finite number, got {value}.")
    if not float(clip_min) < float(clip_max):
        raise ValueError(
            f"clip range is inverted or empty: {names[0]} {float(clip_min):g} must be below "
            f"{names[1]} {float(clip_max):g}."
        )
    return float(clip_min), float(clip_max)


def check_budget(eps, clip_min, clip_max, norm=None, names=("eps", "clip_min", "clip_max")):
    """Validates an attack budget and input range; raises ValueError.

    The budget must be finite and >= 0 (0 leaves the inputs as they are). Under
    L-infinity (`norm=np.inf`) it must also be at most the width of the clip
    range: a larger budget leaves every input free over the whole range, which
    measures nothing about robustness and is almost always a unit mistake (eps
    given in pixels, 0..255, with inputs in [0, 1]).
    """
    try:
        eps = float(eps)
    except (TypeError, ValueError):
        raise ValueError(f"{names[0]} must be a number, got {eps!r}.") from None
    if not math.isfinite(eps) or eps < 0:
        raise ValueError(f"{names[0]} must be a finite number >= 0, got {eps}.")
    clip_min, clip_max = check_clip_range(clip_min, clip_max, names[1:])
    if norm == np.inf and clip_min is not None and eps > clip_max - clip_min:
        raise ValueError(
            f"{names[0]} {eps:g} is an L-infinity budget wider than the clip range "
            f"[{clip_min:g}, {clip_max:g}] (width {clip_max - clip_min:g}); it must be at "
            "most the width (inputs scaled to [0, 1] take eps like 0.1, not 25)."
        )
    return eps


def logits_fn(model):
    """A function `x -> logits` for cleverhans, compiled with `tf.function`.

    Args:
        model: a `FIPEnsemble` (its `logits`), a Keras model outputting logits,
            one ending in a softmax (the log of its probabilities is used), or a
            plain callable already returning logits.
    """
    from keras_fip.engine.networks import outputs_are_logits
    from keras_fip.robustness.ensemble import FIPEnsemble

    backend.require_tensorflow(_FEATURE)
    import tensorflow as tf

    if isinstance(model, FIPEnsemble):
        fn = lambda x: model.logits(x, training=False)  # noqa: E731
    elif isinstance(model, keras.Model):
        if outputs_are_logits(model):
            fn = lambda x: model(x, training=False)  # noqa: E731
        else:
            fn = lambda x: tf.math.log(tf.maximum(model(x, training=False), 1e-12))  # noqa: E731
    elif callable(model):
        return model
    else:
        raise TypeError(f"Cannot attack a {type(model).__name__}; give a Keras model or a callable.")
    return tf.function(fn, reduce_retracing=True)


@dataclasses.dataclass
class Attack:
    """One attack configuration.

    Args:
        name: one of `ATTACKS` (`"fgsm"`, `"fgm_l2"`, `"pgd"`, `"pgd_l2"`, `"bim"`,
            `"mim"`).
        eps: the budget, in the attack's norm (L-infinity or L2).
        clip_min, clip_max: the valid input range (both or neither).
        nb_iter: iterations of the iterative attacks (PGD, BIM, MIM).
        eps_iter: step size of the iterative attacks (default `2.5 * eps / nb_iter`,
            at most eps).
        seed: seed of PGD's random start.

    Raises:
        ValueError: an unknown or refused attack name, a budget that is not a
            finite number >= 0 (or too large for the clip range), a clip range
            given by half, or `nb_iter`/`eps_iter` out of range.

    Example:
        >>> attack = Attack("pgd", eps=0.1, nb_iter=40)
        >>> x_adv = generate(network, x_test, y_test, attack)
    """

    name: str
    eps: float
    clip_min: float = 0.0
    clip_max: float = 1.0
    nb_iter: int = 40
    eps_iter: float = None
    seed: int = 0

    def __post_init__(self):
        from keras_fip import checks

        self.name = attack_name(self.name)
        self.eps = check_budget(self.eps, self.clip_min, self.clip_max, attack_norm(self.name))
        self.nb_iter = checks.count(self.nb_iter, "nb_iter")
        if self.eps_iter is not None:
            self.eps_iter = checks.number(self.eps_iter, "eps_iter", minimum=0, strict=True)

    @property
    def norm(self):
        return attack_norm(self.name)

    @property
    def step(self):
        if self.eps_iter is not None:
            return min(float(self.eps_iter), self.eps)
        return min(2.5 * self.eps / self.nb_iter, self.eps)

    def describe(self):
        norm = "linf" if self.norm == np.inf else "l2"
        return {"attack": self.name, "norm": norm, "eps": self.eps, "clip_min": self.clip_min,
                "clip_max": self.clip_max, "nb_iter": 1 if self.one_step else self.nb_iter,
                "eps_iter": None if self.one_step else self.step}

    @property
    def one_step(self):
        return ATTACKS.get(self.name).one_step


def generate(model, x, y=None, attack="pgd", *, eps=None, clip_min=0.0, clip_max=1.0,
             nb_iter=40, eps_iter=None, seed=0, batch_size=256):
    """Crafts adversarial examples against `model` with cleverhans.

    Args:
        model: the network under attack (`FIPEnsemble`, Keras model, or a function
            returning logits).
        x: clean inputs (numpy), within `[clip_min, clip_max]`.
        y: true labels (recommended); None uses the model's own predictions.
        attack: an `Attack`, or an attack name (then `eps` and the rest apply).
        eps, clip_min, clip_max, nb_iter, eps_iter, seed: see `Attack`.
        batch_size: inputs attacked at once.

    Returns:
        The adversarial inputs, a float32 numpy array shaped like `x`.

    Raises:
        ValueError: for a bad budget, an inverted clip range, inputs outside it,
            an unknown or unsupported attack.
        ImportError: without cleverhans.

    Example:
        >>> x_adv = generate(network, x, y, "pgd", eps=0.1)
        >>> x_adv = generate(ensemble, x, y, Attack("pgd_l2", eps=1.5, nb_iter=20))
    """
    from keras_fip import checks

    backend.require_tensorflow(_FEATURE)
    import tensorflow as tf

    if not isinstance(attack, Attack):
        if eps is None:
            raise ValueError("give eps (the attack budget) or an Attack.")
        attack = Attack(attack, eps, clip_min, clip_max, nb_iter, eps_iter, seed)
    network = model if isinstance(model, keras.Model) else None
    x = checks.inputs(x, network, "x", empty="no inputs to attack (x is empty).")
    if y is not None:
        classes = checks.num_classes(network) if network is not None else None
        y = checks.labels(y, len(x), classes, "y")
    batch_size = checks.count(batch_size, "batch_size")
    if attack.clip_min is not None:
        low, high = float(x.min()), float(x.max())
        if low < attack.clip_min - 1e-6 or high > attack.clip_max + 1e-6:
            raise ValueError(
                f"inputs range over [{low:.4g}, {high:.4g}], outside the clip range "
                f"[{attack.clip_min}, {attack.clip_max}]; scale the data or set the range."
            )
    if attack.eps == 0:
        return x.copy()
    cleverhans = cleverhans_module()
    fn = logits_fn(model)
    tf.random.set_seed(attack.seed)
    out = np.empty_like(x)
    for start in range(0, len(x), int(batch_size)):
        xb = x[start:start + int(batch_size)]
        yb = None if y is None else tf.constant(y[start:start + int(batch_size)])
        out[start:start + len(xb)] = _run(fn, xb, yb, attack, cleverhans)
    return out


@dataclasses.dataclass(frozen=True)
class AttackMethod:
    """One attack of the `ATTACKS` table: its cleverhans call and what its budget means.

    Args:
        run: `run(cleverhans, fn, x, y, attack, clip) -> adversarial x`.
        norm: the norm `eps` is measured in (`np.inf` or 2).
        one_step: a single step (`nb_iter` and `eps_iter` do not apply).
        description: one line for the documentation.

    Raises:
        TypeError: a field is missing (a dataclass).

    Example:
        >>> ATTACKS.get("pgd").norm
        inf
    """

    run: Callable
    norm: float
    one_step: bool
    description: str


def _fast_gradient(cleverhans, fn, x, y, attack, clip):
    return cleverhans.fast_gradient_method.fast_gradient_method(
        fn, x, attack.eps, attack.norm, y=y, **clip)


def _projected_gradient(random_start):
    def run(cleverhans, fn, x, y, attack, clip):
        return cleverhans.projected_gradient_descent.projected_gradient_descent(
            fn, x, attack.eps, attack.step, attack.nb_iter, attack.norm, y=y,
            rand_init=random_start, rand_minmax=attack.eps, **clip)
    return run


def _momentum_iterative(cleverhans, fn, x, y, attack, clip):
    return cleverhans.momentum_iterative_method.momentum_iterative_method(
        fn, x, attack.eps, attack.step, attack.nb_iter, attack.norm, y=y,
        sanity_checks=False, **clip)


FGSM = AttackMethod(_fast_gradient, np.inf, True, "fast gradient sign method (L-infinity)")
FGM_L2 = AttackMethod(_fast_gradient, 2, True, "fast gradient method under L2")
PGD = AttackMethod(_projected_gradient(True), np.inf, False,
                   "projected gradient descent under L-infinity, random start (Madry et al.)")
PGD_L2 = AttackMethod(_projected_gradient(True), 2, False,
                      "projected gradient descent under L2, random start")
# BIM is PGD without the random start.
BIM = AttackMethod(_projected_gradient(False), np.inf, False,
                   "basic iterative method (PGD under L-infinity without random start)")
MIM = AttackMethod(_momentum_iterative, np.inf, False, "momentum iterative method (L-infinity)")


def _run(fn, x, y, attack, cleverhans):
    import tensorflow as tf

    clip = dict(clip_min=attack.clip_min, clip_max=attack.clip_max)
    adv = ATTACKS.get(attack.name).run(cleverhans, fn, tf.constant(x), y, attack, clip)
    return np.asarray(adv, np.float32)
