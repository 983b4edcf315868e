"""`silenced_stderr`: C++ logs that no log level reaches, hidden for one block."""

import contextlib
import os


@contextlib.contextmanager
def silenced_stderr(silence=True):
    """Sends the process's stderr (file descriptor 2) to /dev/null inside the block.

    For C++ code that logs before any log level applies, such as TensorFlow's
    import, the TFLite converter and TFLite's interpreter.

    Args:
        silence: False runs the block with stderr as it is.

    Example:
        >>> with silenced_stderr():
        ...     import tensorflow  # doctest: +SKIP
    """
    if not silence:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
