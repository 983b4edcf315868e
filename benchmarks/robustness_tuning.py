"""Learning rates of the fast-ensemble peers, chosen on a validation split of the training data.

FGE and snapshot ensembles train with SGD under cyclical learning rates; the
rate that suits the reference CNN is not the papers' (their VGG / ResNet on
CIFAR). For one seed this trains the starting network on the training data less
the validation split (`split_validation`, as `keras-fip robust` does), then
builds each peer for every rate of a small grid (the same budget of three
settings per method) and reports the ensembles' accuracy on the validation
split. The test split is not touched.

    python benchmarks/robustness_tuning.py --dataset digits --out benchmarks/results/robustness_tuning_digits.json
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cnn-filters", default=None)
    parser.add_argument("--cnn-dense", default=None)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--path-budget", type=int, default=600,
                        help="steps of the FIP path budget that FGE matches (burn-in + "
                        "members x steps between)")
    parser.add_argument("--fge-grid", default="0.01,0.02,0.05")
    parser.add_argument("--snapshot-grid", default="0.01,0.02,0.05")
    parser.add_argument("--out", default="benchmarks/results/robustness_tuning_digits.json")
    args = parser.parse_args()

    from keras_fip import experiment_common, models
    from keras_fip.report import write_json
    from keras_fip.robustness import accuracy, fge_ensemble, snapshot_ensemble, train_network
    from keras_fip.robustness.experiment import split_validation

    data, name = experiment_common.load_data(args.dataset, seed=args.seed)
    listed = lambda text: [int(v) for v in text.split(",")] if text else None  # noqa: E731
    options = experiment_common.model_options("reference_cnn", None, listed(args.cnn_filters),
                                              listed(args.cnn_dense))

    def build():
        return models.get("reference_cnn", input_shape=data.input_shape,
                          num_classes=data.num_classes, **options)

    x_fit, y_fit, x_val, y_val = split_validation(data.x_train, data.y_train, 0.1, args.seed)
    start, cost = train_network(build, x_fit, y_fit, epochs=args.epochs,
                                batch_size=args.batch_size, seed=args.seed)
    rows = {"start": accuracy(start, x_val, y_val), "fge": {}, "snapshot": {}}
    print(f"start: validation accuracy {rows['start']:.4f}", flush=True)
    for rate in [float(v) for v in args.fge_grid.split(",")]:
        began = time.perf_counter()
        try:
            ensemble, _ = fge_ensemble(start, x_fit, y_fit, members=args.members,
                                       cycle_steps=max(2, args.path_budget // args.members),
                                       lr_max=rate, lr_min=rate / 100,
                                       batch_size=args.batch_size, seed=args.seed)
            rows["fge"][f"{rate:g}"] = accuracy(ensemble, x_val, y_val)
        except FloatingPointError:
            rows["fge"][f"{rate:g}"] = None  # diverged
        print(f"fge lr_max {rate:g}: {rows['fge'][f'{rate:g}']} "
              f"({time.perf_counter() - began:.0f}s)", flush=True)
    for rate in [float(v) for v in args.snapshot_grid.split(",")]:
        began = time.perf_counter()
        try:
            ensemble, _ = snapshot_ensemble(build, x_fit, y_fit, members=args.members,
                                            steps=cost["steps"] + args.path_budget, lr_max=rate,
                                            batch_size=args.batch_size,
                                            seed=1000 * args.seed + 500)
            rows["snapshot"][f"{rate:g}"] = accuracy(ensemble, x_val, y_val)
        except FloatingPointError:
            rows["snapshot"][f"{rate:g}"] = None
        print(f"snapshot lr_max {rate:g}: {rows['snapshot'][f'{rate:g}']} "
              f"({time.perf_counter() - began:.0f}s)", flush=True)
    best = {m: max((k for k, v in rows[m].items() if v is not None), key=lambda k: rows[m][k])
            for m in ("fge", "snapshot")}
    print(f"chosen on validation: fge lr_max {best['fge']}, snapshot lr_max {best['snapshot']}")
    write_json(args.out, {"command": "python benchmarks/robustness_tuning.py " + " ".join(sys.argv[1:]),
                          "dataset": name, "seed": args.seed, "model": options,
                          "validation_accuracy": rows, "chosen": best})


if __name__ == "__main__":
    main()
