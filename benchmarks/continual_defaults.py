"""The continual methods' default settings, chosen on validation data only.

Two parts, both reading nothing but validation accuracy (a stratified 10% of each
task's training data held out; the test split is never used):

1. hyperparameters: from tuned runs of `benchmarks/continual.py --tune`, each
   setting's validation accuracy averaged over every run given (datasets, memory
   sizes, seeds); the best setting of each method is its default.
2. epochs per task (`--epochs-grid`): the stream is learned with each method's
   default settings at each number of epochs, on the validation split; the
   shared default is the one with the best accuracy averaged over the methods.

    python benchmarks/continual_defaults.py --out benchmarks/results/continual_defaults.json \
        --epochs-grid 5,10,20,40 --dataset digits \
        benchmarks/results/continual_digits_tuned.json benchmarks/results/continual_mnist_tuned.json
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def best_settings(paths):
    """`{method: {"chosen": setting, "settings": [(setting, mean accuracy, runs)]}}`."""
    scores = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        for run in data["runs"]:
            for name, table in run.get("tuning", {}).items():
                if len(table["tried"]) < 2:
                    continue  # nothing to choose
                for tried in table["tried"]:
                    key = json.dumps(tried["setting"], sort_keys=True)
                    scores.setdefault(name, {}).setdefault(key, []).append(
                        tried["validation_accuracy"])
    out = {}
    for name, by_setting in scores.items():
        rows = [(json.loads(k), float(np.mean(v)), len(v)) for k, v in by_setting.items()]
        out[name] = {"chosen": max(rows, key=lambda r: r[1])[0], "settings": rows}
    return out


def epochs_on_validation(dataset_name, methods, epochs_grid, seeds, memory_per_class):
    """Average validation accuracy of each method (its defaults) at each epochs value."""
    from keras_fip.continual import ContinualConfig, make_stream, run_method
    from keras_fip.continual import methods as methods_lib
    from keras_fip.continual.streams import validation_stream
    from keras_fip.data import load_dataset
    from keras_fip.models import mlp

    table = {}
    for seed in seeds:
        stream = make_stream(load_dataset(dataset_name, seed=seed), "class", 5, seed=seed)
        validation = validation_stream(stream, 0.1, seed=seed)
        build = lambda: mlp(stream.input_shape, stream.num_classes, (256, 256))  # noqa: E731
        for epochs in epochs_grid:
            config = ContinualConfig(epochs=epochs, memory_per_class=memory_per_class, seed=seed)
            for name in methods:
                start = time.perf_counter()
                result, _ = run_method(validation, methods_lib.get(name), build, config,
                                       progress=False)
                accuracy = result.summary["average_accuracy"]
                table.setdefault(str(epochs), {}).setdefault(name, []).append(accuracy)
                print(f"seed {seed} epochs {epochs:>3} {name:<11} validation {accuracy:.4f} "
                      f"({time.perf_counter() - start:.0f}s)", flush=True)
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="*", help="JSON files of benchmarks/continual.py --tune")
    parser.add_argument("--epochs-grid", default=None, help="e.g. 5,10,20,40")
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--methods", default="fip,der_views,derpp,er_ace,replay")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--memory-per-class", type=int, default=20)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    from keras_fip import report

    payload = {"command": "python " + " ".join(sys.argv)}
    if args.runs:
        settings = best_settings(args.runs)
        payload["hyperparameters"] = settings
        print("method       default (best mean validation accuracy over the runs given)")
        for name, s in settings.items():
            ranked = sorted(s["settings"], key=lambda r: -r[1])
            print(f"{name:<12} {s['chosen']}  " + "  ".join(
                f"{json.dumps(r[0])}: {r[1]:.4f} (n={r[2]})" for r in ranked))
    if args.epochs_grid:
        grid = [int(e) for e in args.epochs_grid.split(",")]
        methods = args.methods.split(",")
        table = epochs_on_validation(args.dataset, methods, grid,
                                     [int(s) for s in args.seeds.split(",")],
                                     args.memory_per_class)
        means = {e: float(np.mean([np.mean(v) for v in per.values()])) for e, per in table.items()}
        payload["epochs"] = {"dataset": args.dataset, "methods": methods, "table": table,
                             "mean_over_methods": means,
                             "chosen": int(max(means, key=means.get))}
        print(f"\nepochs per task ({args.dataset}, validation, mean over seeds)")
        print("epochs " + " ".join(f"{m:>11}" for m in methods) + "  mean")
        for e, per in table.items():
            print(f"{e:>6} " + " ".join(f"{np.mean(per[m]):>11.4f}" for m in methods)
                  + f"  {means[e]:.4f}")
        print(f"chosen: {payload['epochs']['chosen']}")
    payload["versions"] = report.versions()
    report.write_json(args.out, payload)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
