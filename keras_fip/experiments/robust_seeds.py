"""A robustness run over several seeds: the summary (mean, min, max) and the issue's check.

`benchmarks/robustness.py` runs `keras_fip.experiments.robust.run` once per
seed and summarises the runs here; `benchmarks/robustness_tables.py` renders
the same summary from the file.
"""

import numpy as np


def summarise(runs):
    """Mean, min and max over seeds of every accuracy and of the compute; the must-show check.

    Args:
        runs: the payloads of `run` (or report.json files read back), one per seed.

    Returns:
        `{"clean_accuracy", "results", "compute", "members", "must_show"}`, each
        accuracy as `stats` (mean, min, max, values).

    Raises:
        KeyError: runs that are not robustness reports.

    Example:
        >>> summary = summarise([run(RobustConfig(seed=s)) for s in (0, 1, 2)])  # doctest: +SKIP
    """
    methods = list(runs[0]["clean_accuracy"])
    summary = {"clean_accuracy": {}, "results": {}, "compute": {}, "members": {}}
    for method in methods:
        values = [r["clean_accuracy"][method] for r in runs]
        summary["clean_accuracy"][method] = stats(values)
        summary["compute"][method] = {
            key: float(np.mean([count(r["compute"][method], key) for r in runs]))
            for key in ("steps", "examples", "validation_examples", "anchor_examples",
                        "total_examples", "seconds")
        }
    for setting, rows in runs[0]["results"].items():
        for method, row in rows.items():
            for attack, cells in row.items():
                if attack == "clean":
                    values = [r["results"][setting][method]["clean"] for r in runs]
                    summary["results"].setdefault(setting, {}).setdefault(method, {})["clean"] = stats(values)
                    continue
                for eps in cells:
                    values = [r["results"][setting][method][attack][eps] for r in runs]
                    (summary["results"].setdefault(setting, {}).setdefault(method, {})
                     .setdefault(attack, {}))[eps] = stats(values)
    for method in methods:
        if method == "single":
            continue
        reports = [r["members"][method] for r in runs]
        entry = {
            "mean_member_clean_accuracy": stats([float(np.mean(m["clean_accuracy"])) for m in reports]),
            "lowest_member_clean_accuracy": stats([float(np.min(m["clean_accuracy"])) for m in reports]),
            "members": [len(m["clean_accuracy"]) for m in reports],
            "mean_relative_weight_distance": stats([float(np.mean(
                [d["relative_weight_distance"] for d in m["distances_from_start"]])) for m in reports]),
            "disagreement_transfer": stats([m["diversity_transfer"]["disagreement"] for m in reports]),
        }
        if "rejected" in reports[0]:
            entry["rejected"] = [len(m["rejected"]) for m in reports]
        summary["members"][method] = entry
    summary["must_show"] = must_show(runs)
    return summary


def count(cost, key):
    """A compute count of one method's cost; reports before issue 21 had no
    forward-only counts (0) and no total (the training examples).

    Args:
        cost: one method's `compute` entry.
        key: the count (`"total_examples"`, `"steps"`, ...).

    Returns:
        The count (0 where the report has none).

    Raises:
        Nothing: a missing count is 0.

    Example:
        >>> count({"examples": 10}, "total_examples")
        10
    """
    if key == "total_examples" and key not in cost:
        return cost["examples"] + cost.get("validation_examples", 0) + cost.get("anchor_examples", 0)
    return cost.get(key, 0)


