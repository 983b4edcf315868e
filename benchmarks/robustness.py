"""Robustness benchmark: FIP ensembles that keep the function vs deep, FGE and snapshot ensembles.

Each seed runs the experiment behind `keras-fip robust`
(`keras_fip.experiments.robust.run` on a `RobustConfig`) on the dataset: carve
a validation split from the training data, train the starting network, grow the
FIP ensembles (trust region and acceptance on the validation split), build the
peers with the same network, data and member count, train the attackers' own
networks, then attack a fixed subset of the test split: transfer (crafted on the
starting network, on a surrogate of the same architecture and on one of another
architecture) and white-box (crafted on each model). Prints a table (mean over
seeds, `keras_fip.experiments.robust_seeds`) and the issue's must-show check, and
writes JSON with every seed's report.

    python benchmarks/robustness.py --dataset ../shared/data/mnist --out benchmarks/results/robustness_mnist.json

The peers' learning rates are chosen per seed, each on that seed's own
validation split, by `benchmarks/robustness_tuning.py --seeds 0,1,2`; pass its
file with `--tuned FILE`. Compute is reported in examples (see
`keras_fip.experiments.robust.COMPUTE_CONVENTION`).
"""

import argparse
import json
import os
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="../shared/data/mnist")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="benchmarks/results/robustness_mnist.json")
    parser.add_argument("--resume", action="store_true",
                        help="keep the seeds already in --out and run only the missing ones")
    parser.add_argument("--tuned", default=None, metavar="FILE",
                        help="per-seed choices of benchmarks/robustness_tuning.py (each seed "
                        "tuned on its own validation split): FGE's and the snapshot "
                        "ensemble's learning rates for each seed, unless given after --")
    parser.add_argument("robust_args", nargs="*",
                        help="more `keras-fip robust` options, after --")
    args = parser.parse_args()
    settings = experiment_settings(args.robust_args)
    tuned = load_tuned(args.tuned, [int(s) for s in args.seeds.split(",")]) if args.tuned else {}

    import tensorflow as tf

    from keras_fip.experiments.robust import RobustConfig, format_table, run
    from keras_fip.experiments.robust_seeds import format_summary, summarise
    from keras_fip.report import with_header

    tf.get_logger().setLevel("ERROR")
    runs = []
    if args.resume and os.path.exists(args.out):
        with open(args.out) as f:
            runs = json.load(f)["runs"]
    done = {r["config"]["seed"] for r in runs}
    for seed in [int(s) for s in args.seeds.split(",")]:
        if seed in done:
            print(f"seed {seed}: kept from {args.out}", flush=True)
            continue
        start = time.perf_counter()
        chosen = {k: v for k, v in tuned.get(seed, {}).items() if k not in settings}
        payload = run(RobustConfig(dataset=args.dataset, seed=seed, **settings, **chosen))
        if chosen:
            payload["config"]["tuned"] = {"file": args.tuned, **chosen}
        # The report `keras-fip robust` would write for this seed.
        command = shlex.join(["keras-fip", "robust", "--dataset", args.dataset,
                              "--seed", str(seed), *args.robust_args])
        runs.append({**with_header(payload, command),
                     "wall_seconds": time.perf_counter() - start})
        print()
        print(format_table(payload))
        print(f"seed {seed} done in {runs[-1]['wall_seconds']:.0f}s", flush=True)
        write(args, runs)  # after every seed: a long run keeps what it finished
    print()
    print(format_summary(summarise(runs)))
    print(f"\nwrote {args.out}")


def _list(kind):
    return lambda text: [kind(v) for v in text.split(",") if v.strip()]


# The `keras-fip robust` options this benchmark takes after `--`, as fields of
# `RobustConfig` (same names, comma lists as lists).
ROBUST_OPTIONS = {
    "data_dir": str, "architecture": str, "hidden": _list(int), "cnn_filters": _list(int),
    "cnn_dense": _list(int), "members": int, "methods": _list(str.strip),
    "attackers": _list(str.strip), "surrogate_architecture": str, "attacks": _list(str.strip),
    "eps": _list(float), "validation_fraction": float, "tolerance": float,
    "max_distance": float, "check_every": int, "max_candidates": int, "fge_lr_max": float,
    "fge_lr_min": float, "snapshot_lr": float,
    "clip_min": float, "clip_max": float, "nb_iter": int, "epochs": int, "batch_size": int,
    "learning_rate": float, "steps_between": int, "burn_in": int, "step_length": float,
    "diversity_weight": float, "path_batch_size": int, "average": str,
    "attack_samples": int, "whitebox_samples": int, "matrix_samples": int, "verbose": int,
}


def load_tuned(path, seeds):
    """`{seed: {"fge_lr_max": ..., "snapshot_lr": ...}}` from a robustness_tuning.py file.

    Refuses a file that did not tune every seed asked for (each seed is tuned
    on its own validation split; another seed's choice would be chosen on
    images in this seed's test split)."""
    with open(path) as f:
        tuning = json.load(f)
    options = tuning.get("options", {"fge": "fge_lr_max", "snapshot": "snapshot_lr"})
    chosen = tuning["chosen"]
    if "runs" not in tuning:  # a file from before per-seed tuning: one seed's choice
        chosen = {str(tuning.get("seed", 0)): chosen}
    missing = [s for s in seeds if str(s) not in chosen]
    if missing:
        raise SystemExit(f"--tuned {path} has no choice for seed(s) {missing}: tune each seed "
                         "on its own validation split (benchmarks/robustness_tuning.py --seeds)")
    return {s: {options[m]: float(v) for m, v in chosen[str(s)].items() if v is not None}
            for s in seeds}


def experiment_settings(robust_args):
    """`["--epochs", "2", "--no-whitebox"]` -> `{"epochs": 2, "whitebox": False}`."""
    parser = argparse.ArgumentParser(prog="benchmarks/robustness.py ... --",
                                     argument_default=argparse.SUPPRESS)
    for name, kind in ROBUST_OPTIONS.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=kind)
    parser.add_argument("--no-whitebox", dest="whitebox", action="store_false")
    # Older names, used by the commands in RESULTS.md.
    parser.add_argument("--step-size", dest="step_length", type=float)
    parser.add_argument("--model", dest="architecture", type=str)
    parser.add_argument("--surrogate-model", dest="surrogate_architecture", type=str)
    return vars(parser.parse_args(robust_args))


def write(args, runs):
    from keras_fip.experiments.robust_seeds import summarise
    from keras_fip.report import write_json

    summary = summarise(runs)
    payload = {
        "command": "python benchmarks/robustness.py " + " ".join(sys.argv[1:]),
        "protocol": runs[0]["config"],
        "seeds": [r["config"]["seed"] for r in runs],
        "summary": summary,
        "runs": runs,
    }
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    write_json(args.out, payload)


if __name__ == "__main__":
    main()
