"""FIP sparsification against global-magnitude and tfmot pruning, hyperparameters tuned.

Same dense start, data, step budget and batch (200) for every method:
- fip: the reference's path (Bhattacharyya distance summed over the batch,
  lambda 0.1 steered up until the path is on track to arrive, every parameter
  the path moves counted, BatchNorm frozen) for at most `path_fraction` of the
  budget, stopping once within 0.01 of the sparse set; snap; the rest of the
  budget fine-tunes with the mask held;
- oneshot: global magnitude pruning at once, the whole budget fine-tuning;
- gmp: gradual magnitude pruning, one global threshold, Zhu & Gupta's cubic
  schedule over 75% of the budget, mask updated every budget // 100 steps;
- tfmot: prune_low_magnitude + PolynomialDecay, every layer to the target;
- tfmot_global: the same with each layer's target from one global cut.

Protocol: MNIST t10k split 8,000 train / 2,000 test by seed. Hyperparameters,
on each seed's own data (`--tune-per-seed`, the default): 10% of each class of
that seed's training split is held out, a dense network is trained on the
rest, and every method searches its grid (`keras_fip.sparsity.registry.METHODS`' grids,
four settings, moved by the shared rule of `keras_fip.experiments.tuning` when the
best is on an edge) at `--tune-sparsity`, scored on the held-out part. The
seed's chosen settings then run on that seed (dense network trained on the
whole training split) at every sparsity; the test split is used once, at the
end. Every seed re-splits the same 10,000 images, so one seed's validation
images lie in another's test split: a choice made on seed 0 and used on seeds 1
and 2 (`--no-tune-per-seed`, how the files before issue 21 were made) was
partly made on their test images.

    python benchmarks/sparsity.py --models lenet_300_100 --out benchmarks/results/sparsity_mnist_lenet.json

A seed left out of a finished run is added to it with `--merge-into`: its
settings must match, its rows for other seeds are kept, the new seed is tuned
on its own validation split (with `--no-tune-per-seed`, for files made that way,
the file's seed-0 choices are reused), and the merged result is written back:

    python benchmarks/sparsity.py --models reference_cnn --seeds 2 \
        --merge-into benchmarks/results/sparsity_mnist_cnn.json
"""

import argparse
import json
import os
import sys
import tempfile
import types

import numpy as np

from keras_fip import report
from keras_fip.data import load_dataset
from keras_fip.experiments import sparsify_tuning as tuning
from keras_fip.experiments.sparsify import FIP_METHODS, SparsifyConfig, run, train_dense
from keras_fip.sparsity import export


