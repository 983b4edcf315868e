"""Deprecated: `benchmarks/step_cost.py` measures the step cost on both backends (issue 26).

Kept so that the commands recorded with earlier results still run: the options are
passed to `step_cost.py` with this script's old defaults (the current backend unless
`--backends` is given, jit on and off, 100 timed steps, 10 for ResNet-18, a memory
batch no larger than the task batch, no memory sweep, no variants). The JSON is
`step_cost.py`'s (format `step_cost/2`), rendered by `step_cost_table`.
"""

import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import step_cost  # noqa: E402

OLD_DEFAULTS = {"--backends": "current", "--jit": "on,off", "--steps": "100", "--warmup": "10",
                "--resnet-steps": "10", "--resnet-warmup": "2", "--sweep": "",
                "--resnet-sweep": "", "--variant-networks": "",
                "--batch": "mlp=64,reference_cnn=128,resnet18=32", "--memory-batch": "64"}


def translate(argv):
    """`argv` with the old defaults filled in and the memory batch capped at the batch."""
    given = {arg.split("=")[0] for arg in argv if arg.startswith("--")}
    argv = list(argv) + [f"{key}={value}" for key, value in OLD_DEFAULTS.items()
                         if key not in given]
    args = step_cost.parse_args(argv)
    names = [n for n in args.networks.split(",") if n]
    capped = ",".join(
        "{}={}".format(n, min(step_cost.per_network(args.memory_batch, n),
                              step_cost.per_network(args.batch, n)))
        for n in names)
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--memory-batch":
            skip = True
        elif not arg.startswith("--memory-batch="):
            kept.append(arg)
    return kept + [f"--memory-batch={capped}"]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    message = ("benchmarks/backend_step_cost.py is deprecated: use benchmarks/step_cost.py "
               "(both backends, the memory sweep and the variants by default)")
    warnings.warn(message, DeprecationWarning, stacklevel=2)
    print(f"note: {message}", file=sys.stderr)
    return step_cost.main(translate(argv))


if __name__ == "__main__":
    sys.exit(main())
