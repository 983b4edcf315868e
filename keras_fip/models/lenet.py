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

    Raises:
        ValueError: num_classes below 2 or not an integer, or an input shape with
            a size below 1.

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


def lenet5(input_shape=(28, 28, 1), num_classes=10, name="lenet5"):
    """LeNet-5 as the pruning literature uses it on MNIST, returning logits.

    Conv2D 6 5x5 'same' ReLU -> MaxPool 2 -> Conv2D 16 5x5 'valid' ReLU ->
    MaxPool 2 -> Flatten -> Dense 120 ReLU -> Dense 84 ReLU -> Dense logits
    (61,706 parameters on 28x28x1 inputs and ten classes).

    Args:
        input_shape: (height, width, channels) of one image, at least 12x12.
        num_classes: number of classes (at least 2).
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, or an input shape that
            is not an image `(height, width, channels)` large enough for the blocks.

    Example:
        >>> lenet5().count_params()
        61706
    """
    input_shape = check_input_shape(input_shape, "lenet5", rank=3, min_size=12,
                                    reason="it pools them twice around a 5x5 'valid' convolution")
    num_classes = check_num_classes(num_classes, "lenet5")
    inputs = keras.Input(input_shape, name="image")
    x = keras.layers.Conv2D(6, 5, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(16, 5, activation="relu", name="conv2")(x)
    x = keras.layers.MaxPooling2D(2, name="pool2")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(120, activation="relu", name="fc1")(x)
    x = keras.layers.Dense(84, activation="relu", name="fc2")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)
