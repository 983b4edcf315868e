"""`keras-fip`: the command line entry point.

Each job is a subcommand in its own module; this file only dispatches and turns
the errors a user can cause (bad arguments, missing files, bad data) into one
clear line instead of a traceback. Arguments are parsed before TensorFlow is
imported, so `--help` and bad options answer at once, and TensorFlow's own C++
logs and library warnings stay hidden unless `--verbose 2` asks for them.

Before Keras is imported, the backend it would use (`KERAS_BACKEND`, else
`~/.keras/keras.json`) is checked: one that keras-fip does not support, one
Keras does not know, or one that is not installed is one line naming the
supported ones (exit 2).

Ctrl-C (SIGINT) and SIGTERM end a command with one line saying what was kept
and the command that continues, exit code 130 and 143; every file a command
writes is written beside and renamed whole, so nothing half-written remains.
"""

import argparse
import gc
import importlib.util
import json
import os
import shlex
import signal
import sys
import threading

from keras_fip.cli._console import quiet_libraries

SUPPORTED_BACKENDS = ("tensorflow", "jax")
# Keras 3's other backends: known to Keras, not to keras-fip's engine.
OTHER_KERAS_BACKENDS = ("torch", "numpy", "openvino")
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is, like Ctrl-C's KeyboardInterrupt.

    A KeyboardInterrupt, so that every `except BaseException` / `finally`
    cleanup that runs on Ctrl-C runs on SIGTERM too.
    """


def build_parser():
    from keras_fip.cli import continual, robust, sparsify

    parser = argparse.ArgumentParser(
        prog="keras-fip",
        description="Functionally invariant paths for Keras: continual learning, "
        "sparsification and robust ensembles.",
    )
    from keras_fip._version import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    continual.add_parser(commands)
    sparsify.add_parser(commands)
    robust.add_parser(commands)
    return parser


def configured_backend():
    """`(name, where)`: the backend Keras would load, and what chose it.

    `KERAS_BACKEND` first, then the `backend` of `$KERAS_HOME/keras.json` (or
    `~/.keras/keras.json`), else Keras' default, TensorFlow.
    """
    name = os.environ.get("KERAS_BACKEND")
    if name is not None:
        return name.strip(), "KERAS_BACKEND"
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    config = os.path.join(home, "keras.json")
    try:
        with open(config) as f:
            name = json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        name = None
    if isinstance(name, str) and name.strip():
        return name.strip(), config
    return "tensorflow", "the default"


def backend_problem():
    """One line saying why the configured backend cannot run keras-fip, or None."""
    name, where = configured_backend()
    source = f"KERAS_BACKEND={name!r}" if where == "KERAS_BACKEND" else \
        f"backend {name!r} (from {where})"
    supported = " or ".join(SUPPORTED_BACKENDS)
    if name not in SUPPORTED_BACKENDS:
        if name in OTHER_KERAS_BACKENDS:
            return (f"{source}: keras-fip does not support this Keras backend; "
                    f"set KERAS_BACKEND to {supported}")
        return f"{source} is not a Keras backend keras-fip knows; set KERAS_BACKEND to {supported}"
    if importlib.util.find_spec(name) is None:
        return (f"{source}: {name} is not installed; install it, or set KERAS_BACKEND to "
                f"the other supported backend ({supported})")
    return None


# Code where an exception raised by a signal would be lost or turned into another:
# TensorFlow's tracing (it re-raises what a traced call raised as its own error).
_UNSAFE_FILES = ("framework/func_graph.py", "/autograph/")


def _on_signal(signum, frame):
    """Ctrl-C / SIGTERM as an exception where the program is, except where unsafe.

    Python prints and drops an exception raised in a `__del__` or a gc callback
    (TensorFlow frees its functions in `__del__`), and the run would go on to
    exit 0; TensorFlow's tracing turns it into a TypeError and a traceback.
    There the signal is delivered again a moment later, once that code is left.
    """
    if _in_unsafe_code(frame):
        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def _in_unsafe_code(frame):
    callbacks = {getattr(c, "__code__", None) for c in gc.callbacks}
    while frame is not None:
        code = frame.f_code
        if (code.co_name == "__del__" or code in callbacks
                or any(part in code.co_filename.replace("\\", "/") for part in _UNSAFE_FILES)):
            return True
        frame = frame.f_back
    return False


def interrupted_line(args, terminated):
    """The one line printed on Ctrl-C / SIGTERM: what was kept, and how to go on."""
    how = "SIGTERM" if terminated else "Ctrl-C"
    command = args.command_line
    out = getattr(args, "out", None)
    checkpoints = os.path.join(out, "checkpoints") if out else None
    if args.command == "continual" and checkpoints and _holds_files(checkpoints):
        resume = command if "--resume" in args.argv else command + " --resume"
        return (f"keras-fip {args.command}: interrupted ({how}); the tasks finished so far "
                f"are saved in {checkpoints}; resume with: {resume}")
    export = getattr(args, "export", None)
    if export and _holds_files(export):
        again = command if getattr(args, "overwrite", False) else command + " --overwrite"
        return (f"keras-fip {args.command}: interrupted ({how}); the exports finished so far "
                f"are kept in {export}, no partial file; run again with: {again}")
    return (f"keras-fip {args.command}: interrupted ({how}); nothing of this run was saved "
            f"(no partial file); run again with: {command}")


def where_line(args):
    """The line a command prints before it starts: the folders it will write to."""
    places = []
    out = getattr(args, "out", None)
    if out:
        kept = ", checkpoints" if args.command == "continual" else ""
        places.append(f"{os.path.abspath(out)} (report.json, plots{kept})")
    export = getattr(args, "export", None)
    if export:
        places.append(f"{os.path.abspath(export)} (the exported models)")
    return f"keras-fip {args.command}: writing to {' and '.join(places)}" if places else None


def _holds_files(folder):
    return os.path.isdir(folder) and any(
        files for _, _, files in os.walk(folder))


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    args.command_line = "keras-fip " + shlex.join(argv)  # the report's "command"
    if args.command is None:
        parser.print_help()
        return 2
    problem = backend_problem()  # before Keras is imported: it would fail or half-work
    if problem:
        print(f"keras-fip {args.command}: error: {problem}", file=sys.stderr)
        return 2
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) == signal.SIG_IGN:
            continue  # ignored by whoever started us (nohup, a background job)
        try:
            previous[signum] = signal.signal(signum, _on_signal)
        except ValueError:  # not the main thread: leave the signals alone
            pass
    try:
        return _run(args)
    except KeyboardInterrupt as interrupt:
        terminated = isinstance(interrupt, Terminated)
        print(f"\n{interrupted_line(args, terminated)}", file=sys.stderr)
        return EXIT_SIGTERM if terminated else EXIT_SIGINT
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _run(args):
    quiet_libraries(getattr(args, "verbose", 0))
    # Every serialisable class registered before a command loads a `.keras` file.
    import keras_fip

    keras_fip.register_keras_classes()
    from keras_fip.engine.backend import UnsupportedBackendError

    where = where_line(args)
    if where:
        print(where, flush=True)
    try:
        return args.run(args) or 0
    except (ValueError, FileNotFoundError, FloatingPointError, UnsupportedBackendError) as error:
        print(f"keras-fip {args.command}: error: {user_message(error, args)}", file=sys.stderr)
        return 2


def user_message(error, args):
    """A library error as the user of the command should read it: options, not arguments.

    The running command's module may hold `FLAGS = {argument: option}`.
    """
    from keras_fip.cli._flags import flag_message

    command = sys.modules.get(getattr(args.run, "__module__", ""), None)
    return flag_message(error, getattr(command, "FLAGS", None) or {})


if __name__ == "__main__":
    sys.exit(main())
