"""The convolutional network of the FIP reference notebook (MNIST)."""

import keras

from keras_fip.models._common import check_input_shape, check_num_classes


def reference_cnn(
    input_shape=(28, 28, 1), num_classes=10, filters=(32, 64), dense=(600, 120),
    name="reference_cnn",
):
    """The FIP reference notebook's MNIST CNN, returning logits.

    Conv blocks (Conv2D 3x3 'same' -> BatchNormalization -> ReLU -> MaxPool 2x2),
    one per entry of `filters`, then flatten, a ReLU Dense layer per entry of
    `dense`, and a Dense logits head. With the defaults: two blocks of 32 and 64
    filters, then Dense 600, Dense 120, Dense `num_classes`.

    Args:
        input_shape: (height, width, channels) of one image; each side must be at
            least 2 ** len(filters), since every block halves it.
        num_classes: number of classes (at least 2).
        filters: filters of each conv block.
        dense: widths of the hidden Dense layers after flattening.
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Example:
        >>> network = reference_cnn()                      # MNIST, 10 classes
        >>> network = reference_cnn((32, 32, 3), 100)      # CIFAR-100 sized
    """
    filters, dense = tuple(filters), tuple(dense)
    input_shape = check_input_shape(
        input_shape, "reference_cnn", rank=3, min_size=2 ** len(filters),
        reason=f"it halves them {len(filters)} times",
    )
    num_classes = check_num_classes(num_classes, "reference_cnn")
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for i, width in enumerate(filters, start=1):
        x = keras.layers.Conv2D(width, 3, padding="same", name=f"block{i}_conv")(x)
        x = keras.layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = keras.layers.ReLU(name=f"block{i}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i, width in enumerate(dense, start=1):
        x = keras.layers.Dense(width, activation="relu", name=f"fc{i}")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)
