"""Markdown tables of a robustness benchmark's JSON (or of one `keras-fip robust` report).

    python benchmarks/robustness_tables.py benchmarks/results/robustness_mnist_issue14.json

Prints, from the file alone: accuracy against eps per method and attacker (mean
over seeds, lowest seed in brackets), clean accuracy of each ensemble and of its
members, compute per method, the attacker x method transfer matrix at one
budget, the FIP paths' accepted and rejected candidates, and the issue's
must-show check per seed.
"""

import argparse
import json

import numpy as np

from keras_fip.experiments.robust_seeds import count, must_show


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path")
    parser.add_argument("--attack", default="pgd")
    parser.add_argument("--eps", default="0.2")
    args = parser.parse_args()
    with open(args.path) as f:
        payload = json.load(f)
    runs = payload["runs"] if "runs" in payload else [payload]
    print(tables(runs, args.attack, args.eps))
    print()
    print(must_show_table(runs, args.attack, args.eps))


def _cell(values, digits=3):
    values = [float(v) for v in values]
    mean = f"{np.mean(values):.{digits}f}"
    return mean if len(values) == 1 else f"{mean} ({np.min(values):.{digits}f})"


def tables(runs, attack="pgd", eps="0.2"):
    methods = list(runs[0]["clean_accuracy"])
    lines = [f"Seeds: {', '.join(str(r['config']['seed']) for r in runs)}. Cells: mean over "
             "seeds (lowest seed in brackets).", ""]
    for setting, rows in runs[0]["results"].items():
        columns = [(a, e) for a, cells in rows["single"].items() if a != "clean" for e in cells]
        n = runs[0]["config"]["attack_samples" if setting != "white-box" else "whitebox_samples"]
        lines.append(f"| {setting} ({n} images) | clean | "
                     + " | ".join(f"{a.upper()} {e}" for a, e in columns) + " |")
        lines.append("|---" * (len(columns) + 2) + "|")
        for method in methods:
            cells = [_cell([r["results"][setting][method]["clean"] for r in runs])]
            cells += [_cell([r["results"][setting][method][a][e] for r in runs]) for a, e in columns]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")

    lines.append(f"Transfer matrix, {attack.upper()} eps {eps}: accuracy of each method (columns) "
                 "on examples crafted on each attacker's network (rows); mean over seeds.")
    lines.append("")
    settings = [s for s in runs[0]["results"] if s != "white-box"]
    lines.append("| crafted on | " + " | ".join(methods) + " |")
    lines.append("|---" * (len(methods) + 1) + "|")
    for setting in settings:
        lines.append(f"| {setting} | " + " | ".join(
            f"{np.mean([r['results'][setting][m][attack][eps] for r in runs]):.3f}"
            for m in methods) + " |")
    lines.append("")

    lines.append("| method | clean (full test split) | per seed | members' mean clean | lowest "
                 "member | steps | training examples | forward-only examples | total examples "
                 "| seconds | examples / deep |")
    lines.append("|---" * 11 + "|")
    for method in methods:
        clean = [r["clean_accuracy"][method] for r in runs]
        steps = [r["compute"][method]["steps"] for r in runs]
        total = [count(r["compute"][method], "total_examples") for r in runs]
        forward = [count(r["compute"][method], "validation_examples")
                   + count(r["compute"][method], "anchor_examples") for r in runs]
        deep = [count(r["compute"]["deep_ensemble"], "total_examples")
                if "deep_ensemble" in r["compute"] else None for r in runs]
        if method == "single":
            member_mean = member_low = "-"
        else:
            member_mean = _cell([np.mean(r["members"][method]["clean_accuracy"]) for r in runs])
            member_low = _cell([np.min(r["members"][method]["clean_accuracy"]) for r in runs])
        ratio = (f"{np.mean([t / d for t, d in zip(total, deep)]):.2f}"
                 if all(deep) else "-")
        lines.append(
            f"| {method} | {np.mean(clean):.4f} | " + " / ".join(f"{c:.4f}" for c in clean)
            + f" | {member_mean} | {member_low} | {np.mean(steps):.0f} | "
            f"{np.mean([r['compute'][method]['examples'] for r in runs]):.0f} | "
            f"{np.mean(forward):.0f} | {np.mean(total):.0f} | "
            f"{np.mean([r['compute'][method]['seconds'] for r in runs]):.0f} | {ratio} |")
    lines.append("")
    lines.append("Training examples pass forward and backward; forward-only examples are "
                 "validation passes and the start's cached outputs, each counted as one "
                 "example in the total (reports before issue 21 did not count them: 0).")
    lines.append("")

    for method in [m for m in methods if m.startswith("fip")]:
        lines.append(f"{method}: accepted / rejected candidates per seed: " + "; ".join(
            f"seed {r['config']['seed']}: {len(r['members'][method]['clean_accuracy'])} / "
            f"{len(r['members'][method]['rejected'])}" for r in runs)
            + "; members' distance from the start (relative to its weight norm), mean: "
            + ", ".join(f"{np.mean([d['relative_weight_distance'] for d in r['members'][method]['distances_from_start']]):.3f}"
                        for r in runs)
            + "; path steps: " + ", ".join(str(r["compute"][method]["own_steps"]) for r in runs))
        for r in runs:
            for row in r["members"][method]["rejected"]:
                lines.append(f"  - seed {r['config']['seed']}, candidate {row['candidate']} at "
                             f"step {row['step']}: {row['reason']}"
                             + (f" (validation accuracy {row['val_accuracy']:.4f})"
                                if "val_accuracy" in row else ""))
    lines.append("")
    for method in [m for m in methods if m != "single"]:
        lines.append(f"{method}: mean relative weight distance of the members from the start "
                     + ", ".join(f"{np.mean([d['relative_weight_distance'] for d in r['members'][method]['distances_from_start']]):.3f}"
                                 for r in runs)
                     + "; disagreement on transfer examples "
                     + ", ".join(f"{r['members'][method]['diversity_transfer']['disagreement']:.3f}"
                                 for r in runs))
    return "\n".join(lines)


def must_show_table(runs, attack="pgd", eps="0.2"):
    """The issue's check per seed (`keras_fip.experiments.robust_seeds.must_show`)."""
    lines = []
    for fip, check in must_show(runs, attack, eps).items():
        peers = [m for m in check["per_seed"][0]["transfer"] if m != fip]
        lines.append(f"Must-show for {fip} ({check['attack']}): "
                     + ("holds on every seed." if check["holds_on_every_seed"] else
                        "does not hold on every seed."))
        lines.append("")
        lines.append("| seed | " + " | ".join(
            f"{s}: {fip} vs " + ", ".join(p.replace("_ensemble", "") for p in peers)
            for s in ("transfer", "transfer_surrogate"))
            + " | clean - single | steps / deep | examples / deep | holds |")
        lines.append("|---" * 7 + "|")
        for row in check["per_seed"]:
            cells = []
            for setting in ("transfer", "transfer_surrogate"):
                values = row[setting]
                cells.append(f"{values[fip]:.3f} vs " + ", ".join(f"{values[p]:.3f}" for p in peers)
                             + (" (at or above all)" if row[setting + "_at_or_above_peers"] else ""))
            lines.append(f"| {row['seed']} | " + " | ".join(cells)
                         + f" | {row['clean_minus_single']:+.4f} | {row['steps_over_deep']:.2f} | "
                         + f"{row['examples_over_deep']:.2f} | "
                         + ("yes" if row["holds"] else "no") + " |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
