"""Learning rates of the fast-ensemble peers, chosen on each seed's own validation split.

FGE and snapshot ensembles train with SGD under cyclical learning rates; the
rate that suits the reference CNN is not the papers' (their VGG / ResNet on
CIFAR). For every seed this trains the starting network on that seed's training
data less its validation split (`split_validation`, as `keras-fip robust` does,
so the held-out images are the ones the seed's run holds out), then searches
each peer's grid with `keras_fip.experiments.tuning.search`, the rule every tuner of
the project shares: the grid (the same three settings per method, on the 1-2-5
ladder) moves by two settings towards an edge when its best setting is on that
edge, at most `--max-moves` times, for every method alike. Scores are the
ensembles' accuracy on the validation split; a diverged run is never chosen.
The test split is not touched. The output lists every setting tried per seed,
the moves, and the choice per seed (`chosen`), which `benchmarks/robustness.py
--tuned FILE` reads.

    python benchmarks/robustness_tuning.py --dataset digits --seeds 0,1,2 --out benchmarks/results/robustness_tuning_digits.json
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: The `keras-fip robust` option each tuned method's choice sets.
OPTIONS = {"fge": "fge_lr_max", "snapshot": "snapshot_lr"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="digits")
    parser.add_argument("--seeds", default="0",
                        help="seeds to tune, each on its own validation split (default 0)")
    parser.add_argument("--seed", type=int, default=None, help="one seed (same as --seeds N)")
    parser.add_argument("--cnn-filters", default=None)
    parser.add_argument("--cnn-dense", default=None)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--validation-fraction", type=float, default=0.1)
    parser.add_argument("--path-budget", type=int, default=600,
                        help="steps of the FIP path budget that FGE matches (burn-in + "
                        "members x steps between)")
    parser.add_argument("--fge-grid", default="0.01,0.02,0.05")
    parser.add_argument("--snapshot-grid", default="0.01,0.02,0.05")
    parser.add_argument("--max-moves", type=int, default=2,
                        help="most moves of a grid whose best setting is on an edge")
    parser.add_argument("--out", default="benchmarks/results/robustness_tuning_digits.json")
    args = parser.parse_args()
    seeds = [args.seed] if args.seed is not None else [int(s) for s in args.seeds.split(",")]

    from keras_fip.report import write_json

    runs = {}
    for seed in seeds:
        runs[str(seed)] = tune_seed(args, seed)
        write_json(args.out, payload(args, seeds, runs))  # after every seed
    chosen = {seed: run["chosen"] for seed, run in runs.items()}
    print(f"chosen on each seed's validation split: {chosen}")


def payload(args, seeds, runs):
    first = runs[str(seeds[0])]
    return {
        "command": "python benchmarks/robustness_tuning.py " + " ".join(sys.argv[1:]),
        "dataset": first["dataset"], "seeds": seeds, "model": first["model"],
        "rule": "keras_fip.experiments.tuning.search: best on validation; a best on the edge of "
                f"the settings tried moves the grid by len-1 towards it, at most "
                f"{args.max_moves} times",
        "options": OPTIONS,
        "chosen": {seed: run["chosen"] for seed, run in runs.items()},
        "runs": runs,
        # The first seed's table, in the shape of files written before per-seed tuning.
        "seed": seeds[0], "validation_accuracy": first["validation_accuracy"],
    }


def tune_seed(args, seed):
    """Trains the start on this seed's training data less its validation split; searches."""
    from keras_fip import models
    from keras_fip.experiments import common as experiment_common
    from keras_fip.experiments.tuning import as_grid, search
    from keras_fip.robustness import accuracy, fge_ensemble, snapshot_ensemble, train_network
    from keras_fip.robustness.experiment import split_validation

    data, name = experiment_common.load_data(args.dataset, seed=seed)
    listed = lambda text: [int(v) for v in text.split(",")] if text else None  # noqa: E731
    options = experiment_common.model_options("reference_cnn", None, listed(args.cnn_filters),
                                              listed(args.cnn_dense))

    def build():
        return models.get("reference_cnn", input_shape=data.input_shape,
                          num_classes=data.num_classes, **options)

    x_fit, y_fit, x_val, y_val = split_validation(data.x_train, data.y_train,
                                                  args.validation_fraction, seed)
    start, cost = train_network(build, x_fit, y_fit, epochs=args.epochs,
                                batch_size=args.batch_size, seed=seed)
    start_val = accuracy(start, x_val, y_val)
    print(f"seed {seed} start: validation accuracy {start_val:.4f}", flush=True)

    def fge(setting):
        ensemble, _ = fge_ensemble(start, x_fit, y_fit, members=args.members,
                                   cycle_steps=max(2, args.path_budget // args.members),
                                   lr_max=setting["lr_max"], lr_min=setting["lr_max"] / 100,
                                   batch_size=args.batch_size, seed=seed)
        return ensemble

    def snapshot(setting):
        ensemble, _ = snapshot_ensemble(build, x_fit, y_fit, members=args.members,
                                        steps=cost["steps"] + args.path_budget,
                                        lr_max=setting["lr_max"], batch_size=args.batch_size,
                                        seed=1000 * seed + 500)
        return ensemble

    results, table = {}, {"start": start_val}
    for method, make, grid in (("fge", fge, args.fge_grid), ("snapshot", snapshot,
                                                              args.snapshot_grid)):
        def score(setting, method=method, make=make):
            began = time.perf_counter()
            try:
                value = accuracy(make(setting), x_val, y_val)
            except FloatingPointError:
                value = None  # diverged: never chosen
            print(f"seed {seed} {method} lr_max {setting['lr_max']:g}: {value} "
                  f"({time.perf_counter() - began:.0f}s)", flush=True)
            return value

        settings = [{"lr_max": float(v)} for v in grid.split(",")]
        found = search(as_grid(settings), score, max_moves=args.max_moves)
        results[method] = found.to_dict()
        table[method] = {f"{row['setting']['lr_max']:g}": row["score"] for row in found.table}
    chosen = {method: (f"{results[method]['best']['lr_max']:g}"
                       if results[method]["best"] else None) for method in results}
    print(f"seed {seed} chosen on validation: fge lr_max {chosen['fge']}, snapshot lr_max "
          f"{chosen['snapshot']}", flush=True)
    return {"dataset": name, "model": options, "validation_samples": len(x_val),
            "validation_accuracy": table, "search": results, "chosen": chosen}


if __name__ == "__main__":
    main()
