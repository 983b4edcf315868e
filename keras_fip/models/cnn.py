"""Convolutional networks for MNIST-sized images: the FIP reference notebook's, and a narrowed one."""

import keras

from keras_fip.models._common import check_input_shape, check_num_classes


def reference_cnn(
    input_shape=(28, 28, 1), num_classes=10, filters=(32, 64), dense=(600, 120),
    dropout=0.25, name="reference_cnn",
):
    """The FIP reference notebook's MNIST CNN (`FashionCNN`), returning logits.

    Exactly the notebook's layout (CatastrophicForgetting_MNIST-FMNIST.ipynb):

        Conv2D 32 3x3 'same' -> BatchNorm -> ReLU -> MaxPool 2
        Conv2D 64 3x3 'valid' -> BatchNorm -> ReLU -> MaxPool 2
        (BatchNorm with PyTorch's defaults: momentum 0.1, i.e. 0.9 in Keras; eps 1e-5)
        Flatten -> Dense 600 -> Dropout 0.25 -> Dense 120 -> Dense num_classes

    The Dense layers have no activation between them, as in the notebook (its
    `forward` applies none). On 28x28x1 inputs and 10 classes: 1,475,530
    parameters (1,475,338 trainable).

    Args:
        input_shape: (height, width, channels) of one image, at least 8x8 (the
            first block halves the image, the second trims 2 pixels and halves it).
        num_classes: number of classes (at least 2).
        filters: filters of each conv block; the first pads 'same', the others
            'valid' (the notebook's).
        dense: widths of the hidden Dense layers after flattening.
        dropout: rate of the Dropout after the first Dense layer (0: none).
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, or an input shape that
            is not an image `(height, width, channels)` large enough for the blocks.

    Example:
        >>> network = reference_cnn()                      # MNIST, 10 classes
        >>> network = reference_cnn((32, 32, 3), 100)      # CIFAR-100 sized
    """
    filters, dense = tuple(filters), tuple(dense)
    size = 2
    for _ in filters[1:]:  # the smallest side that survives every block
        size = 2 * (size + 2)
    input_shape = check_input_shape(
        input_shape, "reference_cnn", rank=3, min_size=size,
        reason=f"its {len(filters)} blocks pool and trim them",
    )
    num_classes = check_num_classes(num_classes, "reference_cnn")
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for i, width in enumerate(filters, start=1):
        padding = "same" if i == 1 else "valid"
        x = keras.layers.Conv2D(width, 3, padding=padding, name=f"block{i}_conv")(x)
        # PyTorch's BatchNorm2d defaults: momentum 0.1 there is 0.9 here, eps 1e-5.
        # (Keras' 0.99 lags so far behind this network's early training that its
        # inference-mode accuracy after 5 epochs on 8,000 MNIST images was 0.75.)
        x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"block{i}_bn")(x)
        x = keras.layers.ReLU(name=f"block{i}_relu")(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i, width in enumerate(dense, start=1):
        x = keras.layers.Dense(width, name=f"fc{i}")(x)  # linear, as in the notebook
        if i == 1 and dropout:
            x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def compact_cnn(
    input_shape=(28, 28, 1), num_classes=10, filters=(16, 32), dense=(128,),
    name="compact_cnn",
):
    """A narrowed CNN in the notebook's spirit, cheap enough for CPU benchmarks.

    Conv blocks (Conv2D 3x3 'same' -> BatchNormalization -> ReLU -> MaxPool 2x2),
    one per entry of `filters`, then flatten, a ReLU Dense layer per entry of
    `dense`, and a Dense logits head. This is the network earlier sparsification
    benchmarks ran as "reference_cnn --cnn-filters 16,32 --cnn-dense 128"; the
    notebook's own is `reference_cnn`.

    Args:
        input_shape: (height, width, channels) of one image; each side must be at
            least 2 ** len(filters), since every block halves it.
        num_classes: number of classes (at least 2).
        filters: filters of each conv block.
        dense: widths of the hidden ReLU Dense layers after flattening.
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, or an input shape that
            is not an image `(height, width, channels)` large enough for the blocks.

    Example:
        >>> network = compact_cnn((8, 8, 1), 10)
    """
    filters, dense = tuple(filters), tuple(dense)
    input_shape = check_input_shape(
        input_shape, "compact_cnn", rank=3, min_size=2 ** len(filters),
        reason=f"it halves them {len(filters)} times",
    )
    num_classes = check_num_classes(num_classes, "compact_cnn")
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
