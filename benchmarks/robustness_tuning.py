"""Learning rates of the fast-ensemble peers, chosen on each seed's own validation split.

For every seed, `keras_fip.experiments.robust_tuning.tune` trains the starting
network on that seed's training data less its validation split (the images
`keras-fip robust` holds out for that seed), then searches each tunable peer's
grid (FGE's and the snapshot ensemble's learning rates, registered with the
peers) with `keras_fip.experiments.tuning.search`: the grid moves by two
settings towards an edge when its best setting is on that edge, at most
`--max-moves` times, for every method alike. Scores are the ensembles' accuracy
on the validation split; a diverged run is never chosen. The test split is not
touched. The output lists every setting tried per seed, the moves, and the
choice per seed (`chosen`), which `benchmarks/robustness.py --tuned FILE` reads.

    python benchmarks/robustness_tuning.py --dataset digits --seeds 0,1,2 --out benchmarks/results/robustness_tuning_digits.json
"""

import argparse
import dataclasses
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


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
                        "members x steps between; default 600, keras-fip robust's)")
    parser.add_argument("--fge-grid", default="0.01,0.02,0.05")
    parser.add_argument("--snapshot-grid", default="0.01,0.02,0.05")
    parser.add_argument("--max-moves", type=int, default=2,
                        help="most moves of a grid whose best setting is on an edge")
    parser.add_argument("--out", default="benchmarks/results/robustness_tuning_digits.json")
    args = parser.parse_args()
    seeds = [args.seed] if args.seed is not None else [int(s) for s in args.seeds.split(",")]

    from keras_fip.experiments.robust import RobustConfig
    from keras_fip.experiments.robust_tuning import axis_of, tune
    from keras_fip.report import write_json

    listed = lambda text: [int(v) for v in text.split(",")] if text else None  # noqa: E731
    base = RobustConfig(
        dataset=args.dataset, cnn_filters=listed(args.cnn_filters),
        cnn_dense=listed(args.cnn_dense), epochs=args.epochs, batch_size=args.batch_size,
        members=args.members, validation_fraction=args.validation_fraction,
        **path_settings(args.path_budget, args.members))
    grids = {"fge": args.fge_grid.split(","), "snapshot": args.snapshot_grid.split(",")}
    runs = {}
    for seed in seeds:
        runs[str(seed)] = tune(dataclasses.replace(base, seed=seed), grids=grids,
                               max_moves=args.max_moves)
        write_json(args.out, payload(args, seeds, runs, {m: axis_of(m) for m in grids}))
    chosen = {seed: run["chosen"] for seed, run in runs.items()}
    print(f"chosen on each seed's validation split: {chosen}")


def path_settings(budget, members, steps_between=40):
    """`burn_in` and `steps_between` whose path budget (`burn_in + members * steps_between`)
    is `budget`: keras-fip robust's steps between members where the budget allows."""
    if budget >= members * steps_between:
        return {"burn_in": budget - members * steps_between, "steps_between": steps_between}
    return {"burn_in": budget % members, "steps_between": budget // members}


def payload(args, seeds, runs, options):
    first = runs[str(seeds[0])]
    return {
        "command": "python benchmarks/robustness_tuning.py " + " ".join(sys.argv[1:]),
        "dataset": first["dataset"], "seeds": seeds, "model": first["model"],
        "rule": "keras_fip.experiments.tuning.search: best on validation; a best on the edge of "
                f"the settings tried moves the grid by len-1 towards it, at most "
                f"{args.max_moves} times",
        "options": options,
        "chosen": {seed: run["chosen"] for seed, run in runs.items()},
        "runs": runs,
        # The first seed's table, in the shape of files written before per-seed tuning.
        "seed": seeds[0], "validation_accuracy": first["validation_accuracy"],
    }


if __name__ == "__main__":
    main()
