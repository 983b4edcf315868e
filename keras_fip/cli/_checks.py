"""Option types of `keras-fip sparsify` and `keras-fip robust`: one line naming the option.

argparse applies them while parsing, before TensorFlow is imported. The checks
that need the data are the experiments' (`keras_fip.*.experiment`).
"""

import argparse
import math


def seed_type(text):
    """An argparse type: a seed NumPy, Python and TensorFlow all take (0 <= seed < 2**32)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32 - 1], got {text}")
    return value


def finite(text):
    """An argparse type: any finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value
