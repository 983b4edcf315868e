"""Test setup: quiet TensorFlow, two logical CPUs for MirroredStrategy tests."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Logical devices must be configured before TensorFlow runs anything.
_cpus = tf.config.list_physical_devices("CPU")
try:
    tf.config.set_logical_device_configuration(
        _cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
    )
except RuntimeError:  # already initialised by an earlier import
    pass


@pytest.fixture(scope="session")
def digits():
    from keras_fip.data import load_digits

    return load_digits(seed=0)


@pytest.fixture(scope="module")
def trained(digits):
    """A digits MLP (64 hidden, logits) trained 20 epochs: the sparsity tests' start.

    One per test module, so no module sees another's changes to it.
    """
    import keras

    keras.utils.set_random_seed(0)
    network = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu", name="hidden"),
        keras.layers.Dense(10, name="logits"),
    ])
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=20, batch_size=64, verbose=0)
    return network


@pytest.fixture
def small_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + 2 * (x[:, 1] > 0)
    return x, y
