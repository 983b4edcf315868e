"""LeNet-300-100, the fully connected MNIST network of the pruning literature."""

import keras

from keras_fip.models._common import check_input_shape, check_num_classes


def lenet_300_100(input_shape=(28, 28, 1), num_classes=10, name="lenet_300_100"):
    """LeNet-300-100: flatten, Dense 300 ReLU, Dense 100 ReLU, Dense logits.

    The network the FIP paper sparsifies along a path; on 28x28x1 inputs and ten
    classes it has 266,610 parameters.

    Args:
        input_shape: shape of one input (flattened), default MNIST's (28, 28, 1).
        num_classes: number of classes (at least 2).
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping inputs to `num_classes` logits.

    Example:
        >>> network = lenet_300_100()
        >>> network.count_params()
        266610
    """
    input_shape = check_input_shape(input_shape, "lenet_300_100")
    num_classes = check_num_classes(num_classes, "lenet_300_100")
    inputs = keras.Input(input_shape, name="image")
    x = keras.layers.Flatten(name="flatten")(inputs)
    x = keras.layers.Dense(300, activation="relu", name="fc1")(x)
    x = keras.layers.Dense(100, activation="relu", name="fc2")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)
