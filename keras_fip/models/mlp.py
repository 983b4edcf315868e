"""Multilayer perceptron: the small default network of the command line and benchmarks."""

import keras

from keras_fip.models._common import check_input_shape, check_num_classes


def mlp(input_shape, num_classes, hidden=(256, 256), name="mlp"):
    """A multilayer perceptron returning logits.

    Args:
        input_shape: shape of one input (images are flattened).
        num_classes: size of the output head (at least 2).
        hidden: widths of the hidden ReLU layers.
        name: name of the model.

    Returns:
        A `keras.Sequential` mapping inputs to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, or an input shape with
            a size below 1.

    Example:
        >>> network = mlp((8, 8, 1), 10)
    """
    input_shape = check_input_shape(input_shape, "mlp")
    num_classes = check_num_classes(num_classes, "mlp")
    layers = [keras.Input(input_shape), keras.layers.Flatten()]
    layers += [keras.layers.Dense(width, activation="relu") for width in hidden]
    layers.append(keras.layers.Dense(num_classes, name="logits"))
    return keras.Sequential(layers, name=name)
