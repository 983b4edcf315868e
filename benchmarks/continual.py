"""Continual-learning benchmark: FIP against the baselines, several seeds.

Each method and seed runs the experiment behind `keras-fip continual`
(`keras_fip.continual.experiment.run_continual_experiment`). Every method trains
the same MLP on the same class-incremental task stream with the same epochs,
batch size, optimizer and memory (samples per class), seeds given by --seeds. Prints a table (mean and spread over seeds) and writes JSON.

    python benchmarks/continual.py --dataset digits --out benchmarks/results/continual_digits.json
    python benchmarks/continual.py --dataset ../shared/data/mnist --out benchmarks/results/continual_mnist.json
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Measure this checkout, not whatever keras_fip happens to be installed.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402


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
    parser.add_argument("--out", default="benchmarks/results/continual.json")
    args = parser.parse_args()

    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    from keras_fip import report
    from keras_fip.continual import EWC, FIP
    from keras_fip.continual.experiment import run_continual_experiment
    from keras_fip.data import load_dataset

    hidden = [int(h) for h in args.hidden.split(",")]
    fip_weights = [float(w) for w in args.fip_weight.split(",")] if args.fip_weight else [None]
    chosen = {} if args.ewc_weight is None else {"ewc": lambda: EWC(ewc_weight=args.ewc_weight)}
    methods = []
    for name in args.methods.split(","):
        if name != "fip":
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
            method = name if args.tune else chosen.get(name, lambda: name)()
            start = time.perf_counter()
            # The experiment behind `keras-fip continual`, one method at a time.
            payload = run_continual_experiment(
                dataset=dataset, scenario=args.scenario, tasks=args.tasks, methods=[method],
                epochs=args.epochs, memory_per_class=args.memory_per_class,
                memory_batch_size=args.memory_batch_size, model="mlp",
                hidden=hidden, seed=seed, tune=args.tune, progress=False,
            )
            (result,) = payload["results"].values()
            row = {"seed": seed, "method": name, **result,
                   **({"tuning": payload["tuning"]} if args.tune else {})}
            runs.append(row)
            print(f"seed {seed} {name:<9} avg acc {row['average_accuracy']:.4f} "
                  f"BWT {row['backward_transfer']:+.4f} train {row['train_seconds']:.1f}s "
                  f"(wall {time.perf_counter() - start:.1f}s)", flush=True)

    summary = {}
    for name in methods:
        rows = [r for r in runs if r["method"] == name]
        acc = [r["average_accuracy"] for r in rows]
        summary[name] = {
            "average_accuracy_mean": float(np.mean(acc)),
            "average_accuracy_min": float(np.min(acc)),
            "average_accuracy_max": float(np.max(acc)),
            "backward_transfer_mean": float(np.mean([r["backward_transfer"] for r in rows])),
            "forgetting_mean": float(np.mean([r["forgetting"] for r in rows])),
            "train_seconds_mean": float(np.mean([r["train_seconds"] for r in rows])),
        }
    print(f"\n{dataset.split or dataset.description}; {args.tasks} tasks {args.scenario}-incremental, "
          f"{args.epochs} epochs/task, {args.memory_per_class} stored/class, seeds {seeds}")
    print(f"{'method':<9} {'avg acc (mean)':>14} {'min':>7} {'max':>7} {'BWT':>8} {'forget':>7} {'seconds':>8}")
    for name, s in summary.items():
        print(f"{name:<9} {s['average_accuracy_mean']:>14.4f} {s['average_accuracy_min']:>7.4f} "
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
