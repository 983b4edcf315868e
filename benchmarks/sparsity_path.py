"""Accuracy along the path: fip_ramp beside gmp_kd and gmp, point by point.

For each seed: MNIST t10k split 8,000/2,000 by seed, 10% of each class of the
training split held out (the split `keras-fip sparsify` holds out), LeNet-300-100
trained 20 epochs on the rest; then, on the same budget (1,000 steps at batch
200) and the same cubic schedule to the target:
- fip_ramp (`sparsify_ramp`, its default settings, no labels),
- gmp_kd (gradual magnitude pruning + distillation to the dense outputs, no labels),
- gmp (gradual magnitude pruning on labels),
each recording the held-out validation accuracy and the output distance to the
dense network every steps / 20 (`PathPoints`; fip_ramp's own records). Writes the
records to JSON and draws them side by side (one panel per method, one line
per seed). Default settings of every method, as the command line runs them.

    python benchmarks/sparsity_path.py --out benchmarks/results/sparsity_path_mnist_098.json \
        --plot benchmarks/results/sparsity_path_mnist_098.png
    python benchmarks/sparsity_path.py --plot-only --out ... --plot ...   # redraw from the JSON
"""

import argparse
import dataclasses
import json
import sys


from keras_fip import report

METHODS = ("fip_ramp", "gmp_kd", "gmp")
TITLES = {"fip_ramp": "fip_ramp (no labels)", "gmp_kd": "gmp_kd (no labels)",
          "gmp": "gmp (labels)"}


def run(args):
    from keras_fip.data import load_dataset
    from keras_fip.engine.networks import accuracy
    from keras_fip.sparsity import gradual_magnitude, gradual_magnitude_kd, sparsify_ramp
    from keras_fip.sparsity.callbacks import PathPoints
    from keras_fip.experiments.sparsify import split_validation, train_dense
    from keras_fip.sparsity.ramp import KEPT_POINTS
    from keras_fip.sparsity.schedules import PolynomialSparsity

    rows = []
    for seed in args.seeds:
        data = load_dataset(args.dataset, seed=seed)
        (x, y), val = split_validation(data.x_train, data.y_train, 0.1, seed=seed)
        dense = train_dense("lenet_300_100", dataclasses.replace(data, x_train=x, y_train=y),
                            epochs=20, seed=seed)
        dense_val = accuracy(dense, *val)
        outputs = dense.predict(val[0], batch_size=1000, verbose=0)
        common = dict(sparsity=args.sparsity, steps=args.steps, scope="kernels_and_biases",
                      seed=seed)
        for method in METHODS:
            if method == "fip_ramp":
                result = sparsify_ramp(dense, x, validation_data=val, **common)
                points = result.path
            else:
                recorder = PathPoints(
                    max(1, args.steps // 20), val[0], outputs, val, schedule=PolynomialSparsity(
                        args.sparsity, max(1, int(args.steps * 0.75)), power=3.0))
                if method == "gmp":
                    result = gradual_magnitude(dense, x, y, callbacks=[recorder], **common)
                else:
                    result = gradual_magnitude_kd(dense, x, callbacks=[recorder], **common)
                points = recorder.records
            lowest = min(p["val_accuracy"] for p in points)
            row = {"seed": seed, "method": method, "dense_validation": dense_val,
                   "dense_test": accuracy(dense, data.x_test, data.y_test),
                   "test_accuracy": accuracy(result.network, data.x_test, data.y_test),
                   "measured_sparsity": result.sparsity, "lowest_validation": lowest,
                   "kept": bool(lowest >= dense_val - KEPT_POINTS),
                   "points": [{k: p[k] for k in ("step", "sparsity", "val_accuracy",
                                                   "val_distance") if k in p}
                              for p in points]}
            rows.append(row)
            print(f"seed {seed} {method:9s} test {row['test_accuracy']:.4f} lowest validation "
                  f"{lowest:.4f} (dense {dense_val:.4f}) kept {row['kept']}", flush=True)
            report.write_json(args.out, payload(args, rows))


def payload(args, rows):
    return {**report.header("python " + " ".join(sys.argv)),
            "config": {"dataset": args.dataset, "model": "lenet_300_100",
                       "sparsity": args.sparsity, "steps": args.steps, "batch_size": 200,
                       "seeds": args.seeds, "methods": list(METHODS),
                       "validation": "10% of each class of the seed's training split held out; "
                                     "every method trained on the rest",
                       "kept": "validation accuracy within 0.02 of the dense network's at every "
                               "recorded point"},
            "plot_command": ("python benchmarks/sparsity_path.py --plot-only --out "
                             f"{args.out} --plot {args.plot}"),
            "rows": rows}


def plot(args):
    from keras_fip.plotting import pyplot, save_figure

    with open(args.out) as f:
        rows = json.load(f)["rows"]
    plt = pyplot()
    fig, axes = plt.subplots(1, len(METHODS), figsize=(4 * len(METHODS), 3.4), sharey=True)
    colours = ("tab:blue", "tab:orange", "tab:green")
    for ax, method in zip(axes, METHODS):
        twin = ax.twinx()
        for i, row in enumerate(r for r in rows if r["method"] == method):
            steps = [p["step"] for p in row["points"]]
            ax.plot(steps, [p["val_accuracy"] for p in row["points"]], color=colours[i % 3],
                    marker=".", label=f"seed {row['seed']} (test {row['test_accuracy']:.3f})")
            ax.axhline(row["dense_validation"], color=colours[i % 3], linestyle="--",
                       linewidth=0.8)
            twin.plot(steps, [p["sparsity"] for p in row["points"]], color="gray",
                      linestyle=":", linewidth=1)
        twin.set_ylim(0, 1.0)
        twin.set_ylabel("zero weights (dotted)" if method == METHODS[-1] else "")
        if method != METHODS[-1]:
            twin.set_yticklabels([])
        ax.set_title(TITLES[method])
        ax.set_xlabel("step")
        ax.legend(fontsize=7, loc="lower left")
    axes[0].set_ylabel("validation accuracy (dense dashed)")
    axes[0].set_ylim(0.90, 0.985)
    fig.suptitle(f"LeNet-300-100 on MNIST to {100 * rows[0]['measured_sparsity']:.0f}% zeros: "
                 "accuracy along the path", fontsize=10)
    fig.tight_layout()
    save_figure(fig, args.plot)
    plt.close(fig)
    print(f"wrote {args.plot}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="../shared/data/mnist")
    parser.add_argument("--sparsity", type=float, default=0.98)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="benchmarks/results/sparsity_path_mnist_098.json")
    parser.add_argument("--plot", default="benchmarks/results/sparsity_path_mnist_098.png")
    parser.add_argument("--plot-only", action="store_true", help="redraw from --out")
    args = parser.parse_args()
    args.seeds = [int(s) for s in args.seeds.split(",")]
    if not args.plot_only:
        run(args)
    plot(args)


if __name__ == "__main__":
    main()
