"""Small facts about a Keras network that the engine and the applications share.

One place for each: whether it outputs logits (by running it), its input signature, a fresh copy
with the same weights, its accuracy on labelled data, and its layers (nested
models included).
"""

import numpy as np
import keras

# The shape facts the input checks need live with them, in the bottom layer.
from keras_fip.checks import PROBE_ROWS, input_shape_of, output_width, probe_inputs  # noqa: F401


# A probe batch: PROBE_ROWS rows of random inputs (or the caller's data). Random
# logits whose rows all sum to 1 within the tolerance, and none below zero, do
# not happen: one row of ten Gaussian logits does so with odds far below 1e-6.
PROBABILITY_TOLERANCE = {"float16": 2e-2, "bfloat16": 2e-2}
DEFAULT_TOLERANCE = 1e-3


class OutputKindError(ValueError):
    """Whether a network outputs logits or probabilities cannot be told; pass `from_logits`."""


class OutputKindWarning(RuntimeWarning):
    """An explicit `from_logits` disagrees with what the network's outputs show."""


def kind_of_outputs(outputs):
    """`"probabilities"`, `"logits"`, or None when these outputs cannot tell.

    Probabilities: every value >= 0 and every row summing to 1, within a
    tolerance (wider for half-precision outputs). None for non-finite outputs
    and for fewer than two values a row.
    """
    dtype = keras.backend.standardize_dtype(getattr(outputs, "dtype", "float32"))
    values = np.asarray(keras.ops.convert_to_numpy(outputs), np.float64)
    if values.ndim < 2 or values.shape[-1] < 2 or values.size == 0:
        return None
    if not np.all(np.isfinite(values)):
        return None
    rows = values.reshape(-1, values.shape[-1])
    tolerance = PROBABILITY_TOLERANCE.get(dtype, DEFAULT_TOLERANCE)
    if np.all(rows >= -tolerance) and np.all(np.abs(rows.sum(axis=-1) - 1.0) <= tolerance):
        return "probabilities"
    return "logits"


def output_kind(network, x=None):
    """What `network` outputs, found by running it: `"probabilities"`, `"logits"` or None.

    The network runs in inference mode (`training=False`) on a few rows of `x`
    when given, else on random inputs of its input shape. Nothing of the network
    changes, and an unbuilt network is never built from a guessed shape: without
    `x` and a known input shape the answer is None, as it is for outputs that
    cannot tell (non-finite, or one value a row).
    """
    if x is None:
        if not getattr(network, "built", False):
            return None
        x = probe_inputs(network)
        if x is None:
            return None
    else:
        x = np.asarray(x)[:PROBE_ROWS]
        if len(x) == 0:
            return None
    try:
        outputs = network(x, training=False)
    except TypeError:  # a call without a `training` argument
        outputs = network(x)
    if isinstance(outputs, (list, tuple, dict)):
        flat = keras.tree.flatten(outputs)
        if len(flat) != 1:
            return None
        outputs = flat[0]
    return kind_of_outputs(outputs)


def _structural_guess(network):
    """The layer-type guess: logits unless the last layer is a softmax."""
    last = network.layers[-1] if getattr(network, "layers", None) else None
    if isinstance(last, keras.layers.Softmax):
        return False
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", None) != "softmax"


def outputs_are_logits(network, x=None, *, from_logits=None, name="the network"):
    """Whether `network` outputs logits (True) or probabilities (False), by what it outputs.

    Decided on a probe batch (`output_kind`): rows of non-negative values
    summing to 1 are probabilities, whatever layer or op made them (a softmax
    layer, an activation, `ops.softmax` in `call` or in a functional graph).

    Args:
        network: a `keras.Model` (or a layer) with one output tensor.
        x: inputs to probe with (a few rows are used); default: random inputs
            of the network's input shape.
        from_logits: the caller's own answer, returned as given; a warning
            (`OutputKindWarning`) says so when the outputs show otherwise.
        name: how messages name the network.

    Returns:
        bool.

    Raises:
        OutputKindError: `from_logits` is None and the network cannot be probed
            (not built, or an unknown input shape, and no `x`).
    """
    kind = output_kind(network, x)
    if from_logits is not None:
        shown = {"logits": True, "probabilities": False}.get(kind)
        if shown is not None and shown != bool(from_logits):
            import warnings

            warnings.warn(
                f"from_logits={bool(from_logits)} was given, but {name} outputs {kind} "
                f"(on a probe batch its rows "
                f"{'are non-negative and sum to 1' if kind == 'probabilities' else 'are not probability distributions'}); "
                f"from_logits={not bool(from_logits)} is probably right.",
                OutputKindWarning, stacklevel=2,
            )
        return bool(from_logits)
    if kind is not None:
        return kind == "logits"
    built = getattr(network, "built", False)
    if not built or input_shape_of(network) is None and x is None:
        raise OutputKindError(
            f"Cannot tell whether {name} outputs logits or probabilities: it is "
            f"{'not built' if not built else 'built with an unknown input shape'}, so it cannot "
            "be run on a probe batch. Pass from_logits=True (it outputs logits) or "
            "from_logits=False (it outputs softmax probabilities), or build it first "
            "(give it a keras.Input, or call it on a batch)."
        )
    # Outputs that cannot tell (non-finite, one value a row): the layer types.
    return _structural_guess(network)


