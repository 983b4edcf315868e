"""Continual-learning benchmark: FIP against the baselines, several seeds.

Each method and seed runs the experiment behind `keras-fip continual`
(`keras_fip.experiments.continual.run` on a `ContinualRunConfig`). Every method trains
the same MLP on the same class-incremental task stream with the same epochs,
batch size, optimizer and memory (samples per class), seeds given by --seeds. Prints a table (mean and spread over seeds) and writes JSON.

    python benchmarks/continual.py --dataset digits --out benchmarks/results/continual_digits.json
    python benchmarks/continual.py --dataset ../shared/data/mnist --out benchmarks/results/continual_mnist.json
    python benchmarks/continual.py --dataset ../shared/data/mnist --epochs 5 --tune \
        --methods fip --method-option fip:views=4 --out benchmarks/results/continual_mnist_fip_views4.json

Each row of the JSON names the method's family ("fip", "der", "replay",
"regularisation", "baseline") and what it protects (anchor: "path_start",
"stored", "weights", "none"); a FIP variant with a DER twin (same ingredients,
outputs stored with each sample) names it, and the table puts the two side by side.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import json  # noqa: E402

import numpy as np  # noqa: E402


def method_option(text):
    """`"NAME:KEY=VALUE"` -> `(NAME, KEY, VALUE)`; VALUE read as JSON when it is (4, 0.5, true)."""
    name, sep, rest = text.partition(":")
    key, eq, value = rest.partition("=")
    if not (sep and eq and name and key and value):
        raise argparse.ArgumentTypeError(f"expected NAME:KEY=VALUE, got {text!r}")
    try:
        value = json.loads(value)
    except ValueError:
        pass  # a string, such as a distance's name
    return name, key, value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--methods", default="fip,derpp,er_ace,der,replay,ewc,finetune,joint")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--scenario", default="class", choices=("class", "task", "domain", "rotated"))
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--memory-per-class", type=int, default=20)
    parser.add_argument("--memory-batch-size", type=int, default=64,
                        help="memory samples drawn at each step (default 64)")
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--fip-weight", default=None,
                        help="lambda of FIP (default: the method's); a comma-separated list "
                        "runs one FIP per value")
    parser.add_argument("--fip-distance", default="bhattacharyya")
    parser.add_argument("--ewc-weight", type=float, default=None,
                        help="lambda of EWC (default: the method's)")
    parser.add_argument("--tune", action="store_true",
                        help="choose each method's hyperparameters per seed on a validation "
                        "split of the training data (4 settings each) before the test run")
    parser.add_argument("--method-option", type=method_option, action="append", default=[],
                        metavar="NAME:KEY=VALUE",
                        help="a hyperparameter of method NAME kept fixed (and not tuned), e.g. "
                        "fip:views=4 (the paper's FIP protecting 4 shifted views); repeatable. "
                        "The method's row is labelled NAME[KEY=VALUE,...]")
    parser.add_argument("--out", default="benchmarks/results/continual.json")
    args = parser.parse_args()

    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    from keras_fip import report
    from keras_fip.continual import EWC, FIP
    from keras_fip.continual.methods import twin_order
    from keras_fip.experiments.continual import ContinualRunConfig, run
    from keras_fip.data import load_dataset

    hidden = [int(h) for h in args.hidden.split(",")]
    fip_weights = [float(w) for w in args.fip_weight.split(",")] if args.fip_weight else [None]
    chosen = {} if args.ewc_weight is None else {"ewc": lambda: EWC(ewc_weight=args.ewc_weight)}
    options = {}
    for name, key, value in args.method_option:
        options.setdefault(name, {})[key] = value
    labels = {name: name + "[" + ",".join(f"{k}={v}" for k, v in opts.items()) + "]"
              for name, opts in options.items()}
    methods = []
    for name in args.methods.split(","):
        if name != "fip" or "fip" in options:
            methods.append(name)
            continue
        for weight in fip_weights:
            label = "fip" if len(fip_weights) == 1 else f"fip_w{weight:g}"
            chosen[label] = lambda w=weight: FIP(**({} if w is None else {"fip_weight": w}),
                                                 distance=args.fip_distance)
            methods.append(label)
    seeds = [int(s) for s in args.seeds.split(",")]
    runs = []
    for seed in seeds:
        dataset = load_dataset(args.dataset, seed=seed)
        for name in methods:
            method = name if args.tune or name in options else chosen.get(name, lambda: name)()
            start = time.perf_counter()
            # The experiment behind `keras-fip continual`, one method at a time.
            payload = run(ContinualRunConfig(
                dataset=dataset, scenario=args.scenario, tasks=args.tasks, methods=[method],
                epochs=args.epochs, memory_per_class=args.memory_per_class,
                memory_batch_size=args.memory_batch_size, architecture="mlp",
                hidden=hidden, seed=seed, tune=args.tune,
                method_options={name: options[name]} if name in options else None,
            ), progress=False)
            (result,) = payload["results"].values()
            row = {"seed": seed, "method": labels.get(name, name), **result,
                   **({"tuning": payload["tuning"]} if args.tune else {})}
            runs.append(row)
            print(f"seed {seed} {row['method']:<9} avg acc {row['average_accuracy']:.4f} "
                  f"BWT {row['backward_transfer']:+.4f} train {row['train_seconds']:.1f}s "
                  f"(wall {time.perf_counter() - start:.1f}s)", flush=True)

    summary = {}
    for name in twin_order(methods):
        rows = [r for r in runs if r["method"] == labels.get(name, name)]
        acc = [r["average_accuracy"] for r in rows]
        summary[labels.get(name, name)] = {
            "family": rows[0]["family"], "anchor": rows[0]["anchor"],
            **({"twin": rows[0]["twin"]} if rows[0].get("twin") else {}),
            "average_accuracy_mean": float(np.mean(acc)),
            "average_accuracy_min": float(np.min(acc)),
            "average_accuracy_max": float(np.max(acc)),
            "backward_transfer_mean": float(np.mean([r["backward_transfer"] for r in rows])),
            "forgetting_mean": float(np.mean([r["forgetting"] for r in rows])),
            "train_seconds_mean": float(np.mean([r["train_seconds"] for r in rows])),
        }
    print(f"\n{dataset.split or dataset.description}; {args.tasks} tasks {args.scenario}-incremental, "
          f"{args.epochs} epochs/task, {args.memory_per_class} stored/class, seeds {seeds}")
    width = max([9, *map(len, summary)])
    print(f"{'method':<{width}} {'family/anchor':<15} {'avg acc (mean)':>14} {'min':>7} {'max':>7} "
          f"{'BWT':>8} {'forget':>7} {'seconds':>8}")
    for name, s in summary.items():
        print(f"{name:<{width}} {s['family'] + '/' + s['anchor']:<15} "
              f"{s['average_accuracy_mean']:>14.4f} {s['average_accuracy_min']:>7.4f} "
              f"{s['average_accuracy_max']:>7.4f} {s['backward_transfer_mean']:>+8.4f} "
              f"{s['forgetting_mean']:>7.4f} {s['train_seconds_mean']:>8.1f}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    report.write_json(args.out, {
        "command": "python " + " ".join(sys.argv),
        "dataset_split": dataset.split or dataset.description,
        "settings": vars(args), "summary": summary, "runs": runs,
        "versions": report.versions(),
    })
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
