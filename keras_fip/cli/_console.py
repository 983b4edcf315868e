"""A quiet console: TensorFlow's C++ logs and library warnings hidden unless asked."""

import os
import warnings

from keras_fip.console import silenced_stderr


def quiet_libraries(verbose):
    """Hides TensorFlow's C++ logs and library warnings unless `verbose` is 2.

    Must run before TensorFlow is imported: its C++ logging level is read once.
    keras-fip's own warnings are shown on one line each, at every level.
    """
    _our_warnings_on_one_line()
    if verbose >= 2:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # not even cuInit's "errors"
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    import logging

    for name in ("absl", "tensorflow", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # TensorFlow 2.21 logs through absl while it is imported, before any log
    # level applies (oneDNN, CUDA and CPU-feature notices): only silencing the
    # process's stderr for the import hides them.
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return  # another backend: TensorFlow may not even be installed
    with silenced_stderr():
        import tensorflow  # noqa: F401


def quiet_tensorflow_logger():
    """TensorFlow's Python logger at ERROR (retracing notices would break the
    progress bars); nothing on another backend."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")


def _our_warnings_on_one_line():
    """keras-fip's warnings as `warning: MESSAGE` on stderr, not Python's two lines
    of source location; other libraries' warnings are left as they are."""
    import sys

    default = warnings.showwarning
    if getattr(default, "keras_fip", False):
        return  # already installed (several commands in one process)

    def show(message, category, filename, lineno, file=None, line=None):
        if category.__module__.startswith("keras_fip"):
            print(f"warning: {message}", file=file or sys.stderr)
        else:
            default(message, category, filename, lineno, file, line)

    show.keras_fip = True
    warnings.showwarning = show
