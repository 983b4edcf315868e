"""Robustness benchmark: FIP ensembles that keep the function vs deep, FGE and snapshot ensembles.

Each seed runs the experiment behind `keras-fip robust`
(`keras_fip.robustness.experiment.run_robust_experiment`) on the dataset: carve
a validation split from the training data, train the starting network, grow the
FIP ensembles (trust region and acceptance on the validation split), build the
peers with the same network, data and member count, train the attackers' own
networks, then attack a fixed subset of the test split: transfer (crafted on the
starting network, on a surrogate of the same architecture and on one of another
architecture) and white-box (crafted on each model). Prints a table (mean over
seeds) and the issue's must-show check, and writes JSON with every seed's report.

    python benchmarks/robustness.py --dataset ../shared/data/mnist --out benchmarks/results/robustness_mnist.json

The peers' learning rates are chosen per seed, each on that seed's own
validation split, by `benchmarks/robustness_tuning.py --seeds 0,1,2`; pass its
file with `--tuned FILE`. Compute is reported in examples (see
`keras_fip.robustness.experiment.COMPUTE_CONVENTION`).
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
        chosen = {k: v for k, v in tuned.get(seed, {}).items() if k not in settings}
        payload = run_robust_experiment(dataset=args.dataset, seed=seed, **settings, **chosen)
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


# The `keras-fip robust` options this benchmark takes after `--`, as keyword
# arguments of `run_robust_experiment` (same names, comma lists as lists).
ROBUST_OPTIONS = {
    "data_dir": str, "model": str, "hidden": _list(int), "cnn_filters": _list(int),
    "cnn_dense": _list(int), "members": int, "methods": _list(str.strip),
    "attackers": _list(str.strip), "surrogate_model": str, "attacks": _list(str.strip),
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
    """Mean, min and max over seeds of every accuracy and of the compute; the must-show check."""
    methods = list(runs[0]["clean_accuracy"])
    summary = {"clean_accuracy": {}, "results": {}, "compute": {}, "members": {}}
    for method in methods:
        values = [r["clean_accuracy"][method] for r in runs]
        summary["clean_accuracy"][method] = _stats(values)
        summary["compute"][method] = {
            key: float(np.mean([_count(r["compute"][method], key) for r in runs]))
            for key in ("steps", "examples", "validation_examples", "anchor_examples",
                        "total_examples", "seconds")
        }
    for setting, rows in runs[0]["results"].items():
        for method, row in rows.items():
            for attack, cells in row.items():
                if attack == "clean":
                    values = [r["results"][setting][method]["clean"] for r in runs]
                    summary["results"].setdefault(setting, {}).setdefault(method, {})["clean"] = _stats(values)
                    continue
                for eps in cells:
                    values = [r["results"][setting][method][attack][eps] for r in runs]
                    (summary["results"].setdefault(setting, {}).setdefault(method, {})
                     .setdefault(attack, {}))[eps] = _stats(values)
    for method in methods:
        if method == "single":
            continue
        reports = [r["members"][method] for r in runs]
        entry = {
            "mean_member_clean_accuracy": _stats([float(np.mean(m["clean_accuracy"])) for m in reports]),
            "lowest_member_clean_accuracy": _stats([float(np.min(m["clean_accuracy"])) for m in reports]),
            "members": [len(m["clean_accuracy"]) for m in reports],
            "mean_relative_weight_distance": _stats([float(np.mean(
                [d["relative_weight_distance"] for d in m["distances_from_start"]])) for m in reports]),
            "disagreement_transfer": _stats([m["diversity_transfer"]["disagreement"] for m in reports]),
        }
        if "rejected" in reports[0]:
            entry["rejected"] = [len(m["rejected"]) for m in reports]
        summary["members"][method] = entry
    summary["must_show"] = must_show(runs)
    return summary


def _count(cost, key):
    """A compute count of one method's cost; reports before issue 21 had no
    forward-only counts (0) and no total (the training examples)."""
    if key == "total_examples" and key not in cost:
        return cost["examples"] + cost.get("validation_examples", 0) + cost.get("anchor_examples", 0)
    return cost.get(key, 0)


def must_show(runs, attack="pgd", eps="0.2"):
    """The issue's check, per seed: transfer `attack` at `eps` from the start and the
    surrogate, FIP at or above every peer; clean within 1 point of the single
    network; at most half the deep ensemble's compute in examples (training
    examples plus forward-only validation passes: `total_examples`)."""
    checks = {}
    for fip in ("fip_ensemble", "fip_path_ensemble"):
        if fip not in runs[0]["clean_accuracy"]:
            continue
        peers = [m for m in ("deep_ensemble", "fge_ensemble", "snapshot_ensemble")
                 if m in runs[0]["clean_accuracy"]]
        rows = []
        for r in runs:
            row = {"seed": r["config"]["seed"]}
            for setting in ("transfer", "transfer_surrogate"):
                if setting not in r["results"]:
                    continue
                res = r["results"][setting]
                row[setting] = {m: res[m][attack][eps] for m in [fip, *peers]}
                row[setting + "_at_or_above_peers"] = all(
                    res[fip][attack][eps] >= res[p][attack][eps] for p in peers)
            row["clean_minus_single"] = r["clean_accuracy"][fip] - r["clean_accuracy"]["single"]
            row["clean_within_1_point"] = row["clean_minus_single"] >= -0.01
            if "deep_ensemble" in r["compute"]:
                mine, deep = r["compute"][fip], r["compute"]["deep_ensemble"]
                row["steps_over_deep"] = mine["steps"] / deep["steps"]
                row["examples_over_deep"] = (_count(mine, "total_examples")
                                             / _count(deep, "total_examples"))
                row["at_most_half_deep_examples"] = row["examples_over_deep"] <= 0.5
            row["holds"] = all(v for k, v in row.items()
                               if k.endswith(("_peers", "_point", "_examples")))
            rows.append(row)
        checks[fip] = {"attack": f"{attack} eps {eps}", "per_seed": rows,
                       "holds_on_every_seed": all(row["holds"] for row in rows)}
    return checks


def _stats(values):
    return {"mean": float(np.mean(values)), "min": float(np.min(values)),
            "max": float(np.max(values)), "values": [float(v) for v in values]}


def format_summary(summary):
    lines = []
    for setting, methods in summary["results"].items():
        columns = [(a, e) for a, row in methods["single"].items() if a != "clean" for e in row]
        lines.append(setting)
        header = f"{'':<18} {'clean':>6} " + " ".join(f"{a + ' ' + e:>9}" for a, e in columns)
        lines += [header, "-" * len(header)]
        for method, row in methods.items():
            lines.append(f"{method:<18} {row['clean']['mean']:>6.3f} "
                         + " ".join(f"{row[a][e]['mean']:>9.3f}" for a, e in columns))
        lines.append("")
    lines.append("full test split clean accuracy: " + ", ".join(
        f"{m} {s['mean']:.4f}" for m, s in summary["clean_accuracy"].items()))
    lines.append("training compute (mean): " + "; ".join(
        f"{m} {c['steps']:.0f} steps, {c['examples']:.0f} training examples + "
        f"{c['validation_examples'] + c['anchor_examples']:.0f} forward-only = "
        f"{c['total_examples']:.0f} examples, {c['seconds']:.0f}s"
        for m, c in summary["compute"].items()))
    for fip, check in summary["must_show"].items():
        lines.append(f"must show ({fip}, {check['attack']}): "
                     + ("holds on every seed" if check["holds_on_every_seed"] else "does not hold")
                     + "; " + "; ".join(
                         f"seed {row['seed']}: " + ", ".join(
                             k for k, v in row.items() if v is False and k != "holds")
                         for row in check["per_seed"]
                         if not row["holds"]))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
