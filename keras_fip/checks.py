"""Checks of a classifier network, its data and numeric options, with one-line errors.

Shared by the engine, the data loaders and the three jobs (and through them the
commands), so that bad input stops before any training, with a message naming what
was wrong. Non-finite inputs are refused where data enters (`finite`): some CPU
kernels turn a NaN input into 0 and the loss stays finite while the weights go NaN.

This module is in the bottom layer: it imports nothing from the package. What it
must know of a network (its input shape, its output width, whether it is an
ensemble) it reads from the network itself: symbolic inputs and outputs, the shape
a subclassed model was built with, a probe call, a `members` list.
"""

import math
import numbers

import numpy as np

# Keras is imported inside the functions that need a network: the data loaders
# use the array checks without TensorFlow.

# A probe batch for a network without symbolic inputs: this many rows of random inputs.
PROBE_ROWS = 8


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

    A `FIPModel` (anything with a `network`) is unwrapped to its network. An
    ensemble (anything with a `members` list, such as a `FIPEnsemble`) is
    refused: it is several networks, and the caller wants one of its `members`.

    Raises:
        TypeError: if `network` is not a `keras.Model`.
        ValueError: for an ensemble, an unbuilt model, or several inputs or outputs.
    """
    import keras

    members = _members(network)
    if members is not None:
        raise ValueError(
            f"The {what} is a {type(network).__name__} of {len(members)} members, not one "
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
    inner = getattr(network, "network", None)  # a FIPModel
    if inner is not None:
        return input_shape(inner)
    inputs = getattr(network, "inputs", None)
    if inputs:
        return tuple(inputs[0].shape[1:])
    members = _members(network)  # a FIPEnsemble
    if members:
        return input_shape(members[0])
    known = input_shape_of(network)
    return known[0] if known else None


def num_classes(network, x=None):
    """The width of the network's output (None where unknown).

    A subclassed model has no symbolic outputs: a probe call in inference mode
    (on two rows of `x` when given) tells it.
    """
    inner = getattr(network, "network", None)  # a FIPModel
    if inner is not None:
        return num_classes(inner, x)
    members = _members(network)  # a FIPEnsemble
    if members:
        return num_classes(members[0], x)
    return output_width(network, x)


def inputs(x, network=None, what="x", empty=None):
    """`x` as a float32 array: numeric, non-empty, finite, shaped for `network`.

    `empty` replaces the message for empty inputs (say what had nothing to do).
    """
    try:
        array = np.asarray(x)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must be an array of numbers ({error}).") from None
    if array.ndim == 0 or len(array) == 0:
        raise ValueError(empty or f"{what} is empty (shape {array.shape}).")
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        raise TypeError(f"{what} must hold numbers, got dtype {array.dtype}.")
    array = finite(array.astype(np.float32, copy=False), what)
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
    y = class_ids(y, what)
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


def _members(network):
    """The `members` list of an ensemble (a `FIPEnsemble`), else None."""
    members = getattr(network, "members", None)
    return members if isinstance(members, (list, tuple)) else None


def finite(x, what="x"):
    """Return `x` as an array if every value is finite, else raise a one-line error.

    Non-finite inputs must be refused where data enters: on some CPUs' kernels a
    NaN pixel through Dense+ReLU comes out as 0, so the loss stays finite while
    the weights turn to NaN, and nothing downstream would notice.

    Args:
        x: array-like of numbers (sample axis first).
        what: name used in the message, e.g. "x_train".

    Returns:
        `x` as a numpy array (unchanged dtype).

    Raises:
        ValueError: naming how many values are NaN or infinite and the first
            sample holding one.

    Example:
        >>> finite(np.array([[0.0, np.nan]]), "x")
        Traceback (most recent call last):
        ValueError: x has 1 NaN and 0 infinite values (first in sample 0); remove or replace them first
    """
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating) and not np.issubdtype(x.dtype, np.complexfloating):
        return x
    ok = np.isfinite(x)
    if ok.all():
        return x
    nans = int(np.isnan(x).sum())
    infs = int(ok.size - ok.sum()) - nans
    first = int(np.argmin(ok.reshape(len(x), -1).all(axis=1))) if x.ndim else 0
    raise ValueError(
        f"{what} has {nans} NaN and {infs} infinite values (first in sample {first}); "
        "remove or replace them first"
    )


def class_ids(y, what="labels"):
    """Validate class labels and return them as a 1-D int64 array.

    Args:
        y: labels shaped (N,) or (N, 1); integer dtype, or float holding whole
            numbers (some tools save labels as float).
        what: name used in error messages, e.g. "y_train".

    Returns:
        int64 array of shape (N,).

    Raises:
        ValueError: if labels are empty, not 1-D (e.g. one-hot), not integers,
            or negative.

    Example:
        >>> class_ids(np.array([[1.0], [0.0]]), "y_train")
        array([1, 0])
    """
    y = np.asarray(y)
    if y.size == 0:
        raise ValueError(f"{what} is empty")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"{what} must be 1-D class ids, got shape {y.shape} "
            "(one-hot labels? convert them with argmax(axis=1))"
        )
    if np.issubdtype(y.dtype, np.floating):
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"{what} must be integers, got non-integer values")
    elif not np.issubdtype(y.dtype, np.integer):
        raise ValueError(f"{what} must be integers, got dtype {y.dtype}")
    if np.any(y < 0):
        raise ValueError(f"{what} has negative labels (min {y.min()}); "
                         "labels must be class ids 0..num_classes-1")
    return y.astype(np.int64)


def input_shape_of(network):
    """`(shape, dtype)` of one sample of `network`'s single input, or None when not known.

    From the symbolic inputs of a functional or built sequential network, else
    from the shape a built subclassed model was built with. None when the
    network is not built, takes several inputs, or has an unknown dimension.
    """
    import keras

    try:
        inputs = network.inputs
    except (AttributeError, ValueError):
        inputs = None
    shape = dtype = None
    if inputs:
        if len(inputs) != 1:
            return None
        shape, dtype = tuple(inputs[0].shape[1:]), inputs[0].dtype
    elif getattr(network, "built", False):
        shapes = getattr(network, "_build_shapes_dict", None) or {}
        if len(shapes) == 1:
            (built_with,) = shapes.values()
            if isinstance(built_with, (tuple, list)) and all(
                d is None or isinstance(d, int) for d in built_with
            ) and len(built_with) >= 1:
                shape = tuple(built_with[1:])
        dtype = getattr(network, "input_dtype", None) or "float32"
    if shape is None or any(d is None for d in shape):
        return None
    return shape, keras.backend.standardize_dtype(dtype)


def probe_inputs(network, rows=PROBE_ROWS, seed=0):
    """`rows` random inputs shaped like `network`'s, or None when its input shape is unknown.

    Drawn with NumPy's own generator: no Keras random state moves.
    """
    known = input_shape_of(network)
    if known is None:
        return None
    shape, dtype = known
    rng = np.random.default_rng(seed)
    if "int" in dtype or dtype == "bool":
        return rng.integers(0, 2, size=(rows, *shape)).astype(dtype)
    return rng.normal(size=(rows, *shape)).astype(dtype)


def output_width(network, x=None):
    """The number of outputs a sample gets (classes), or None when it cannot be known.

    From the symbolic outputs when the network has them; else (a subclassed
    model) from a probe call in inference mode, on two rows of `x` when given
    or on random inputs of the shape it was built with. An unbuilt network is
    never built from a guessed shape.
    """
    import keras

    try:
        outputs = network.outputs
    except (AttributeError, ValueError):
        outputs = None
    if outputs:
        return outputs[0].shape[-1] if len(outputs) == 1 else None
    if x is not None:
        probe = np.asarray(x)[:2]
    elif getattr(network, "built", False):
        probe = probe_inputs(network, rows=2)
    else:
        probe = None
    if probe is None or len(probe) == 0:
        return None
    try:
        result = network(probe, training=False)
    except TypeError:
        result = network(probe)
    flat = keras.tree.flatten(result)
    if len(flat) != 1 or len(flat[0].shape) < 2:
        return None
    return int(flat[0].shape[-1])
