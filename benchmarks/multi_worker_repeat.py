"""The 2-worker JAX run, repeated: every run must end within 1e-5 of one process.

`tests/multi_worker_steps.py` trains FIP for 8 steps on Keras' JAX distribution
API, once as a single process over the global batch of 16 and then as 2 worker
processes on localhost, each feeding its 8 rows of every global batch. One run
that differs is a nondeterminism (memory draws, initialisation, collectives),
so the pair is repeated and every repeat compared with the single process.

    python benchmarks/multi_worker_repeat.py --repeats 10 \
        --out benchmarks/results/multi_worker_repeat.json
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "multi_worker_steps.py"
TOLERANCE = 1e-5


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _start(*args):
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
           "JAX_PLATFORMS": "cpu",
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen([sys.executable, str(SCRIPT), *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process):
    output, _ = process.communicate(timeout=600)
    if process.returncode != 0:
        raise SystemExit(f"a worker failed ({process.returncode}):\n{output[-3000:]}")


def _weights(path):
    with np.load(path) as saved:
        return {k: saved[k] for k in saved.files}


def _deviation(a, b):
    """Largest absolute difference over every weight, and the weight it is in."""
    worst = max((float(np.max(np.abs(a[k] - b[k]))), k) for k in a if k != "devices")
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--out", default="benchmarks/results/multi_worker_repeat.json")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _finish(_start(tmp / "one.npz"))
        one = _weights(tmp / "one.npz")
        for repeat in range(args.repeats):
            start = time.perf_counter()
            out = tmp / f"two_{repeat}.npz"
            port = _free_port()
            workers = [_start(out, port, i, 2) for i in range(2)]
            for worker in workers:
                _finish(worker)
            two = _weights(out)
            assert int(one["devices"]) == 1 and int(two["devices"]) == 2
            deviation, weight = _deviation(two, one)
            runs.append({"repeat": repeat, "max_abs_deviation": deviation, "worst_weight": weight,
                         "within_tolerance": deviation <= TOLERANCE,
                         "seconds": round(time.perf_counter() - start, 1)})
            print(f"run {repeat}: max |two workers - one process| = {deviation:.3g} "
                  f"({weight}), {runs[-1]['seconds']} s", flush=True)
        # The single process itself, again: the reference must repeat too.
        _finish(_start(tmp / "one_again.npz"))
        reference_deviation, _ = _deviation(_weights(tmp / "one_again.npz"), one)
    worst = max(r["max_abs_deviation"] for r in runs)
    result = {
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": "python benchmarks/multi_worker_repeat.py --repeats "
                   f"{args.repeats} --out {args.out}",
        "setup": "tests/multi_worker_steps.py: FIP, 2 epochs x 4 steps on a global batch of 16 "
                 "(8 + 8 rows on 2 JAX CPU worker processes on localhost), 8 of 24 remembered "
                 "samples drawn per step; compared with 1 process on the whole global batch",
        "tolerance": TOLERANCE,
        "repeats": args.repeats,
        "max_abs_deviation": worst,
        "all_within_tolerance": all(r["within_tolerance"] for r in runs),
        "one_process_repeat_deviation": reference_deviation,
        "runs": runs,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print(f"\nworst of {args.repeats}: {worst:.3g} (tolerance {TOLERANCE:g}); "
          f"one process against itself: {reference_deviation:.3g}\nwrote {args.out}")
    return 0 if result["all_within_tolerance"] and reference_deviation == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
