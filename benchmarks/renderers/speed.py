"""Speed: the FIP step against a plain Keras step, on both backends; the bad-input audit."""

from .base import md_table, renderer


@renderer("step_cost_table")
def step_cost_table(ctx, file="step_cost.json"):
    """``benchmarks/step_cost.py``: plain and FIP step, median ms, and their ratio."""
    data = ctx.json(file)
    rows = [[name, f"{r['plain_step_ms_median']:.2f}", f"{r['fip_step_ms_median']:.2f}", f"{r['ratio_median']:.2f}"]
            for name, r in data["results"].items()]
    return md_table(["network", "plain step (ms)", "FIP step (ms)", "FIP / plain"], rows)


@renderer("backend_step_cost_table")
def backend_step_cost_table(ctx, file):
    """``benchmarks/backend_step_cost.py``: per backend, network and mode, the ratio of a FIP
    step to a plain step (and to a plain step on task + memory samples when measured)."""
    data = ctx.json(file)
    combined = any("ratio_to_combined_median" in r for r in data["rows"])
    header = ["backend", "network", "mode", "batch + memory", "plain step (ms)", "FIP step (ms)", "FIP / plain"]
    if combined:
        header += ["FIP / plain at batch + memory"]
    rows = []
    for r in data["rows"]:
        row = [r["backend"], r["label"], r["mode"], f"{r['batch']} + {r['memory_batch']}",
               f"{r['plain_ms_median']:.2f}", f"{r['fip_ms_median']:.2f}", f"{r['ratio_median']:.2f}"]
        if combined:
            value = r.get("ratio_to_combined_median")
            row.append(f"{value:.2f}" if isinstance(value, (int, float)) else "not recorded")
        rows.append(row)
    return md_table(header, rows)


@renderer("bad_inputs_table")
def bad_inputs_table(ctx, file="bad_inputs.json"):
    """The bad-input audit: cases tried per entry point and how each ended."""
    data = ctx.json(file)
    outcomes = ["clear", "misleading", "traceback", "silent", "data loss"]  # issue 22: all shown
    outcomes += sorted({o for counts in data["summary"].values() for o in counts} - set(outcomes))
    rows = []
    groups = sorted(data["summary"].items(), key=lambda item: item[0] == "all")
    for group, counts in groups:
        rows.append([group, sum(counts.values())] + [counts.get(o, 0) for o in outcomes])
    return md_table(["where", "tried"] + outcomes, rows)