def pairs(text, cast=int):
    return {k: cast(v) for k, v in (p.split("=") for p in text.split(","))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", default="../shared/data/mnist")
    parser.add_argument("--models", default="lenet_300_100,reference_cnn")
    parser.add_argument("--sparsities", default="0.9,0.95,0.98,0.99")
    parser.add_argument("--methods", default="fip,oneshot,gmp,tfmot,tfmot_global")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--budget", default="lenet_300_100=1000,reference_cnn=200,lenet5=600",
                        help="steps per method at batch 200, per model")
    parser.add_argument("--dense-epochs", default="lenet_300_100=20,reference_cnn=5,lenet5=10",
                        help="epochs of dense training before pruning, per model")
    parser.add_argument("--tune-sparsity", type=float, default=0.98)
    parser.add_argument("--min-density", type=float, default=0.0)
    parser.add_argument("--no-tune", action="store_true", help="use tuning.DEFAULTS")
    parser.add_argument("--label-free", action="store_true",
                        help="every method that can runs without labels (see "
                        "keras_fip.experiments.sparsify.run); tuning is scored by agreement with the "
                        "dense network on the validation inputs, for every method")
    parser.add_argument("--export", action=argparse.BooleanOptionalAction, default=True,
                        help="export the first seed's fip models (default); --no-export skips it")
    parser.add_argument("--tune-per-seed", action=argparse.BooleanOptionalAction, default=True,
                        help="choose each seed's settings on its own validation split "
                        "(default); --no-tune-per-seed: on seed 0's, for every seed")
    parser.add_argument("--out", default=None,
                        help="default benchmarks/results/sparsity_mnist.json, or --merge-into's file")
    parser.add_argument("--merge-into", default=None, metavar="FILE",
                        help="add --seeds to this earlier result, with its tuned hyperparameters")
    args = parser.parse_args()
    args.out = args.out or args.merge_into or "benchmarks/results/sparsity_mnist.json"
    budgets, dense_epochs = pairs(args.budget), pairs(args.dense_epochs)
    sparsities = [float(s) for s in args.sparsities.split(",")]
    methods = args.methods.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    rows, exports, tuned = [], [], {}
    if args.merge_into:
        rows, exports, tuned = merged(args, seeds)
    per_seed = args.tune_per_seed and not args.no_tune
    for kind in args.models.split(","):
        if not args.merge_into:
            tuned[kind] = ({} if args.no_tune else {"per_seed": {}} if per_seed
                           else tune(args, kind, methods, budgets[kind], dense_epochs[kind]))
        write(args, rows, exports, tuned)
        for seed in seeds:
            if per_seed:  # this seed's own validation split
                tuned[kind].setdefault("per_seed", {})[str(seed)] = tune(
                    args, kind, methods, budgets[kind], dense_epochs[kind], seed=seed)
                write(args, rows, exports, tuned)
            data = load_dataset(args.dataset, seed=seed)
            network = train_dense(kind, data, epochs=dense_epochs[kind], seed=seed)
            # The FIP model of the first seed run is exported (seed 0 in a merged file).
            exporting = (args.export and "fip" in methods
                         and not any(e["model"] == kind for e in exports))
            # What a FIP path kept (`kept`, accuracy at arrival) is measured on these
            # training images: the final runs train on the whole training split.
            with tempfile.TemporaryDirectory() as tmp:
                result = run(SparsifyConfig(
                    dataset=data, model=network, sparsity=sparsities, methods=methods,
                    steps=budgets[kind], seed=seed, progress=False, min_density=args.min_density,
                    label_free=args.label_free,
                    hyperparameters={m: chosen_setting(tuned[kind], seed, m) for m in methods},
                    # Accuracy along the path, on training images (the test split is touched once).
                    path_validation=(data.x_train[:2000], data.y_train[:2000]),
                    export=os.path.join(tmp, "sparse") if exporting else None))
                dense = export.export_sparse(network, os.path.join(tmp, "dense")) if exporting else None
            dense_acc = result["dense_accuracy"]
            print(f"{kind} seed {seed}: dense accuracy {dense_acc:.4f}", flush=True)
            for r in result["results"]:
                row = {"model": kind, "seed": seed, "sparsity": r["target_sparsity"],
                       "dense_accuracy": dense_acc, "budget": budgets[kind], **r}
                row.pop("target_sparsity")
                rows.append(row)
                extra = (f" path {r['path_steps']} steps, gap {r['gap']:.4f}, reached {r['reached']}, "
                         f"kept {r['kept']} (on training images)"
                         if r["method"] in FIP_METHODS else "")
                print(f"  s={row['sparsity']:.2f} {row['method']:13s} acc {row['accuracy']:.4f} "
                      f"(sparsity {row['measured_sparsity']:.4f}, {row['seconds']:.0f}s){extra}",
                      flush=True)
            for target, sparse in result["exports"].items():
                exports.append({
                    "model": kind, "sparsity": float(target),
                    "tflite_gzip_bytes": sparse["files"]["tflite"]["gzip_bytes"],
                    "dense_tflite_gzip_bytes": dense.files["tflite"]["gzip_bytes"],
                    "tflite_bytes": sparse["files"]["tflite"]["bytes"],
                    "agreement": sparse["agreement"]})
            write(args, rows, exports, tuned)  # after every seed: nothing finished is lost
    print_table(write(args, rows, exports, tuned), methods)
    print(f"wrote {args.out}")


SAME = ("dataset", "models", "sparsities", "methods", "budget", "dense_epochs", "tune_sparsity",
        "min_density", "no_tune", "tune_per_seed", "label_free")
#: What a tuning entry records besides the chosen setting.
RECORDS = ("validation", "moves", "at_edge", "stopped")


def chosen_setting(tuned, seed, method):
    """The setting `method` runs with on `seed`: the seed's own choice when tuned per seed."""
    entry = tuned.get("per_seed", {}).get(str(seed), tuned).get(method, {})
    return {k: v for k, v in entry.items() if k not in RECORDS}


def merged(args, seeds):
    """The rows, exports and tuning of `--merge-into`, less the rows of `seeds`.

    Refuses when the file ran with other settings, or has no tuning for a model."""
    with open(args.merge_into) as f:
        before = json.load(f)
    # Files made before per-seed tuning chose on seed 0 for every seed.
    made = {**before["config"], "tune_per_seed": before["config"].get("tune_per_seed", False),
            "label_free": before["config"].get("label_free", False)}
    differ = {k: (made.get(k), getattr(args, k)) for k in SAME if made.get(k) != getattr(args, k)}
    if differ:
        raise SystemExit(f"--merge-into {args.merge_into} ran with other settings "
                         f"(file, now): {differ}")
    missing = set(args.models.split(",")) - set(before["tuning"])
    if missing and not args.tune_per_seed:
        raise SystemExit(f"--merge-into {args.merge_into} has no tuning for {sorted(missing)}")
    args.commands = before.get("commands", [before["command"]])
    rows = [r for r in before["rows"] if r["seed"] not in seeds]
    tuned = before["tuning"]
    for kind in args.models.split(","):
        tuned.setdefault(kind, {} if args.no_tune else {"per_seed": {}})
    return rows, before["exports"], tuned


