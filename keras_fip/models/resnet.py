"""ResNet-18 and ResNet-20 for 32x32 images (the CIFAR variants).

Built from standard Keras layers with the functional API only, so the models
save to `.keras` and load back without custom objects.
"""

import keras

from keras_fip.models._common import (
    check_input_shape, check_num_classes, check_width, scaled,
)


def _batch_norm(name):
    # PyTorch's BatchNorm settings, which the CIFAR recipes were tuned with;
    # Keras's default momentum (0.99) lags far behind in short runs.
    return keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name)


def _conv(filters, kernel_size, strides, name):
    # No bias: every conv is followed by BatchNormalization, which has its own shift.
    return keras.layers.Conv2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=False,
        kernel_initializer="he_normal", name=name,
    )


def _basic_block(x, filters, strides, name):
    """Two 3x3 convs with a shortcut: relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))."""
    shortcut = x
    y = _conv(filters, 3, strides, f"{name}_conv1")(x)
    y = _batch_norm(f"{name}_bn1")(y)
    y = keras.layers.ReLU(name=f"{name}_relu1")(y)
    y = _conv(filters, 3, 1, f"{name}_conv2")(y)
    y = _batch_norm(f"{name}_bn2")(y)
    if strides != 1 or x.shape[-1] != filters:
        # Projection shortcut (1x1 conv + BN) where the block changes the shape.
        shortcut = _conv(filters, 1, strides, f"{name}_shortcut_conv")(x)
        shortcut = _batch_norm(f"{name}_shortcut_bn")(shortcut)
    y = keras.layers.Add(name=f"{name}_add")([y, shortcut])
    return keras.layers.ReLU(name=f"{name}_out")(y)


def _resnet(architecture, input_shape, num_classes, width, stem, stages, name):
    """A CIFAR ResNet: 3x3 stem conv, stages of BasicBlocks, global pooling, Dense.

    `stages` holds (channels, blocks, first stride) per stage.
    """
    downsamples = sum(1 for _, _, strides in stages if strides > 1)
    input_shape = check_input_shape(
        input_shape, architecture, rank=3, min_size=2 ** downsamples,
        reason=f"it halves them {downsamples} times",
    )
    num_classes = check_num_classes(num_classes, architecture)
    width = check_width(width, architecture)
    inputs = keras.Input(input_shape, name="image")
    # CIFAR stem: one 3x3 conv and no max-pool, as 32x32 images are already small.
    x = _conv(scaled(stem, width), 3, 1, "stem_conv")(inputs)
    x = _batch_norm("stem_bn")(x)
    x = keras.layers.ReLU(name="stem_relu")(x)
    for s, (channels, blocks, strides) in enumerate(stages, start=1):
        for b in range(1, blocks + 1):
            x = _basic_block(
                x, scaled(channels, width), strides if b == 1 else 1, f"stage{s}_block{b}",
            )
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def resnet18(input_shape=(32, 32, 3), num_classes=10, width=1.0, name="resnet18"):
    """ResNet-18, CIFAR variant, returning logits.

    A 3x3 stem conv of 64 channels (no initial max-pool), four stages of two
    BasicBlocks with 64, 128, 256, 512 channels and first strides 1, 2, 2, 2,
    projection shortcuts (1x1 conv + BN) where the shape changes, global average
    pooling and a Dense layer. About 11.2M parameters at width 1.

    Args:
        input_shape: (height, width, channels); each side at least 8, since three
            stages halve it.
        num_classes: number of classes (at least 2).
        width: channel multiplier; channels are scaled, rounded and kept >= 1
            (0.125 gives 8..64 channels, for tests).
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, a width that is not
            positive, or an input shape that is not an image large enough for the stages.

    Example:
        >>> network = resnet18(num_classes=100)
        >>> tiny = resnet18(width=0.125)
    """
    stages = ((64, 2, 1), (128, 2, 2), (256, 2, 2), (512, 2, 2))
    return _resnet("resnet18", input_shape, num_classes, width, 64, stages, name)


def resnet20(input_shape=(32, 32, 3), num_classes=10, width=1.0, name="resnet20"):
    """ResNet-20 (He et al., 2016, CIFAR), returning logits.

    A 3x3 stem conv of 16 channels, three stages of three BasicBlocks with 16, 32,
    64 channels and first strides 1, 2, 2, global average pooling and a Dense
    layer: 19 conv layers and one Dense, about 0.27M parameters at width 1.
    Where the shape changes the shortcut is a 1x1 conv + BN projection (He et al.'s
    option B) rather than zero-padding (option A), which would need a custom
    layer; it adds about 3k parameters.

    Args:
        input_shape: (height, width, channels); each side at least 4, since two
            stages halve it.
        num_classes: number of classes (at least 2).
        width: channel multiplier; channels are scaled, rounded and kept >= 1.
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, a width that is not
            positive, or an input shape that is not an image large enough for the stages.

    Example:
        >>> network = resnet20()
        >>> wide = resnet20(width=4.0)      # 64-128-256 channels
    """
    stages = ((16, 3, 1), (32, 3, 2), (64, 3, 2))
    return _resnet("resnet20", input_shape, num_classes, width, 16, stages, name)
