"""`keras-fip`: the command line entry point.

Each job is a subcommand in its own module; this file only dispatches and turns
the errors a user can cause (bad arguments, missing files, bad data) into one
clear line instead of a traceback. Arguments are parsed before TensorFlow is
imported, so `--help` and bad options answer at once, and TensorFlow's own C++
logs and library warnings stay hidden unless `--verbose 2` asks for them.
"""

import argparse
import shlex
import sys

from keras_fip.cli._console import quiet_libraries


def build_parser():
    from keras_fip.cli import continual, robust, sparsify

    parser = argparse.ArgumentParser(
        prog="keras-fip",
        description="Functionally invariant paths for Keras: continual learning, "
        "sparsification and robust ensembles.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    continual.add_parser(commands)
    sparsify.add_parser(commands)
    robust.add_parser(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    args.command_line = "keras-fip " + shlex.join(argv)  # the report's "command"
    if args.command is None:
        parser.print_help()
        return 2
    quiet_libraries(getattr(args, "verbose", 0))
    # Every serialisable class registered before a command loads a `.keras` file.
    import keras_fip.engine  # noqa: F401
    import keras_fip.robustness  # noqa: F401
    import keras_fip.sparsity  # noqa: F401
    from keras_fip.engine.backend import UnsupportedBackendError

    try:
        return args.run(args) or 0
    except (ValueError, FileNotFoundError, FloatingPointError, UnsupportedBackendError) as error:
        print(f"keras-fip {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
