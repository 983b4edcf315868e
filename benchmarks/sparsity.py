"""FIP sparsification against tfmot's PolynomialDecay and one-shot pruning + fine-tune.

Same dense start, data and step budget for every method (batch 200):
- fip: half the budget along the path (PathStep, lambda 0.1, step length
  "auto"), snap to zeros, the other half fine-tuning with the mask held;
- tfmot: prune_low_magnitude + PolynomialDecay(0 -> s over 75% of the budget), all
  of it training on labels;
- oneshot: global magnitude pruning at once, the whole budget fine-tuning.
Then the FIP model of the first seed is exported through tfmot and its gzip
TFLite size compared with the dense model's.

    python benchmarks/sparsity.py --out benchmarks/results/sparsity_mnist.json
"""

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import keras  # noqa: E402

from keras_fip import models  # noqa: E402
from keras_fip.data import load_dataset  # noqa: E402
from keras_fip.sparsity import baselines, export, fip  # noqa: E402


def accuracy(model, x, y):
    return float(np.mean(np.argmax(model.predict(x, batch_size=1000, verbose=0), -1) == y))


def dense_start(kind, data, seed, epochs, options):
    keras.utils.set_random_seed(seed)
    network = models.get(kind, input_shape=data.x_train.shape[1:], num_classes=10,
                         **options.get(kind, {}))
    network.compile(keras.optimizers.Adam(1e-3),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(data.x_train, data.y_train, epochs=epochs, batch_size=128, verbose=0)
    return network


def run_method(method, network, data, sparsity, budget, seed):
    x, y = data.x_train, data.y_train
    if method == "fip":
        path = budget // 2
        return fip.sparsify(network, x, y, sparsity=sparsity, steps=path, learning_rate="auto",
                            weight=0.1, finetune_steps=budget - path, seed=seed, verbose=0)
    if method == "tfmot":
        return baselines.tfmot_polynomial(network, x, y, sparsity=sparsity, steps=budget, seed=seed)
    return baselines.one_shot(network, x, y, sparsity=sparsity, steps=budget, seed=seed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="../shared/data/mnist")
    parser.add_argument("--models", default="lenet_300_100,reference_cnn")
    parser.add_argument("--sparsities", default="0.9,0.95,0.98,0.99")
    parser.add_argument("--methods", default="fip,tfmot,oneshot")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--budget", default="lenet_300_100=1500,reference_cnn=300",
                        help="steps per method at batch 200, per model")
    parser.add_argument("--dense-epochs", default="lenet_300_100=20,reference_cnn=20",
                        help="epochs of dense training before pruning, per model")
    parser.add_argument("--out", default="benchmarks/results/sparsity_mnist.json")
    parser.add_argument("--cnn-filters", default=None,
                        help="conv filters of reference_cnn, e.g. 16,32 (default: the notebook's 32,64)")
    parser.add_argument("--cnn-dense", default=None,
                        help="hidden Dense widths of reference_cnn, e.g. 128 (default 600,120)")
    args = parser.parse_args()
    cnn = {}
    if args.cnn_filters:
        cnn["filters"] = tuple(int(v) for v in args.cnn_filters.split(","))
    if args.cnn_dense:
        cnn["dense"] = tuple(int(v) for v in args.cnn_dense.split(","))
    options = {"reference_cnn": cnn}
    budgets = dict((k, int(v)) for k, v in (p.split("=") for p in args.budget.split(",")))
    dense_epochs = dict((k, int(v)) for k, v in (p.split("=") for p in args.dense_epochs.split(",")))
    sparsities = [float(s) for s in args.sparsities.split(",")]
    methods = args.methods.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    rows, exports = [], []
    for kind in args.models.split(","):
        for seed in seeds:
            data = load_dataset(args.dataset, seed=seed)
            network = dense_start(kind, data, seed, dense_epochs[kind], options)
            dense_acc = accuracy(network, data.x_test, data.y_test)
            print(f"{kind} seed {seed}: dense accuracy {dense_acc:.4f}", flush=True)
            for sparsity in sparsities:
                for method in methods:
                    result = run_method(method, network, data, sparsity, budgets[kind], seed)
                    row = {
                        "model": kind, "seed": seed, "sparsity": sparsity, "method": method,
                        "accuracy": accuracy(result.model, data.x_test, data.y_test),
                        "dense_accuracy": dense_acc, "measured_sparsity": result.sparsity,
                        "path_steps": result.path_steps, "finetune_steps": result.finetune_steps,
                        "budget": budgets[kind], "seconds": result.seconds,
                    }
                    rows.append(row)
                    print(f"  s={sparsity:.2f} {method:8s} acc {row['accuracy']:.4f} "
                          f"(measured sparsity {row['measured_sparsity']:.4f}, "
                          f"{row['seconds']:.0f}s)", flush=True)
                    if method == "fip" and seed == seeds[0]:
                        with tempfile.TemporaryDirectory() as tmp:
                            sparse = export.export_sparse(result.model, os.path.join(tmp, "s"),
                                                          check_inputs=data.x_test)
                            dense = export.export_sparse(network, os.path.join(tmp, "d"))
                            exports.append({
                                "model": kind, "sparsity": sparsity,
                                "tflite_gzip_bytes": sparse.files["tflite"]["gzip_bytes"],
                                "dense_tflite_gzip_bytes": dense.files["tflite"]["gzip_bytes"],
                                "tflite_bytes": sparse.files["tflite"]["bytes"],
                                "agreement": sparse.agreement,
                            })
                    write(args, rows, exports, methods)
    table = write(args, rows, exports, methods)
    print("\n| model | sparsity | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    for key, values in table.items():
        kind, s = key.split(" s=")
        print(f"| {kind} | {s} | " + " | ".join(f"{values[m]['mean']:.4f}" for m in methods) + " |")
    for e in exports:
        print(f"{e['model']} s={e['sparsity']}: gzip TFLite {e['tflite_gzip_bytes']} B vs dense "
              f"{e['dense_tflite_gzip_bytes']} B ({e['dense_tflite_gzip_bytes'] / e['tflite_gzip_bytes']:.1f}x)")
    print(f"wrote {args.out}")


def write(args, rows, exports, methods):
    """Writes everything measured so far (after every run: nothing is lost)."""
    summary = {}
    for row in rows:
        key = f"{row['model']} s={row['sparsity']}"
        summary.setdefault(key, {}).setdefault(row["method"], []).append(row["accuracy"])
    table = {k: {m: {"mean": float(np.mean(v)), "min": float(np.min(v)), "runs": v}
                 for m, v in methods_.items()} for k, methods_ in summary.items()}
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"command": "python " + " ".join(sys.argv), "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                   "config": vars(args), "split": "MNIST t10k split 8000/2000 stratified by seed",
                   "table": table, "rows": rows, "exports": exports}, f, indent=1)
    return table


if __name__ == "__main__":
    main()
