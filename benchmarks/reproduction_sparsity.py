"""The reference sparsification path as it ships, and each of our departures alone on top of it.

LeNet-300-100 on MNIST t10k (split 8,000 train / 2,000 test by seed; 10% of each
class of the training split held out as the validation split, on which what a
path kept is measured; the dense network and every method train on the rest).
Every run has the same budget of steps at batch 200 from the same dense network:

- `reference`: `run_method("fip_reference")`, the notebook's path unchanged
  (constant steps of 0.01, lambda 0.1 against the distance summed over the
  batch, the magnitude cut over every parameter at every step, the reference's
  eps, its stopping check, no fine-tuning), the whole budget, then the cut;
- one row per departure, that departure alone on top of the reference (see
  `DEPARTURES`);
- `fip` and `fip_pull`: all of the project's departures together (without and
  with the pull growth), as `keras-fip sparsify` runs them;
- the peers at the same budget: `oneshot` (global magnitude cut, then
  fine-tuning) and `gmp` (gradual global magnitude pruning, cubic schedule).

Nothing is tuned: the reference runs as it ships and each departure with the
value the project uses; the peers and the fine-tuning use Adam at 1e-3.

    python benchmarks/reproduction_sparsity.py --out benchmarks/results/reproduction_sparsity.json

A killed run started again with the same command keeps the runs already in
`--out` and does the rest.
"""

import argparse
import dataclasses
import json
import os
import sys

import numpy as np

