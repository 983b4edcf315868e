"""Networks used by the command line and the benchmarks."""

import keras


def mlp(input_shape, num_classes, hidden=(256, 256), name="mlp"):
    """A multilayer perceptron returning logits.

    Args:
        input_shape: shape of one input (images are flattened).
        num_classes: size of the output head.
        hidden: widths of the hidden ReLU layers.

    Example:
        >>> network = mlp((8, 8, 1), 10)
    """
    layers = [keras.Input(tuple(input_shape)), keras.layers.Flatten()]
    layers += [keras.layers.Dense(width, activation="relu") for width in hidden]
    layers.append(keras.layers.Dense(num_classes, name="logits"))
    return keras.Sequential(layers, name=name)
