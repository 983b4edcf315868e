"""What differs between Keras backends, kept in one place.

The engine is written in `keras.ops` and runs on TensorFlow (the default) and on
JAX. TensorFlow is imported only where it is the backend, or where a feature
needs it (tfmot export, cleverhans attacks, tfds, the geometry module), so the
package imports on a machine that has JAX and no TensorFlow.
"""

import keras


def name():
    """The Keras backend this process runs on: "tensorflow", "jax", ..."""
    return keras.backend.backend()


def is_tensorflow():
    return name() == "tensorflow"


class UnsupportedBackendError(RuntimeError):
    """A TensorFlow-only feature was asked for on another Keras backend."""


def require_tensorflow(feature):
    """Raises a clear error when `feature` is asked for on another backend."""
    if not is_tensorflow():
        raise UnsupportedBackendError(
            f"{feature}: needs Keras' TensorFlow backend; this process runs Keras on "
            f"{name()!r}. Run it with KERAS_BACKEND=tensorflow."
        )


def num_replicas():
    """Replicas a `tf.distribute` strategy splits each batch across (1 elsewhere).

    Keras' JAX distribution API computes the loss on the global batch, so the
    extra loss terms need no scaling there.
    """
    if not is_tensorflow():
        return 1
    import tensorflow as tf

    return tf.distribute.get_strategy().num_replicas_in_sync


def is_dataset(x):
    """Whether `x` is a `tf.data.Dataset`, without importing TensorFlow."""
    return any(
        cls.__module__.startswith("tensorflow") and cls.__name__.endswith("DatasetV2")
        for cls in type(x).__mro__
    )


def process_count():
    """Processes training together (JAX's distribution API across machines), else 1."""
    if name() != "jax":
        return 1
    import jax

    return jax.process_count()
