"""Small facts about a Keras network that the engine and the applications share.

One place for each: whether it outputs logits, its input signature, a fresh copy
with the same weights, its accuracy on labelled data, and its layers (nested
models included).
"""

import numpy as np
import keras


def outputs_are_logits(network):
    """Guesses whether `network` ends in a softmax (probabilities) or not (logits)."""
    last = network.layers[-1] if getattr(network, "layers", None) else None
    if isinstance(last, keras.layers.Softmax):
        return False
    activation = getattr(last, "activation", None)
    return getattr(activation, "__name__", None) != "softmax"


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


def all_layers(network):
    """Every layer of `network`, nested models' layers included (depth first)."""
    found = []
    for layer in getattr(network, "layers", []):
        found.append(layer)
        if getattr(layer, "layers", None):
            found.extend(all_layers(layer))
    return found


def freeze_batchnorm(network):
    """Sets every BatchNormalization layer of `network` to inference mode.

    A frozen BatchNormalization layer runs in inference mode in Keras 3: a path
    then moves the function the user gets (moving statistics), not batch
    statistics, and never updates the statistics behind the anchor outputs.
    """
    for layer in all_layers(network):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
    return network
