"""Continual learning, then pruning on the memory (benchmarks/then_sparsify.py)."""

from .base import acc, command_block, md_table, mean, points, renderer, verdict

THEN_SPARSIFY = "then_sparsify_mnist_090.json"


def _by_seed(data, method, key):
    return {run["seed"]: run["pruning"][method][key] for run in data["runs"]}


@renderer("then_sparsify_table")
def then_sparsify_table(ctx, file=THEN_SPARSIFY, fip="fip_ramp"):
    """Average accuracy over the tasks before and after pruning, per pruning method."""
    data = ctx.json(file)
    settings = data["settings"]
    methods = list(data["summary"])
    ours = _by_seed(data, fip, "average_after")
    rows = []
    for method in methods:
        after = _by_seed(data, method, "average_after")
        before = _by_seed(data, method, "average_before")
        drops = [after[s] - before[s] for s in after]
        row = data["summary"][method]
        rows.append([
            f"`{method}`", "yes" if row["labels_used"] else "no",
            acc(mean(before.values())), f"{acc(mean(after.values()))} ({acc(min(after.values()))})",
            points(mean(drops)), points(min(drops)),
            "-" if method == fip else verdict(ours, after),
        ])
    table = md_table(["pruning", "labels", "dense (before)", "after: mean (lowest)",
                      "change", "largest drop", f"`{fip}` vs it"], rows)
    return (f"{len(data['runs'])} seeds; `{settings['continual']}` on {settings['tasks']} "
            f"class-incremental tasks, {settings['memory_per_class']} stored per class, then "
            f"{acc(settings['sparsity'], 2)} sparsity in {settings['steps']} steps of "
            f"{settings['batch_size']} memory samples.\n\n" + table)


@renderer("then_sparsify_commands")
def then_sparsify_commands(ctx, file=THEN_SPARSIFY):
    return command_block([ctx.json(file)["command"]])
