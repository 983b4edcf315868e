"""Checks of a classifier network, its data and numeric options, with one-line errors.

Shared by the sparsification and robustness APIs (and through them the `sparsify`
and `robust` commands), so that bad input stops before any training, with a message
naming what was wrong. Non-finite inputs are refused where data enters
(`keras_fip.data.arrays.check_finite`): some CPU kernels turn a NaN input into 0
and the loss stays finite while the weights go NaN.
"""

import math
import numbers

import numpy as np


def number(value, name, *, minimum=None, strict=False, maximum=None):
    """`value` as a finite float within the bounds, or a ValueError naming `name`.

    Args:
        value: the number to check.
        name: how the message names it (an argument or an option).
        minimum: lowest accepted value (None: no bound).
        strict: whether `minimum` itself is refused (a value must be above it).
        maximum: highest accepted value (None: no bound).
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise ValueError(f"{name} must be a number, got {value!r}.")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}.")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum:g}, got {value:g}.")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:g}, got {value:g}.")
    return value


def count(value, name, minimum=1):
    """`value` as an int of at least `minimum`, or a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        if not (isinstance(value, (float, np.floating)) and float(value).is_integer()):
            raise ValueError(f"{name} must be a whole number, got {value!r}.")
    if int(value) < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {int(value)}.")
    return int(value)


def seed(value, name="seed"):
    """`value` as a seed NumPy, Python, scikit-learn and the backends all take
    (a whole number in [0, 2**32)), or a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise ValueError(f"{name} must be a whole number, got {value!r}.")
    if not 0 <= int(value) < 2**32:
        raise ValueError(f"{name} must be in [0, 2**32 - 1], got {int(value)}.")
    return int(value)


def classifier(network, what="network"):
    """`network` as a single-input, single-output, built `keras.Model`.

    A `FIPModel` is unwrapped to its network. A `FIPEnsemble` is refused: it is
    several networks, and the caller wants one (one of its `members`).

    Raises:
        TypeError: if `network` is not a `keras.Model`.
        ValueError: for an ensemble, an unbuilt model, or several inputs or outputs.
    """
    import keras

    from keras_fip.robustness.ensemble import FIPEnsemble

    if isinstance(network, FIPEnsemble):
        raise ValueError(
            f"The {what} is a FIPEnsemble of {len(network.members)} members, not one "
            "network; pass one of its members (ensemble.members[i])."
        )
    network = getattr(network, "network", network)  # a FIPModel
    if not isinstance(network, keras.Model):
        raise TypeError(f"The {what} must be a keras.Model, got {type(network).__name__}.")
    if not network.built or not network.weights:
        raise ValueError(f"The {what} has no weights: build and train it first.")
    inputs, outputs = getattr(network, "inputs", None), getattr(network, "outputs", None)
    if inputs is not None and len(inputs) != 1:
        raise ValueError(f"The {what} has {len(inputs)} inputs; only single-input "
                         "classifiers are supported.")
    if outputs is not None and len(outputs) != 1:
        raise ValueError(f"The {what} has {len(outputs)} output tensors; only classifiers "
                         "with a single output (one score per class) are supported.")
    return network


def input_shape(network):
    """The shape of one input sample the network takes (None where unknown).

    A subclassed model has no symbolic inputs: the shape it was built with.
    """
    from keras_fip.engine.networks import input_shape_of

    inner = getattr(network, "network", None)  # a FIPModel
    if inner is not None:
        return input_shape(inner)
    inputs = getattr(network, "inputs", None)
    if inputs:
        return tuple(inputs[0].shape[1:])
    members = getattr(network, "members", None)  # a FIPEnsemble
    if members:
        return input_shape(members[0])
    known = input_shape_of(network)
    return known[0] if known else None


def num_classes(network, x=None):
    """The width of the network's output (None where unknown).

    A subclassed model has no symbolic outputs: a probe call in inference mode
    (on two rows of `x` when given) tells it.
    """
    from keras_fip.engine.networks import output_width

    inner = getattr(network, "network", None)  # a FIPModel
    if inner is not None:
        return num_classes(inner, x)
    members = getattr(network, "members", None)  # a FIPEnsemble
    if members:
        return num_classes(members[0], x)
    return output_width(network, x)


def inputs(x, network=None, what="x", empty=None):
    """`x` as a float32 array: numeric, non-empty, finite, shaped for `network`.

    `empty` replaces the message for empty inputs (say what had nothing to do).
    """
    from keras_fip.data.arrays import check_finite

    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must be an array of numbers ({error}).") from None
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(empty or f"{what} is empty (shape {array.shape}).")
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        raise TypeError(f"{what} must hold numbers, got dtype {array.dtype}.")
    array = check_finite(array.astype(np.float32, copy=False), what)
    expected = input_shape(network) if network is not None else None
    if expected is not None and not fits_shape(array.shape[1:], expected):
        raise ValueError(
            f"{what} has samples of shape {array.shape[1:]} but the network takes "
            f"inputs of shape {format_shape(expected)}."
        )
    return array


def labelled_pair(data, network, what):
    """`(x, y)` of `data`, a pair of inputs and class ids for `network`, checked."""
    try:
        x, y = data
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair (x, y).") from None
    x = inputs(x, network, f"{what} x")
    return x, labels(y, len(x), num_classes(network), f"{what} y")


def labels(y, n=None, classes=None, what="y"):
    """`y` as 1-D int64 class ids in [0, classes), one per input."""
    from keras_fip.data.arrays import as_labels

    y = as_labels(y, what)
    if n is not None and len(y) != n:
        raise ValueError(f"{n} inputs but {len(y)} labels in {what}.")
    if classes is not None and y.max() >= classes:
        raise ValueError(
            f"{what} has labels up to {y.max()} but the network has {classes} outputs "
            f"(labels must be in [0, {classes}); {int(np.sum(y >= classes))} of {len(y)} "
            "are outside)."
        )
    return y


def fits_shape(shape, expected):
    return len(shape) == len(expected) and all(
        e is None or s == e for s, e in zip(shape, expected))


def format_shape(shape):
    return "(" + ", ".join("None" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"
