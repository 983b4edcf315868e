"""VGG-11 and VGG-16 for 32x32 images (the CIFAR variants)."""

import keras

from keras_fip.models._common import (
    check_input_shape, check_num_classes, check_width, scaled,
)

# Channels of each 3x3 conv, "M" for a 2x2 max-pool (Simonyan & Zisserman's
# configurations A and D, as used on CIFAR).
CONFIGS = {
    "vgg11": (64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"),
    "vgg16": (
        64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
        512, 512, 512, "M", 512, 512, 512, "M",
    ),
}

def _vgg(config_name, input_shape, num_classes, width, name):
    config = CONFIGS[config_name]
    # Each "M" halves the image (five of them take 32 pixels down to 1), so a
    # smaller image would run out of pixels before the classifier.
    pools = config.count("M")
    input_shape = check_input_shape(
        input_shape, config_name, rank=3, min_size=2 ** pools, reason=f"it halves them {pools} times",
    )
    num_classes = check_num_classes(num_classes, config_name)
    width = check_width(width, config_name)
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    stage, conv = 1, 1
    for item in config:
        if item == "M":
            x = keras.layers.MaxPooling2D(2, name=f"stage{stage}_pool")(x)
            stage, conv = stage + 1, 1
            continue
        prefix = f"stage{stage}_conv{conv}"
        # No bias: the BatchNormalization right after has its own shift.
        x = keras.layers.Conv2D(
            scaled(item, width), 3, padding="same", use_bias=False,
            kernel_initializer="he_normal", name=prefix,
        )(x)
        # PyTorch's BatchNorm settings, which the CIFAR recipes were tuned with;
        # Keras's default momentum (0.99) lags far behind in short runs.
        x = keras.layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{prefix}_bn")(x)
        x = keras.layers.ReLU(name=f"{prefix}_relu")(x)
        conv += 1
    # CIFAR style: one linear layer on the flattened features (1x1x512 at 32x32).
    x = keras.layers.Flatten(name="flatten")(x)
    outputs = keras.layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def vgg11(input_shape=(32, 32, 3), num_classes=10, width=1.0, name="vgg11"):
    """VGG-11 for 32x32 images, returning logits.

    Eight 3x3 conv + BatchNorm + ReLU layers with channels
    64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M (M: 2x2 max-pool),
    then flatten and one Dense layer (the CIFAR classifier). About 9.2M
    parameters at width 1 with ten classes.

    Args:
        input_shape: (height, width, channels); each side at least 32, since five
            2x2 max-pools halve it.
        num_classes: number of classes (at least 2).
        width: channel multiplier; channels are scaled, rounded and kept >= 1
            (0.125 gives a tiny network for tests).
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, a width that is not
            positive, or an input shape that is not an image large enough for the stages.

    Example:
        >>> network = vgg11(num_classes=100)             # CIFAR-100
        >>> tiny = vgg11(width=0.125)                    # 8..64 channels
    """
    return _vgg("vgg11", input_shape, num_classes, width, name)


def vgg16(input_shape=(32, 32, 3), num_classes=10, width=1.0, name="vgg16"):
    """VGG-16 for 32x32 images, returning logits.

    Thirteen 3x3 conv + BatchNorm + ReLU layers with channels
    64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M
    (M: 2x2 max-pool), then flatten and one Dense layer (the CIFAR classifier).
    About 14.7M parameters at width 1 with ten classes.

    Args:
        input_shape: (height, width, channels); each side at least 32, since five
            2x2 max-pools halve it.
        num_classes: number of classes (at least 2).
        width: channel multiplier; channels are scaled, rounded and kept >= 1.
        name: name of the model.

    Returns:
        A functional `keras.Model` mapping images to `num_classes` logits.

    Raises:
        ValueError: num_classes below 2 or not an integer, a width that is not
            positive, or an input shape that is not an image large enough for the stages.

    Example:
        >>> network = vgg16()
        >>> tiny = vgg16(width=0.125)
    """
    return _vgg("vgg16", input_shape, num_classes, width, name)