def input_signature_of(network):
    """`[TensorSpec]` of a single-input functional network, else None (Keras infers it).

    A wrapper model (`FIPModel`, `FIPEnsemble`) has no symbolic inputs of its own;
    exporting it needs its network's.
    """
    inputs = getattr(network, "inputs", None)
    if inputs and len(inputs) == 1:
        import tensorflow as tf  # exporting a SavedModel needs TensorFlow anyway

        return [tf.TensorSpec(inputs[0].shape, inputs[0].dtype)]
    return None


def fresh_copy(network):
    """A new network with `network`'s architecture and weights and no compile state.

    `keras.models.clone_model` carries the compiled optimizer over (it is shared
    with the original), so a saved clone holds the optimizer's slots and a fit
    on it would step the original's optimizer. This rebuilds from the config.
    """
    kind = keras.Sequential if isinstance(network, keras.Sequential) else keras.Model
    copy = kind.from_config(network.get_config())
    copy.set_weights(network.get_weights())
    return copy


def accuracy(model, x, y, batch_size=1000):
    """Fraction of `x` that `model` classifies as `y` (argmax of its outputs)."""
    outputs = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    return float(np.mean(outputs.argmax(axis=-1) == np.asarray(y).reshape(-1)))


def probabilities(network, x, batch_size=1000):
    """Class probabilities of `network` on `x`: its outputs, softmaxed when they are logits.

    Args:
        network: a Keras classifier; whether it outputs logits is read from its
            outputs on the first inputs (`outputs_are_logits`).
        x: inputs.
        batch_size: the prediction batch size.

    Returns:
        A float64 NumPy array `(len(x), num_classes)` whose rows sum to 1.

    Raises:
        ValueError: inputs the network cannot take (Keras' error).

    Example:
        >>> p = probabilities(network, x_val)
    """
    outputs = np.asarray(network.predict(x, batch_size=batch_size, verbose=0), np.float64)
    if outputs_are_logits(network, x[:8]):
        outputs = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
        outputs /= outputs.sum(axis=-1, keepdims=True)
    return outputs


def all_layers(network):
    """Every layer of `network`, nested models' layers included (depth first)."""
    found = []
    for layer in getattr(network, "layers", []):
        found.append(layer)
        if getattr(layer, "layers", None):
            found.extend(all_layers(layer))
    return found


def freeze_batch_norm(network):
    """Sets every BatchNormalization layer of `network` to inference mode.

    A frozen BatchNormalization layer runs in inference mode in Keras 3: a path
    then moves the function the user gets (moving statistics), not batch
    statistics, and never updates the statistics behind the anchor outputs.
    """
    for layer in all_layers(network):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return network


#: Layers whose output for one sample depends, in training, on the rest of its
#: batch (batch statistics) or on noise drawn for it.
_TRAINING_DIFFERS = (
    keras.layers.Dropout, keras.layers.GaussianDropout, keras.layers.GaussianNoise,
    keras.layers.AlphaDropout, keras.layers.ActivityRegularization,
)


def trains_as_it_infers(network):
    """Whether `network`, called with `training=True` on a batch, gives each
    sample what inference would give it alone.

    False when it holds a BatchNormalization layer that still learns its
    statistics (a frozen one runs in inference mode), dropout or noise layers,
    augmentation layers (`Random*`), activity regularisers (their loss would
    count every sample of the batch), or a layer from outside Keras whose call
    takes `training` (what it does with it cannot be known). `FIPModel` then
    runs its memory samples through a pass of their own.
    """
    layers = [network, *network._flatten_layers(include_self=False, recursive=True)]
    for layer in layers:
        name = type(layer).__name__
        if isinstance(layer, _TRAINING_DIFFERS) or name.startswith("Random"):
            return False
        if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable:
            return False
        if getattr(layer, "activity_regularizer", None) is not None:
            return False
        from_keras = type(layer).__module__.split(".")[0] == "keras"
        if not from_keras and getattr(layer, "_call_has_training_arg", False):
            return False
    return True


def __getattr__(name):
    # Old names, served one release with a DeprecationWarning.
    from keras_fip.deprecation import moved

    return moved(name, {"freeze_batchnorm": "keras_fip.engine.networks:freeze_batch_norm"},
                 __name__)
