"""Continual learning, then pruning: what each pruning method keeps of every task.

Per seed: the continual method (default `fip_views_labels`, tuned on a validation
split of each task's training data, as `benchmarks/continual.py --tune` does)
learns the 5-task class-incremental stream; then the same trained network is
pruned to `--sparsity` by each pruning method on the continual memory, the only
data a continual learner keeps of its earlier tasks, with the same step budget.
The FIP route (`fip_ramp`) reads no label; the peers train on the memory's labels
(`gmp`, `oneshot`) or on labels plus distillation to the network before pruning
(`gmp_kd`, `oneshot_kd`), and the distillation peers run once more without
labels (`gmp_kd:label_free`), the label-free peers of the FIP route. Every pruning method runs with its defaults (none is
tuned). Prints a table (mean, lowest seed) and writes JSON.

    python benchmarks/then_sparsify.py --dataset ../shared/data/mnist \
        --out benchmarks/results/then_sparsify_mnist_090.json
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

#: A method name, or NAME:label_free to run a peer without the memory's labels.
PRUNING = "fip_ramp,gmp,gmp_kd,oneshot,oneshot_kd,gmp_kd:label_free,oneshot_kd:label_free"


def run_seed(args, seed):
    import keras

    from keras_fip import models
    from keras_fip.experiments import common as experiment_common
    from keras_fip.experiments.compose import sparsify_after_tasks
    from keras_fip.continual import ContinualConfig, make_stream, run_method
    from keras_fip.continual.tuning import tune

    data, _ = experiment_common.load_data(args.dataset, seed=seed)
    stream = make_stream(data, "class", args.tasks, seed=seed)
    config = ContinualConfig(epochs=args.epochs, memory_per_class=args.memory_per_class,
                             seed=seed)
    hidden = [int(h) for h in args.hidden.split(",")]

    def build():
        return models.get("mlp", input_shape=stream.input_shape,
                          num_classes=stream.num_classes, hidden=hidden)

    picked, tuning = tune(stream, [args.continual], build, config)
    result, model = run_method(stream, picked[args.continual], build, config, progress=False)
    rows = {}
    for method in args.pruning.split(","):
        name, _, flag = method.partition(":")
        keras.utils.set_random_seed(seed)
        pruned = sparsify_after_tasks(model, stream, sparsity=args.sparsity, method=name,
                                      steps=args.steps, batch_size=args.batch_size, seed=seed,
                                      label_free=True if flag == "label_free" else None,
                                      **({"step_length": args.fip_step_length}
                                         if name == "fip_ramp" and args.fip_step_length
                                         else {}))
        rows[method] = pruned.to_dict()
        print(f"  seed {seed} {method:<11} before {rows[method]['average_before']:.4f} "
              f"after {rows[method]['average_after']:.4f}", flush=True)
    return {"seed": seed, "dataset_split": data.split or data.description,
            "continual": {"method": args.continual, "accuracy_matrix": result.accuracy_matrix,
                          "hyperparameters": result.hyperparameters,
                          "tuning": tuning[args.continual]},
            "pruning": rows}


def summarise(runs, methods):
    summary = {}
    for method in methods:
        after = [r["pruning"][method]["average_after"] for r in runs]
        before = [r["pruning"][method]["average_before"] for r in runs]
        drop = [a - b for a, b in zip(after, before)]
        summary[method] = {
            "labels_used": runs[0]["pruning"][method]["labels_used"],
            "average_after": float(np.mean(after)), "lowest_after": float(np.min(after)),
            "average_before": float(np.mean(before)), "change": float(np.mean(drop)),
            "largest_drop": float(np.min(drop)),
            "within_2_points": all(d >= -0.02 for d in drop),
        }
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--tasks", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--memory-per-class", type=int, default=50)
    parser.add_argument("--hidden", default="256,256")
    parser.add_argument("--continual", default="fip_views_labels")
    parser.add_argument("--pruning", default=PRUNING)
    parser.add_argument("--sparsity", type=float, default=0.9)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--fip-step-length", type=float, default=None,
                        help="fip_ramp's step length (default: run_method's)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    start = time.time()
    runs = [run_seed(args, int(s)) for s in args.seeds.split(",")]
    methods = args.pruning.split(",")
    summary = summarise(runs, methods)
    print(f"\n{'pruning':<12}{'labels':>7}{'before':>9}{'after':>9}{'lowest':>9}{'change':>9}")
    for method, row in summary.items():
        print(f"{method:<12}{'yes' if row['labels_used'] else 'no':>7}{row['average_before']:>9.4f}"
              f"{row['average_after']:>9.4f}{row['lowest_after']:>9.4f}{row['change']:>+9.4f}")
    from keras_fip.report import versions

    payload = {"command": "python " + " ".join(sys.argv), "settings": vars(args),
               "summary": summary, "runs": runs, "seconds": time.time() - start,
               "versions": versions()}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(payload, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
