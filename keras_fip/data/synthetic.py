"""Random data shaped like a real dataset, for smoke runs of paper-scale recipes.

Nothing here is learnable beyond chance; it checks that a pipeline runs end to end
(shapes, class counts, task splits, checkpoints) where the real data is not
prepared.
"""

import numpy as np

from .dataset import Dataset

#: Shapes and class counts of the sets the paper-scale recipes use.
SHAPES = {
    "cifar100": ((32, 32, 3), 100),
    "cifar10": ((32, 32, 3), 10),
    "mnist": ((28, 28, 1), 10),
    "fashion_mnist": ((28, 28, 1), 10),
}


def synthetic_dataset(like="cifar100", train_per_class=10, test_per_class=5, seed=0):
    """A `Dataset` of uniform random images with balanced labels, shaped like `like`.

    Args:
        like: one of `SHAPES` (`"cifar100"`, `"cifar10"`, `"mnist"`, `"fashion_mnist"`).
        train_per_class: training images of each class.
        test_per_class: test images of each class.
        seed: seed of the pixels and of the order.

    Returns:
        A `Dataset` with the shapes and number of classes of `like`.

    Raises:
        ValueError: an unknown `like`, or fewer than one image per class.

    Example:
        >>> data = synthetic_dataset("cifar100", train_per_class=2, test_per_class=1)
        >>> data.x_train.shape, data.num_classes
        ((200, 32, 32, 3), 100)
    """
    if like not in SHAPES:
        raise ValueError(f"synthetic_dataset: like must be one of {sorted(SHAPES)}, got {like!r}.")
    for name, value in (("train_per_class", train_per_class), ("test_per_class", test_per_class)):
        if int(value) < 1:
            raise ValueError(f"synthetic_dataset: {name} must be at least 1, got {value}.")
    shape, classes = SHAPES[like]
    rng = np.random.default_rng(seed)

    def part(per_class):
        y = rng.permutation(np.repeat(np.arange(classes), per_class)).astype(np.int64)
        return rng.random((len(y), *shape), dtype=np.float32), y

    x_train, y_train = part(int(train_per_class))
    x_test, y_test = part(int(test_per_class))
    return Dataset(x_train, y_train, x_test, y_test, f"synthetic_{like}", classes,
                   description=f"random images shaped like {like} (a smoke run, not data)",
                   split=f"{train_per_class} train / {test_per_class} test per class, seed {seed}")
