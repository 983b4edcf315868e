"""Option values checked as they are parsed, with the error a user can act on.

The `type=` functions below make argparse name the option and the bad value in
one line (`error: argument --epochs: ...`) before anything heavy is imported.
"""

import argparse
import math


def number_list(text, kind=float, what="value"):
    """`"0.1,0.2"` -> `[0.1, 0.2]`; raises ValueError naming the option otherwise."""
    noun = "integers" if kind is int else "numbers"
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{what}: expected comma-separated {noun}, got {text!r}") from None
    if not values:
        raise ValueError(f"{what}: give at least one value")
    if kind is float and not all(math.isfinite(v) for v in values):
        raise ValueError(f"{what}: expected finite numbers, got {text!r}")
    return values


def _number(text, kind):
    try:
        value = kind(text)
    except ValueError:
        noun = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
    if kind is float and not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def at_least(lowest, kind=int):
    """An argparse type: a number >= `lowest`."""

    def parse(text):
        value = _number(text, kind)
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be at least {lowest}, got {text}")
        return value

    return parse


def positive(text):
    """An argparse type: a finite number > 0."""
    value = _number(text, float)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def non_negative(text):
    """An argparse type: a finite number >= 0."""
    value = _number(text, float)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value
