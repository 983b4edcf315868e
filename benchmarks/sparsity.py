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
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from keras_fip import report  # noqa: E402
from keras_fip.data import load_dataset  # noqa: E402
from keras_fip.sparsity import export  # noqa: E402
from keras_fip.sparsity.experiment import run_sparsify_experiment, train_dense  # noqa: E402


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
            network = train_dense(kind, data, epochs=dense_epochs[kind], seed=seed,
                                  **options.get(kind, {}))
            exporting = seed == seeds[0] and "fip" in methods
            with tempfile.TemporaryDirectory() as tmp:
                # The experiment behind `keras-fip sparsify`, from this dense start.
                result = run_sparsify_experiment(
                    dataset=data, model=network, sparsity=sparsities, methods=methods,
                    steps=budgets[kind], seed=seed, progress=False,
                    export=os.path.join(tmp, "sparse") if exporting else None)
                dense = export.export_sparse(network, os.path.join(tmp, "dense")) if exporting else None
            dense_acc = result["dense_accuracy"]
            print(f"{kind} seed {seed}: dense accuracy {dense_acc:.4f}", flush=True)
            for r in result["results"]:
                row = {
                    "model": kind, "seed": seed, "sparsity": r["target_sparsity"],
                    "method": r["method"], "accuracy": r["accuracy"], "dense_accuracy": dense_acc,
                    "measured_sparsity": r["measured_sparsity"], "path_steps": r["path_steps"],
                    "finetune_steps": r["finetune_steps"], "budget": budgets[kind],
                    "seconds": r["seconds"],
                }
                rows.append(row)
                print(f"  s={row['sparsity']:.2f} {row['method']:8s} acc {row['accuracy']:.4f} "
                      f"(measured sparsity {row['measured_sparsity']:.4f}, "
                      f"{row['seconds']:.0f}s)", flush=True)
            for target, sparse in result["exports"].items():
                exports.append({
                    "model": kind, "sparsity": float(target),
                    "tflite_gzip_bytes": sparse["files"]["tflite"]["gzip_bytes"],
                    "dense_tflite_gzip_bytes": dense.files["tflite"]["gzip_bytes"],
                    "tflite_bytes": sparse["files"]["tflite"]["bytes"],
                    "agreement": sparse["agreement"],
                })
            write(args, rows, exports, methods)  # after every seed: nothing finished is lost
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
    """Writes everything measured so far."""
    summary = {}
    for row in rows:
        key = f"{row['model']} s={row['sparsity']}"
        summary.setdefault(key, {}).setdefault(row["method"], []).append(row["accuracy"])
    table = {k: {m: {"mean": float(np.mean(v)), "min": float(np.min(v)), "runs": v}
                 for m, v in methods_.items()} for k, methods_ in summary.items()}
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    report.write_json(args.out, {
        **report.header("python " + " ".join(sys.argv)), "config": vars(args),
        "split": "MNIST t10k split 8000/2000 stratified by seed",
        "table": table, "rows": rows, "exports": exports})
    return table


if __name__ == "__main__":
    main()
