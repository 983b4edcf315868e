"""Prints the markdown tables of RESULTS.md from the JSON files in results/.

    python benchmarks/tables.py continual benchmarks/results/continual_digits.json
    python benchmarks/tables.py continual_many A.json B.json   # methods of both runs
    python benchmarks/tables.py chosen benchmarks/results/continual_mnist_tuned.json
    python benchmarks/tables.py two_task benchmarks/results/two_task_mnist_permuted.json
    python benchmarks/tables.py sparsity benchmarks/results/sparsity_mnist_lenet.json \
        benchmarks/results/sparsity_mnist_lenet_fip.json   # a later file's methods replace
"""

import json
import sys


def continual(path):
    data = json.load(open(path))
    seeds = sorted({r["seed"] for r in data["runs"]})
    print(f"| method | average accuracy (mean, seeds {','.join(map(str, seeds))}) | min | max "
          "| backward transfer | forgetting | train seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, s in data["summary"].items():
        print(f"| {name} | {s['average_accuracy_mean']:.4f} | {s['average_accuracy_min']:.4f} "
              f"| {s['average_accuracy_max']:.4f} | {s['backward_transfer_mean']:+.4f} "
              f"| {s['forgetting_mean']:.4f} | {s['train_seconds_mean']:.1f} |")


def continual_many(*paths):
    """One table from several runs (each method's rows from the last file that has it)."""
    summary, seeds, memory = {}, set(), set()
    for path in paths:
        data = json.load(open(path))
        summary.update(data["summary"])
        seeds |= {r["seed"] for r in data["runs"]}
        memory.add(data["settings"]["memory_per_class"])
    print(f"| method | average accuracy (mean, seeds {','.join(map(str, sorted(seeds)))}) | min "
          "| max | backward transfer | forgetting | train seconds |")
    print("|---|---|---|---|---|---|---|")
    for name, s in summary.items():
        print(f"| {name} | {s['average_accuracy_mean']:.4f} | {s['average_accuracy_min']:.4f} "
              f"| {s['average_accuracy_max']:.4f} | {s['backward_transfer_mean']:+.4f} "
              f"| {s['forgetting_mean']:.4f} | {s['train_seconds_mean']:.1f} |")


def chosen(*paths):
    """The setting `--tune` chose for each method and seed, from tuned runs."""
    rows = {}
    for path in paths:
        for r in json.load(open(path))["runs"]:
            for name, table in r.get("tuning", {}).items():
                if len(table["tried"]) > 1:
                    setting = ", ".join(f"{k} {v:g}" for k, v in table["chosen"].items())
                    rows.setdefault(name, {})[r["seed"]] = setting
    seeds = sorted({s for per in rows.values() for s in per})
    print("| method | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    print("|---|" + "---|" * len(seeds))
    for name, per in rows.items():
        print(f"| {name} | " + " | ".join(per.get(s, "") for s in seeds) + " |")


def two_task(path):
    data = json.load(open(path))
    runs = data["runs"]
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    print("| epochs on task B | FIP: task A | FIP: task B | fine-tune: task A | fine-tune: task B |")
    print("|---|---|---|---|---|")
    a0 = mean([r["before_B"]["A"] for r in runs])
    b0 = mean([r["before_B"]["B"] for r in runs])
    print(f"| 0 (after task A) | {a0:.4f} | {b0:.4f} | {a0:.4f} | {b0:.4f} |")
    for row in data["table_mean_over_seeds"]:
        print(f"| {row['epoch']} | {row['fip_A']:.4f} | {row['fip_B']:.4f} "
              f"| {row['finetune_A']:.4f} | {row['finetune_B']:.4f} |")


def sparsity(*paths):
    """Accuracy per sparsity and method; rows of a later file replace its methods' rows."""
    rows, exports = {}, {}
    for path in paths:
        data = json.load(open(path))
        methods = {r["method"] for r in data["rows"]}
        rows = {k: v for k, v in rows.items() if k[2] not in methods}
        for r in data["rows"]:
            rows[(r["model"], r["sparsity"], r["method"], r["seed"])] = r
        for e in data["exports"]:
            exports[(e["model"], e["sparsity"])] = e
    methods = sorted({k[2] for k in rows}, key=["fip", "tfmot", "oneshot"].index)
    seeds = sorted({k[3] for k in rows})
    print(f"| model | sparsity | dense | " + " | ".join(f"{m} (min)" for m in methods)
          + " | steps each | gzip TFLite (dense) |")
    print("|---|---|---|" + "---|" * len(methods) + "---|---|")
    for model, s in sorted({(k[0], k[1]) for k in rows}):
        cells, budget = [], set()
        for m in methods:
            accs = [rows[(model, s, m, seed)]["accuracy"] for seed in seeds]
            budget |= {rows[(model, s, m, seed)]["path_steps"] + rows[(model, s, m, seed)]["finetune_steps"]
                       for seed in seeds}
            cells.append(f"{sum(accs) / len(accs):.4f} ({min(accs):.4f})")
        dense = sum(rows[(model, s, methods[0], seed)]["dense_accuracy"] for seed in seeds) / len(seeds)
        e = exports.get((model, s))
        size = f"{e['tflite_gzip_bytes'] / 1024:.0f} KB ({e['dense_tflite_gzip_bytes'] / 1024:.0f} KB)" if e else ""
        print(f"| {model} | {s:.0%} | {dense:.4f} | " + " | ".join(cells)
              + f" | {'/'.join(map(str, sorted(budget)))} | {size} |")


if __name__ == "__main__":
    {"continual": continual, "two_task": two_task,
     "sparsity": sparsity,
     "continual_many": continual_many, "chosen": chosen}[sys.argv[1]](*sys.argv[2:])