def tune(args, kind, methods, steps, epochs, seed=0):
    """Each method's setting with the best held-out accuracy on `seed`'s own validation
    split at --tune-sparsity (the shared grid search: a grid moves off an edge)."""
    data = load_dataset(args.dataset, seed=seed)
    (x, y), (x_val, y_val) = tuning.split_validation(data.x_train, data.y_train, 0.1, seed=seed)
    fit = types.SimpleNamespace(x_train=x, y_train=y, input_shape=data.input_shape,
                                num_classes=data.num_classes)
    network = train_dense(kind, fit, epochs=epochs, seed=seed)
    chosen = {}
    for method in methods:
        found = tuning.search_method(method, network, x, y, x_val, y_val,
                                     sparsity=args.tune_sparsity, steps=steps,
                                     min_density=args.min_density, seed=seed,
                                     label_free=args.label_free)
        chosen[method] = dict(found.best or {}, validation=[
            {"setting": row["setting"], "accuracy": row["score"], "window": row["window"]}
            for row in found.table], moves=found.moves, at_edge=found.at_edge,
            stopped=found.stopped)
        scores = ", ".join(f"{row['score']:.4f}" for row in found.table)
        print(f"{kind} seed {seed} tuned {method}: {found.best} ({scores})"
              + (f", {len(found.moves)} move(s)" if found.moves else ""), flush=True)
    return chosen


def write(args, rows, exports, tuned):
    """Writes everything measured so far; returns the summary table."""
    groups = {}
    for row in rows:
        groups.setdefault((row["model"], row["sparsity"], row["method"]), []).append(row)
    table = []
    for (kind, sparsity, method), runs in groups.items():
        entry = {"model": kind, "sparsity": sparsity, "method": method,
                 "mean": float(np.mean([r["accuracy"] for r in runs])),
                 "min": float(np.min([r["accuracy"] for r in runs])),
                 "runs": [r["accuracy"] for r in runs], "seeds": [r["seed"] for r in runs],
                 "min_layer_density": float(np.min([r["min_layer_density"] for r in runs]))}
        if method in FIP_METHODS:
            entry.update(reached=sum(r["reached"] for r in runs),
                         kept=sum(bool(r.get("kept")) for r in runs),
                         path_steps=[r["path_steps"] for r in runs],
                         max_gap=float(np.max([r["gap"] for r in runs])))
            lowest = [r.get("lowest_accuracy_on_path") for r in runs]
            if all(v is not None for v in lowest):
                entry["lowest_accuracy_on_path"] = lowest
        if "label" in runs[0]:
            entry["label"] = runs[0]["label"]
        table.append(entry)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    command = "python " + " ".join(sys.argv)
    config = {k: v for k, v in vars(args).items() if k != "commands"}
    history = {"commands": getattr(args, "commands", []) + [command]} if args.merge_into else {}
    report.write_json(args.out, {
        **report.header(command), **history, "config": config,
        "split": "MNIST t10k split 8000/2000 stratified by seed; tuning on "
                 + ("each seed's own" if args.tune_per_seed else "seed 0's")
                 + " training split less 10% per class held out"
                 + ("; label-free: every method that can runs without labels, and every "
                    "method is scored by agreement with the dense network's predictions on "
                    "the held-out inputs" if args.label_free else ""),
        "hyperparameters": {k: hyperparameters(t) for k, t in tuned.items()},
        "tuning": tuned, "table": table, "rows": rows, "exports": exports})
    return table


def hyperparameters(tuned):
    """`{method: {name: value}}`; tuned per seed, a value that differs between seeds is
    written "a / b / c (seeds 0 / 1 / 2)"."""
    if "per_seed" not in tuned:
        return {m: {n: v for n, v in s.items() if n not in RECORDS} for m, s in tuned.items()}
    seeds = sorted(tuned["per_seed"], key=int)
    methods = dict.fromkeys(m for s in seeds for m in tuned["per_seed"][s])
    out = {}
    for method in methods:
        names = dict.fromkeys(n for s in seeds for n in chosen_setting(tuned, s, method))
        out[method] = {}
        for name in names:
            values = [chosen_setting(tuned, s, method).get(name) for s in seeds]
            out[method][name] = values[0] if len(set(map(repr, values))) == 1 else (
                " / ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)
                + f" (seeds {' / '.join(seeds)})")
    return out


def print_table(table, methods):
    print("\n| model | sparsity | " + " | ".join(methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    cells = {(e["model"], e["sparsity"], e["method"]): e for e in table}
    for kind, sparsity in dict.fromkeys((e["model"], e["sparsity"]) for e in table):
        print(f"| {kind} | {sparsity:g} | " + " | ".join(
            f"{cells[kind, sparsity, m]['mean']:.4f} ({cells[kind, sparsity, m]['min']:.4f})"
            if (kind, sparsity, m) in cells else "" for m in methods) + " |")


if __name__ == "__main__":
    main()
