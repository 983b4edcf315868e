"""Robustness benchmark: FIP ensemble vs the single network vs a deep ensemble, several seeds.

Each seed runs the experiment behind `keras-fip robust`
(`keras_fip.robustness.experiment.run_robust_experiment`) on the dataset: train
the starting network, grow a 10-member FIP ensemble from it, train
a 10-member deep ensemble (each member trained like the start, from its own
seed), then attack a fixed subset of the test split: transfer (crafted on the
starting network, the paper's setting) and white-box (crafted on each model).
Prints a table (mean over seeds) and writes JSON with every seed's report.

    python benchmarks/robustness.py --dataset ../shared/data/mnist --out benchmarks/results/robustness_mnist.json
"""

import argparse
import json
import os
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Measure this checkout, not whatever keras_fip happens to be installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

METHODS = ("single", "deep_ensemble", "fip_ensemble")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="../shared/data/mnist")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="benchmarks/results/robustness_mnist.json")
    parser.add_argument("--resume", action="store_true",
                        help="keep the seeds already in --out and run only the missing ones")
    parser.add_argument("robust_args", nargs="*",
                        help="more `keras-fip robust` options, after --")
    args = parser.parse_args()
    settings = experiment_settings(args.robust_args)

    import tensorflow as tf

    from keras_fip.report import with_header
    from keras_fip.robustness.experiment import format_table, run_robust_experiment

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
        payload = run_robust_experiment(dataset=args.dataset, seed=seed, **settings)
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


# The `keras-fip robust` options this benchmark takes after `--`, as keyword
# arguments of `run_robust_experiment` (same names, comma lists as lists).
ROBUST_OPTIONS = {
    "data_dir": str, "model": str, "hidden": _list(int), "cnn_filters": _list(int),
    "cnn_dense": _list(int), "members": int, "attacks": _list(str.strip), "eps": _list(float),
    "clip_min": float, "clip_max": float, "nb_iter": int, "epochs": int, "batch_size": int,
    "learning_rate": float, "steps_between": int, "burn_in": int, "step_length": float,
    "diversity_weight": float, "path_batch_size": int, "average": str,
    "attack_samples": int, "whitebox_samples": int, "matrix_samples": int, "verbose": int,
}


def experiment_settings(robust_args):
    """`["--epochs", "2", "--no-whitebox"]` -> `{"epochs": 2, "whitebox": False}`."""
    parser = argparse.ArgumentParser(prog="benchmarks/robustness.py ... --",
                                     argument_default=argparse.SUPPRESS)
    for name, kind in ROBUST_OPTIONS.items():
        parser.add_argument("--" + name.replace("_", "-"), dest=name, type=kind)
    parser.add_argument("--no-whitebox", dest="whitebox", action="store_false")
    # The option's name before keras-fip 0.2, used by the commands in RESULTS.md.
    parser.add_argument("--step-size", dest="step_length", type=float)
    return vars(parser.parse_args(robust_args))


def write(args, runs):
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


def summarise(runs):
    """Mean, min and max over seeds of every accuracy and of the compute."""
    summary = {"clean_accuracy": {}, "results": {}, "compute": {}}
    for method in METHODS:
        values = [r["clean_accuracy"][method] for r in runs]
        summary["clean_accuracy"][method] = _stats(values)
        summary["compute"][method] = {
            key: float(np.mean([r["compute"][method][key] for r in runs]))
            for key in ("steps", "examples", "seconds")
        }
    for setting, methods in runs[0]["results"].items():
        for method, row in methods.items():
            for attack, cells in row.items():
                if attack == "clean":
                    values = [r["results"][setting][method]["clean"] for r in runs]
                    summary["results"].setdefault(setting, {}).setdefault(method, {})["clean"] = _stats(values)
                    continue
                for eps in cells:
                    values = [r["results"][setting][method][attack][eps] for r in runs]
                    (summary["results"].setdefault(setting, {}).setdefault(method, {})
                     .setdefault(attack, {}))[eps] = _stats(values)
    summary["fip_members"] = {
        "mean_member_clean_accuracy": _stats([float(np.mean(r["members"]["fip_ensemble"]["clean_accuracy"])) for r in runs]),
        "last_member_weight_distance": _stats([r["members"]["fip_ensemble"]["distances_from_start"][-1]["weight_distance"] for r in runs]),
        "last_member_relative_weight_distance": _stats([r["members"]["fip_ensemble"]["distances_from_start"][-1]["relative_weight_distance"] for r in runs]),
        "deep_member_relative_weight_distance": _stats([float(np.mean([d["relative_weight_distance"] for d in r["members"]["deep_ensemble"]["distances_from_start"]])) for r in runs]),
        "fip_disagreement_transfer": _stats([r["members"]["fip_ensemble"]["diversity_transfer"]["disagreement"] for r in runs]),
        "deep_disagreement_transfer": _stats([r["members"]["deep_ensemble"]["diversity_transfer"]["disagreement"] for r in runs]),
    }
    return summary


def _stats(values):
    return {"mean": float(np.mean(values)), "min": float(np.min(values)),
            "max": float(np.max(values)), "values": [float(v) for v in values]}


def format_summary(summary):
    lines = []
    for setting, methods in summary["results"].items():
        columns = [(a, e) for a, row in methods["single"].items() if a != "clean" for e in row]
        header = f"{setting:<14} {'clean':>6} " + " ".join(f"{a + ' ' + e:>9}" for a, e in columns)
        lines += [header, "-" * len(header)]
        for method, row in methods.items():
            lines.append(f"{method:<14} {row['clean']['mean']:>6.3f} "
                         + " ".join(f"{row[a][e]['mean']:>9.3f}" for a, e in columns))
        lines.append("")
    lines.append("full test split clean accuracy: " + ", ".join(
        f"{m} {s['mean']:.4f}" for m, s in summary["clean_accuracy"].items()))
    lines.append("training compute (mean): " + "; ".join(
        f"{m} {c['steps']:.0f} steps, {c['examples']:.0f} examples, {c['seconds']:.0f}s"
        for m, c in summary["compute"].items()))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