def must_show(runs, attack="pgd", eps="0.2"):
    """The issue's check, per seed: transfer `attack` at `eps` from the start and the
    surrogate, FIP at or above every peer; clean within 1 point of the single
    network; at most half the deep ensemble's compute in examples (training
    examples plus forward-only validation passes: `total_examples`).

    The FIP ensembles and their peers are told apart by their `ENSEMBLES`
    entry's `family`.

    Args:
        runs: the reports, one per seed.
        attack, eps: the cell of the transfer tables checked.

    Returns:
        `{fip label: {"attack", "per_seed": [...], "holds_on_every_seed"}}`.

    Raises:
        KeyError: runs without that attack or budget.

    Example:
        >>> must_show(runs)["fip_ensemble"]["holds_on_every_seed"]  # doctest: +SKIP
    """
    from keras_fip.robustness.registry import ENSEMBLES

    checks = {}
    labels = {method.label: method.family for _, method in ENSEMBLES.items()}
    present = [m for m in runs[0]["clean_accuracy"] if m in labels]
    for fip in [m for m in present if labels[m] == "fip"]:
        peers = [m for m in present if labels[m] != "fip"]
        rows = []
        for r in runs:
            row = {"seed": r["config"]["seed"]}
            for setting in ("transfer", "transfer_surrogate"):
                if setting not in r["results"]:
                    continue
                res = r["results"][setting]
                row[setting] = {m: res[m][attack][eps] for m in [fip, *peers]}
                row[setting + "_at_or_above_peers"] = all(
                    res[fip][attack][eps] >= res[p][attack][eps] for p in peers)
            row["clean_minus_single"] = r["clean_accuracy"][fip] - r["clean_accuracy"]["single"]
            row["clean_within_1_point"] = row["clean_minus_single"] >= -0.01
            if "deep_ensemble" in r["compute"]:
                mine, deep = r["compute"][fip], r["compute"]["deep_ensemble"]
                row["steps_over_deep"] = mine["steps"] / deep["steps"]
                row["examples_over_deep"] = (count(mine, "total_examples")
                                             / count(deep, "total_examples"))
                row["at_most_half_deep_examples"] = row["examples_over_deep"] <= 0.5
            row["holds"] = all(v for k, v in row.items()
                               if k.endswith(("_peers", "_point", "_examples")))
            rows.append(row)
        checks[fip] = {"attack": f"{attack} eps {eps}", "per_seed": rows,
                       "holds_on_every_seed": all(row["holds"] for row in rows)}
    return checks


def stats(values):
    """The mean, lowest and highest of a list of numbers, and the numbers.

    Args:
        values: numbers (one per seed).

    Returns:
        `{"mean", "min", "max", "values"}`, floats.

    Raises:
        ValueError: no values (NumPy's error).

    Example:
        >>> stats([0.5, 1.0])["mean"]
        0.75
    """
    return {"mean": float(np.mean(values)), "min": float(np.min(values)),
            "max": float(np.max(values)), "values": [float(v) for v in values]}


def format_summary(summary):
    """The summary as text: mean accuracies per setting, clean accuracy, compute, must-show.

    Args:
        summary: what `summarise` returns.

    Returns:
        The text, a string.

    Raises:
        KeyError: a summary without `results`, `clean_accuracy`, `compute` or `must_show`.

    Example:
        >>> print(format_summary(summarise(runs)))  # doctest: +SKIP
    """
    lines = []
    for setting, methods in summary["results"].items():
        columns = [(a, e) for a, row in methods["single"].items() if a != "clean" for e in row]
        lines.append(setting)
        header = f"{'':<18} {'clean':>6} " + " ".join(f"{a + ' ' + e:>9}" for a, e in columns)
        lines += [header, "-" * len(header)]
        for method, row in methods.items():
            lines.append(f"{method:<18} {row['clean']['mean']:>6.3f} "
                         + " ".join(f"{row[a][e]['mean']:>9.3f}" for a, e in columns))
        lines.append("")
    lines.append("full test split clean accuracy: " + ", ".join(
        f"{m} {s['mean']:.4f}" for m, s in summary["clean_accuracy"].items()))
    lines.append("training compute (mean): " + "; ".join(
        f"{m} {c['steps']:.0f} steps, {c['examples']:.0f} training examples + "
        f"{c['validation_examples'] + c['anchor_examples']:.0f} forward-only = "
        f"{c['total_examples']:.0f} examples, {c['seconds']:.0f}s"
        for m, c in summary["compute"].items()))
    for fip, check in summary["must_show"].items():
        lines.append(f"must show ({fip}, {check['attack']}): "
                     + ("holds on every seed" if check["holds_on_every_seed"] else "does not hold")
                     + "; " + "; ".join(
                         f"seed {row['seed']}: " + ", ".join(
                             k for k, v in row.items() if v is False and k != "holds")
                         for row in check["per_seed"]
                         if not row["holds"]))
    return "\n".join(lines)


__all__ = ["count", "format_summary", "must_show", "stats", "summarise"]