#: Each departure of the project's FIP from the reference, as `sparsify` settings
#: applied alone on top of `REFERENCE_PATH` (name -> (what it changes, settings)).
DEPARTURES = {
    "step_auto": ("step length 4 x starting gap / steps instead of 0.01",
                  {"step_length": "auto"}),
    "decay": ("step length decayed along a cosine to 1% by the last step",
              {"decay": True}),
    "pull_growth": ("pull multiplied by 1.5 per step while off track to arrive",
                    {"pull_growth": 1.5}),
    "threshold_50": ("magnitude threshold recomputed every 50 steps instead of every step",
                     {"threshold_every": 50}),
    "exact_distance": ("exact Bhattacharyya distance (0 at the start) instead of the eps inside "
                       "the root", {"distance": "bhattacharyya"}),
    "stopping": ("gap checked against the tolerance every 10 steps instead of every 50",
                 {"check_every": 10}),
    "snap_kernels_and_biases": ("cut over kernels and biases instead of every parameter "
                                "(the same parameters in LeNet-300-100)",
                                {"scope": "kernels_and_biases"}),
    "finetune": ("path for half the budget, then the cut and fine-tuning on labels "
                 "(Adam 1e-3, mask held) for the other half", {"finetune": 0.5}),
}
PEERS = ("fip", "fip_pull", "oneshot", "gmp")
#: The departures in the order they run (the most telling first).
ORDER = ("finetune", "pull_growth", "step_auto", "threshold_50", "exact_distance", "decay",
         "stopping", "snap_kernels_and_biases")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="../shared/data/mnist")
    parser.add_argument("--model", default="lenet_300_100")
    parser.add_argument("--dense-epochs", type=int, default=20)
    parser.add_argument("--sparsity", type=float, default=0.98)
    parser.add_argument("--steps", type=int, default=4000, help="budget of every run, batch 200")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--runs", default=",".join(["reference", *PEERS, *ORDER]),
                        help="which rows to run")
    parser.add_argument("--out", default="benchmarks/results/reproduction_sparsity.json")
    args = parser.parse_args()

    from keras_fip.data import load_dataset
    from keras_fip.engine.networks import accuracy
    from keras_fip.experiments.sparsify import split_validation, train_dense
    from keras_fip.sparsity.prunable import measured_sparsity

    runs = [r for r in args.runs.split(",") if r]
    unknown = [r for r in runs if r not in ("reference", *DEPARTURES, *PEERS)]
    if unknown:
        raise SystemExit(f"unknown --runs {unknown}")
    rows = _earlier_rows(args)
    command = "python " + " ".join(sys.argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    starts = {}  # per seed: the data, the validation split and the dense network
    # Row by row over the seeds, so that an interrupted run has its first rows on every seed.
    for run in runs:
        for seed in seeds:
            if any(x["seed"] == seed and x["run"] == run for x in rows):
                continue
            if seed not in starts:
                data = load_dataset(args.dataset, seed=seed)
                (x, y), validation = split_validation(data.x_train, data.y_train, 0.1, seed=seed)
                fit = dataclasses.replace(data, x_train=x, y_train=y)
                network = train_dense(args.model, fit, epochs=args.dense_epochs, seed=seed)
                starts[seed] = (data, x, y, validation, network,
                                accuracy(network, data.x_test, data.y_test))
            data, x, y, validation, network, dense = starts[seed]
            result = _run(run, network, x, y, validation, args, seed)
            row = {"seed": seed, "run": run, "dense_accuracy": dense,
                   "accuracy": accuracy(result.network, data.x_test, data.y_test),
                   "measured_sparsity": measured_sparsity(result.network, "all")[0],
                   "path_steps": result.path_steps, "finetune_steps": result.finetune_steps,
                   "seconds": result.seconds}
            if run not in ("oneshot", "gmp"):
                row.update(result.arrival())
            rows.append(row)
            print(f"seed {seed} {run:24s} test {row['accuracy']:.4f} (dense {dense:.4f})"
                  + (f" kept {row['kept']} arrival {row['accuracy_at_arrival']:.4f} "
                     f"snap {row['accuracy_at_snap']:.4f} gap {row['gap']:.3f} "
                     f"max pull {row['max_pull']:.3g}" if "kept" in row else "")
                  + f" {row['seconds']:.0f}s", flush=True)
            _write(args, command, rows)
    _write(args, command, rows)
    print(f"wrote {args.out}")


def _run(run, network, x, y, validation, args, seed):
    from keras_fip.sparsity import finetune, prune, sparsify
    from keras_fip.sparsity.fip_methods import REFERENCE_PATH, reference_distance

    if run in PEERS:
        return prune(run, network, x, y, sparsity=args.sparsity, steps=args.steps,
                     seed=seed, scope="all",
                     **({"validation_data": validation} if run.startswith("fip") else {}))
    settings = dict(REFERENCE_PATH, distance=reference_distance(network))
    changed = dict(DEPARTURES[run][1]) if run in DEPARTURES else {}
    share = changed.pop("finetune", None)
    settings.update(changed)
    steps = int(args.steps * share) if share else args.steps
    result = sparsify(network, x, sparsity=args.sparsity, steps=steps, seed=seed,
                          validation_data=validation, verbose=0, **settings)
    if share:
        result.finetune_steps = finetune(result.network, x, y, result.masks,
                                         steps=args.steps - result.path_steps, seed=seed)
    return result


def _earlier_rows(args):
    """The rows already in `--out` when it ran with the same settings (a resumed run)."""
    if not os.path.exists(args.out):
        return []
    with open(args.out) as f:
        before = json.load(f)
    same = all(before["settings"].get(k) == getattr(args, k)
               for k in ("dataset", "model", "dense_epochs", "sparsity", "steps"))
    return before["rows"] if same else []


def _write(args, command, rows):
    from keras_fip import report

    summary = {}
    for run in dict.fromkeys(r["run"] for r in rows):
        mine = [r for r in rows if r["run"] == run]
        entry = {"seeds": [r["seed"] for r in mine], "runs": [r["accuracy"] for r in mine],
                 "mean": float(np.mean([r["accuracy"] for r in mine])),
                 "min": float(np.min([r["accuracy"] for r in mine]))}
        if "kept" in mine[0]:
            entry.update(
                kept=sum(bool(r["kept"]) for r in mine), reached=sum(r["reached"] for r in mine),
                accuracy_at_arrival=float(np.mean([r["accuracy_at_arrival"] for r in mine])),
                accuracy_at_snap=float(np.mean([r["accuracy_at_snap"] for r in mine])),
                gap=float(np.mean([r["gap"] for r in mine])),
                max_pull=float(np.max([r["max_pull"] for r in mine])))
        summary[run] = entry
    report.write_json(args.out, {
        **report.header(command),
        "settings": {k: getattr(args, k) for k in
                     ("dataset", "model", "dense_epochs", "sparsity", "steps", "seeds")},
        "protocol": "MNIST t10k split 8000/2000 stratified by seed; 10% of each class of the "
                    "training split held out for validation (what a path kept); the dense "
                    "network and every run train on the other 90%; batch 200; nothing tuned",
        "departures": {k: v[0] for k, v in DEPARTURES.items()},
        "summary": summary, "rows": rows})


if __name__ == "__main__":
    main()
