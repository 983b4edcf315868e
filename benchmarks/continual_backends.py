"""The same continual-learning run on Keras' TensorFlow and JAX backends.

Runs `keras-fip continual` with its defaults (every default method, the digits,
one seed) once per backend, each in its own process, and puts the two reports
side by side. The networks start from each backend's own random initialisation
and the memory batches come from each backend's random streams, so the figures
agree within seed noise, not to the bit (`tests/test_backends.py` checks the
steps themselves to float32 round-off from equal starts).

    python benchmarks/continual_backends.py --out benchmarks/results/continual_digits_backends.json
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

def run_on(backend, folder, options):
    env = {**os.environ, "KERAS_BACKEND": backend}  # the installed keras_fip
    subprocess.run([sys.executable, "-m", "keras_fip.cli.main", "continual", "--out", folder,
                    *options], env=env, check=True)
    with open(os.path.join(folder, "report.json")) as f:
        return json.load(f)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="tensorflow,jax")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="benchmarks/results/continual_digits_backends.json")
    parser.add_argument("options", nargs=argparse.REMAINDER,
                        help="more `keras-fip continual` options, after --")
    args = parser.parse_args()
    options = ["--seed", str(args.seed), *[o for o in args.options if o != "--"]]
    backends = args.backends.split(",")
    reports = {}
    with tempfile.TemporaryDirectory() as scratch:
        for backend in backends:
            reports[backend] = run_on(backend, os.path.join(scratch, backend), options)
    methods = list(reports[backends[0]]["results"])
    rows = {m: {b: {"average_accuracy": reports[b]["results"][m]["average_accuracy"],
                    "forgetting": reports[b]["results"][m]["forgetting"],
                    "train_seconds": reports[b]["results"][m]["train_seconds"]}
                for b in backends} for m in methods}
    print(f"{'method':<18}" + "".join(f"{b + ' acc':>16}{'s':>7}" for b in backends) + f"{'diff':>9}")
    for m, row in rows.items():
        accs = [row[b]["average_accuracy"] for b in backends]
        print(f"{m:<18}" + "".join(f"{row[b]['average_accuracy']:>16.4f}{row[b]['train_seconds']:>7.1f}"
                                   for b in backends) + f"{accs[-1] - accs[0]:>+9.4f}")
    payload = {"command": "python benchmarks/continual_backends.py " + " ".join(sys.argv[1:]),
               "config": reports[backends[0]]["config"], "methods": rows,
               "versions": {b: reports[b]["versions"] for b in backends}}
    with open(args.out, "w") as f:
        json.dump(payload, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
