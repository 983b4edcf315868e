"""Imports tensorflow-model-optimization without changing the caller's Keras.

Importing tfmot sets `TF_USE_LEGACY_KERAS=1`; if `tf.keras` has not been looked
at yet, it then resolves to tf_keras for the rest of the process. We resolve
`tf.keras` first, under the caller's setting, and restore the variable after.
"""

import os

from keras_fip.engine import backend

_MODULE = None


def tfmot():
    """The `tensorflow_model_optimization` module, imported once, with Keras left as it was."""
    global _MODULE
    backend.require_tensorflow("tensorflow-model-optimization (tfmot)")
    if _MODULE is None:
        import tensorflow as tf

        getattr(tf.keras, "version", None)  # fix what tf.keras means before tfmot can flip it
        before = os.environ.get("TF_USE_LEGACY_KERAS")
        try:
            import tensorflow_model_optimization as module
        except ImportError:
            raise ImportError(
                "Pruning export needs tensorflow-model-optimization and tf-keras: "
                "pip install 'keras-fip[sparsity]'."
            ) from None
        finally:
            if before is None:
                os.environ.pop("TF_USE_LEGACY_KERAS", None)
            else:
                os.environ["TF_USE_LEGACY_KERAS"] = before
        _MODULE = module
    return _MODULE
