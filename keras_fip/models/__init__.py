"""Networks used by the command line, the benchmarks and the paper's experiments.

Every function returns a Keras model that outputs logits (no softmax), sized by
its arguments, ready to wrap in `FIPModel.from_model`:

    mlp             multilayer perceptron (any input, flattened)
    reference_cnn   the FIP reference notebook's MNIST CNN, exactly
    compact_cnn     a narrowed CNN (16/32 filters, Dense 128) for CPU budgets
    lenet_300_100   LeNet-300-100 (MNIST)
    lenet5          LeNet-5 (MNIST)
    vgg11, vgg16    CIFAR VGG with BatchNorm, 32x32 inputs
    resnet18        CIFAR ResNet-18, 32x32 inputs
    resnet20        He et al.'s CIFAR ResNet-20, 32x32 inputs

Example:
    >>> from keras_fip import FIPModel
    >>> from keras_fip import models
    >>> network = models.get("resnet20", num_classes=100)
    >>> model = FIPModel.from_model(network)
"""

from keras_fip.engine.networks import fresh_copy  # noqa: F401  (public here too)
from keras_fip.models.cnn import compact_cnn, reference_cnn
from keras_fip.models.lenet import lenet5, lenet_300_100
from keras_fip.models.mlp import mlp
from keras_fip.models.resnet import resnet18, resnet20
from keras_fip.models.vgg import vgg11, vgg16

ARCHITECTURES = {
    "mlp": mlp,
    "reference_cnn": reference_cnn,
    "compact_cnn": compact_cnn,
    "lenet_300_100": lenet_300_100,
    "lenet5": lenet5,
    "vgg11": vgg11,
    "vgg16": vgg16,
    "resnet18": resnet18,
    "resnet20": resnet20,
}


def get(name, **kwargs):
    """Builds the architecture called `name` with `kwargs`.

    Args:
        name: a key of `ARCHITECTURES`; case and "-" for "_" do not matter
            ("ResNet20", "lenet-300-100").
        **kwargs: arguments of the architecture's function (`input_shape`,
            `num_classes`, `width`, ...).

    Returns:
        The Keras model, outputting logits.

    Raises:
        ValueError: for an unknown name, listing the known ones.

    Example:
        >>> network = get("vgg11", num_classes=100, width=0.5)
    """
    key = str(name).lower().replace("-", "_")
    if key not in ARCHITECTURES:
        raise ValueError(
            f"Unknown architecture {name!r}; choose one of: {', '.join(ARCHITECTURES)}."
        )
    return ARCHITECTURES[key](**kwargs)


__all__ = [
    "ARCHITECTURES", "compact_cnn", "get", "lenet5", "lenet_300_100", "mlp", "reference_cnn",
    "resnet18", "resnet20", "vgg11", "vgg16",
]
