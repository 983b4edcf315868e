"""Test setup: quiet TensorFlow, two logical CPUs for MirroredStrategy tests.

The suite runs on Keras' TensorFlow backend. Tests marked `any_backend` hold for
every backend the engine supports: `tests/test_backends.py` runs them again on
JAX (`KERAS_BACKEND=jax python -m pytest -m any_backend`); `tensorflow_only`
skips a test there that exercises a TensorFlow-only feature.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

TENSORFLOW = keras.backend.backend() == "tensorflow"

tensorflow_only = pytest.mark.skipif(
    not TENSORFLOW, reason="a TensorFlow-only feature (tfmot, cleverhans, tf.data, SavedModel)"
)

if TENSORFLOW:
    import tensorflow as tf

    # Logical devices must be configured before TensorFlow runs anything.
    _cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            _cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2
        )
    except RuntimeError:  # already initialised by an earlier import
        pass


def value_and_gradient(function, x):
    """`function(x)` and the gradient of its sum with respect to `x`, on any backend."""
    x = keras.ops.convert_to_tensor(x)
    if TENSORFLOW:
        with tf.GradientTape() as tape:
            tape.watch(x)
            value = function(x)
        return np.asarray(value), np.asarray(tape.gradient(value, x))
    import jax

    value, vjp = jax.vjp(function, x)
    return np.asarray(value), np.asarray(vjp(keras.ops.ones_like(value))[0])


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


#: The longest test files (subprocess runs, the JAX re-run, notebooks, the bad-input
#: catalogue), started first: with two workers taking one file at a time, a long file
#: left for the end would run alone while the other worker idles.
LONGEST_FIRST = ("test_backends.py", "test_bad_inputs.py", "test_tutorials.py",
                 "test_reliability.py", "test_resume.py", "test_paper_scale.py",
                 "test_multi_worker.py", "test_cli.py", "test_cli_sparsify.py",
                 "test_cli_robust.py", "test_sparsity_peers.py", "test_compose.py",
                 "test_masks_in_step.py", "test_benchmarks_step_cost.py")


def pytest_collection_modifyitems(config, items):
    # A stable sort by file: the order inside each file is kept.
    def rank(item):
        name = item.path.name
        return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


def pytest_sessionfinish(session, exitstatus):
    # pytest-xdist stops a worker by interrupting its main thread, while pytest
    # collects garbage to report what tests left behind; the collection hook that
    # JAX installs (Keras imports JAX) then prints a stray KeyboardInterrupt. The
    # session is over: XLA has nothing left to free.
    import gc

    gc.callbacks[:] = [c for c in gc.callbacks if getattr(c, "__name__", "") != "_xla_gc_callback"]
