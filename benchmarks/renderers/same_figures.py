"""Same figures before and after a change: the default run of every command, compared."""

from .base import md_table, renderer


def _kind(path):
    """`/members/x/distances_from_start[3]/functional_distance` -> `functional_distance`."""
    return path.rsplit("/", 1)[-1].split("[")[0]


@renderer("same_figures_table")
def same_figures_table(ctx, file):
    """``benchmarks/same_figures.py``: per command, identical or not, the largest change and
    the keys found in one report only (renamed)."""
    data = ctx.json(file)
    rows = []
    for job in data["jobs"].values():
        keys = dict.fromkeys(f"`{_kind(k['path'])}` ({k['in']} only)"
                             for k in job["keys_in_one_report_only"])
        rows.append([f"`{job['command']}`",
                     "identical" if job["identical"] else f"{job['numbers_changed']} numbers differ",
                     f"{job['largest_absolute_difference']:.2g}", ", ".join(keys) or "none"])
    return md_table(["run (defaults, seed 0)", "figures", "largest difference",
                     "keys in one report only"], rows)


@renderer("same_figures_changes")
def same_figures_changes(ctx, file, job):
    """Which values of one command's report changed: each kind, how many, the largest change."""
    changed = ctx.json(file)["jobs"][job]["changed"]
    if not changed:
        return "No number changed."
    kinds = {}
    for c in changed:
        gap = abs(float(c["after"]) - float(c["before"]))
        count, largest = kinds.get(_kind(c["path"]), (0, 0.0))
        kinds[_kind(c["path"])] = (count + 1, max(largest, gap))
    rows = [[f"`{kind}`", str(count), f"{largest:.2g}"]
            for kind, (count, largest) in sorted(kinds.items())]
    return md_table(["value in the report", "how many changed", "largest difference"], rows)


@renderer("same_figures_values")
def same_figures_values(ctx, file, job, key):
    """One value of one command's report before and after, wherever it changed
    (`key=average_accuracy`: one row per method)."""
    changed = [c for c in ctx.json(file)["jobs"][job]["changed"] if _kind(c["path"]) == key]
    if not changed:
        return f"No `{key}` changed."
    rows = [[f"`{c['path'].strip('/').split('/')[-2]}`", f"{float(c['before']):.4f}",
             f"{float(c['after']):.4f}", f"{float(c['after']) - float(c['before']):+.4f}"]
            for c in changed]
    return md_table(["in the report", "before", "after", "after - before"], rows)


@renderer("same_step_table")
def same_step_table(ctx, file):
    """``benchmarks/same_step.py``: the step's final weights after a change, with each of
    its settings, against the code before (and one pass against two)."""
    rows = [[r["after_settings"], r["against"], f"`{r['method']}`",
             "identical" if r["identical"] else "differ", f"{r['max_abs_difference']:.2g}"]
            for r in ctx.json(file)["rows"]]
    return md_table(["after the change, with", "against", "method", "weights",
                     "largest difference"], rows)
