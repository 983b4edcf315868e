"""The two groups of `grow_ensemble`'s settings that travel together.

- `AcceptanceSettings`: how the path keeps the function, on a validation split:
  the acceptance test (`tolerance`) and the functional trust region
  (`max_distance`, checked every `check_every` steps);
- `PathSettings`: how the path walks, beyond its step length and batch: the
  output distance, the optimizer, the first random step and BatchNormalization.

A simple call needs neither: `grow_ensemble(network, x, members=5)`.
"""

import dataclasses
from typing import Optional


@dataclasses.dataclass
class AcceptanceSettings:
    """Members accepted on a validation split, the path held by a functional trust region.

    Args:
        validation: `(x_val, y_val)`, the validation split (carved from the
            training data); None: every candidate is accepted, no trust region.
        tolerance: accuracy a member may lose against the start on it (0.01:
            one point).
        max_distance: the trust region's budget of mean Bhattacharyya distance
            to the start on `x_val` (None: no trust region).
        check_every: path steps between two trust-region checks (None: every
            `steps_between`).

    Raises:
        TypeError: a field is missing (a dataclass); `grow_ensemble` checks the values.

    Example:
        >>> acceptance = AcceptanceSettings((x_val, y_val), tolerance=0.01, max_distance=0.05)
        >>> result = grow_ensemble(network, x_fit, members=10, acceptance=acceptance)
    """

    validation: object = None
    tolerance: float = 0.01
    max_distance: Optional[float] = None
    check_every: Optional[int] = None


@dataclasses.dataclass
class PathSettings:
    """How a FIP path walks, beyond its step length and batch.

    Args:
        distance: the output distance (`"bhattacharyya"`, the paper's, `"l2"`,
            `"kl"`, a `Distance` or a function).
        optimizer: a Keras optimizer; None: `PathStep(step_length)`.
        initial_kick: norm of a random first step off the start (the diversity
            gradient is zero exactly at the start); None: the step length.
        freeze_batch_norm: run BatchNormalization layers in inference mode and
            keep their parameters fixed along the path.

    Raises:
        TypeError: a field is missing (a dataclass); `grow_ensemble` checks the values.

    Example:
        >>> result = grow_ensemble(network, x, path=PathSettings(distance="kl"))
    """

    distance: object = "bhattacharyya"
    optimizer: object = None
    initial_kick: Optional[float] = None
    freeze_batch_norm: bool = True


#: `grow_ensemble`'s keywords before the groups -> (group, field).
OLD_KEYWORDS = {
    "validation": ("acceptance", "validation"), "tolerance": ("acceptance", "tolerance"),
    "max_distance": ("acceptance", "max_distance"),
    "check_every": ("acceptance", "check_every"),
    "distance": ("path", "distance"), "optimizer": ("path", "optimizer"),
    "initial_kick": ("path", "initial_kick"), "freeze_batchnorm": ("path", "freeze_batch_norm"),
}


def from_old_keywords(old, acceptance, path, where="grow_ensemble"):
    """`(acceptance, path)` with the keywords of the old signature folded in, with a warning.

    Raises:
        TypeError: an unknown keyword, or a group given both whole and by its old keywords.
    """
    import warnings

    unknown = sorted(set(old) - set(OLD_KEYWORDS))
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument {unknown[0]!r}")
    if not old:
        return acceptance, path
    groups = {"acceptance": {}, "path": {}}
    for keyword, value in old.items():
        group, field = OLD_KEYWORDS[keyword]
        groups[group][field] = value
    warnings.warn(f"{where}(): the keywords {', '.join(sorted(old))} are now fields of "
                  "acceptance=AcceptanceSettings(...) (validation, tolerance, max_distance, "
                  "check_every) and path=PathSettings(...) (distance, optimizer, initial_kick, "
                  "freeze_batch_norm); the old keywords go in the next release.",
                  DeprecationWarning, stacklevel=3)
    if groups["acceptance"]:
        if acceptance is not None:
            raise TypeError(f"{where}() got acceptance= and its old keywords; give acceptance=.")
        acceptance = AcceptanceSettings(**groups["acceptance"])
    if groups["path"]:
        if path is not None:
            raise TypeError(f"{where}() got path= and its old keywords; give path=.")
        path = PathSettings(**groups["path"])
    return acceptance, path


__all__ = ["AcceptanceSettings", "PathSettings"]
