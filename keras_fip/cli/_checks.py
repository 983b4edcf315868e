"""Option types of `keras-fip sparsify` and `keras-fip robust`: one line naming the option.

argparse applies them while parsing, before TensorFlow is imported. The checks
that need the data are the experiments' (`keras_fip.*.experiment`).
"""

import argparse
import math
import sys


class DeprecatedAlias(argparse.Action):
    """A hidden old option name: stores into the new one's `dest` and warns on stderr.

    The namespace's `typed_aliases` (`{new option: old option as typed}`) lets a
    later message name the option the way the user typed it.
    """

    def __init__(self, option_strings, dest, new=None, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, help=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog}: {option_string} is now {self.new}; the old name goes in the "
              "next release.", file=sys.stderr)
        setattr(namespace, self.dest, values)
        typed = dict(getattr(namespace, "typed_aliases", {}))
        typed[self.new] = option_string
        namespace.typed_aliases = typed


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


def below_one(meaning):
    """An argparse type: a number in [0, 1); `meaning` says what it is in the error."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number in [0, 1), got {text!r}") from None
        if not (math.isfinite(value) and 0.0 <= value < 1.0):
            raise argparse.ArgumentTypeError(f"must be in [0, 1) ({meaning}), got {text}")
        return value

    return parse


def refuse_unused(args, option, applies, reason, default=None):
    """Refuses `option` when it was given a value but has no effect on this run.

    argparse keeps every option it parsed; one that the chosen method, model or
    dataset never reads would be dropped without a word, and the user would
    believe it took part.

    Args:
        args: the parsed options.
        option: the option as typed, e.g. "--hidden".
        applies: whether it has an effect with the other options given.
        reason: why not, e.g. "without --tune" (ends the message's first clause).
        default: the option's default: that value was not chosen by the user.
    """
    value = getattr(args, option.lstrip("-").replace("-", "_"))
    if not applies and value is not None and value is not False and value != default:
        raise ValueError(f"{option} has no effect {reason}; leave it out")


def is_tfds(dataset):
    return str(dataset).strip().lower().startswith("tfds:")
