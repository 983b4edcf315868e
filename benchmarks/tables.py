"""Prints the markdown tables of RESULTS.md from the JSON files in results/.

    python benchmarks/tables.py continual benchmarks/results/continual_digits.json
    python benchmarks/tables.py step benchmarks/results/step_cost.json
    python benchmarks/tables.py two_task benchmarks/results/two_task_mnist_permuted.json
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


def step(path):
    data = json.load(open(path))
    print("| network | plain step (ms) | FIP step (ms) | FIP / plain |")
    print("|---|---|---|---|")
    for name, r in data["results"].items():
        print(f"| {name} | {r['plain_step_ms_median']:.2f} | {r['fip_step_ms_median']:.2f} "
              f"| {r['ratio_median']:.2f} |")


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


if __name__ == "__main__":
    {"continual": continual, "step": step, "two_task": two_task}[sys.argv[1]](sys.argv[2])
