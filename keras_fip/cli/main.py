"""`keras-fip`: the command line entry point.

Each job is a subcommand in its own module; this file only dispatches and turns
the errors a user can cause (bad arguments, missing files, bad data) into one
clear line instead of a traceback. Arguments are parsed before TensorFlow is
imported, so `--help` and bad options answer at once, and TensorFlow's own C++
logs and library warnings stay hidden unless `--verbose 2` asks for them.
"""

import argparse
import os
import sys
import warnings


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


def quiet_libraries(verbose):
    """Hides TensorFlow's C++ logs and library warnings unless `verbose` is 2.

    Must run before TensorFlow is imported: its C++ logging level is read once.
    """
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
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 2
    quiet_libraries(getattr(args, "verbose", 0))
    # Every serialisable class registered before a command loads a `.keras` file.
    import keras_fip.engine  # noqa: F401
    import keras_fip.robustness  # noqa: F401
    import keras_fip.sparsity  # noqa: F401

    try:
        return args.run(args) or 0
    except (ValueError, FileNotFoundError, FloatingPointError) as error:
        print(f"keras-fip {args.command}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
