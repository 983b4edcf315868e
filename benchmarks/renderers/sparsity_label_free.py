"""Label-free sparsification: fip_ramp beside its label-free peers and labelled gmp."""

from .base import RenderError, acc, command_block, md_table, mean, num, renderer, verdict


def pct(s):
    return f"{100 * s:g}%"


def label_of(row):
    """The method's name as its report gives it, "(labels)" added when it read labels."""
    label = row.get("label", row["method"])
    return f"{label} (labels)" if row.get("labels") and "(labels)" not in label else label


def yes(v):
    return "yes" if v else "no"


@renderer("sparsity_lf_run")
def sparsity_lf_run(ctx, file):
    """One ``keras-fip sparsify --label-free`` report: per method its name as the report
    gives it ("gmp (labels)"), whether it read labels, test accuracy, and for FIP paths:
    reached, kept (and by which rule), validation accuracy at the start, the lowest on
    the path, at arrival and after the snap, the path's steps."""
    report = ctx.json(file)
    rows = []
    for r in report["results"]:
        fip = r["method"].startswith("fip")

        def field(key, f=acc):
            return f(r[key]) if r.get(key) is not None else ("" if not fip else "not recorded")

        rows.append([f"`{label_of(r)}`", yes(r.get("labels")), acc(r["accuracy"]),
                     field("reached", yes), field("kept", yes), field("accuracy_at_start"),
                     field("lowest_accuracy_on_path"), field("accuracy_at_arrival"),
                     field("accuracy_at_snap"), r.get("path_steps", "") if fip else ""])
    return md_table(["method", "reads labels", "test accuracy", "reached", "kept",
                     "validation at start", "lowest on the path", "at arrival",
                     "after the snap", "path steps"], rows)


@renderer("sparsity_lf_kept_rules")
def sparsity_lf_kept_rules(ctx, file):
    """What ``kept`` means for each FIP method of a report, as the report states it."""
    report = ctx.json(file)
    rules = {r["method"]: r["kept_rule"] for r in report["results"] if r.get("kept_rule")}
    if not rules:
        raise RenderError(f"{file} records no kept_rule")
    return "; ".join(f"`{m}`: {rule}" for m, rule in rules.items())


def _rows(data, model="lenet_300_100"):
    return [r for r in data["rows"] if r["model"] == model]


def _merged(ctx, files, model="lenet_300_100"):
    """The rows of several benchmark files run on the same protocol; refused unless
    every seed started from the same dense network (the same dense accuracy)."""
    rows, dense = [], {}
    for entry in files.split(","):
        # "file.json:fip_ramp+gmp" takes only those methods' rows of that file.
        f, _, only = entry.partition(":")
        for r in _rows(ctx.json(f), model):
            if only and r["method"] not in only.split("+"):
                continue
            if dense.setdefault(r["seed"], r["dense_accuracy"]) != r["dense_accuracy"]:
                raise RenderError(f"{f}: seed {r['seed']} started from another dense network")
            rows.append(r)
    return rows


def _seeds(rows, method, sparsity):
    return {r["seed"]: r["accuracy"] for r in rows if r["method"] == method
            and r["sparsity"] == sparsity}


def _labels(rows):
    return {r["method"]: label_of(r) for r in rows}


@renderer("sparsity_lf_table")
def sparsity_lf_table(ctx, files, model="lenet_300_100"):
    """Test accuracy per sparsity and method over seeds, mean (lowest seed), best mean
    in bold, each method named as its rows name it (``files``: one or more benchmark
    files on the same protocol and dense networks)."""
    rows = _merged(ctx, files, model)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    labels = _labels(rows)
    out = []
    for s in sorted({r["sparsity"] for r in rows}):
        accs = {m: _seeds(rows, m, s) for m in methods}
        best = max((m for m in methods if accs[m]), key=lambda m: mean(accs[m].values()))
        dense = mean({r["seed"]: r["dense_accuracy"] for r in rows if r["sparsity"] == s}.values())
        cells = []
        for m in methods:
            if not accs[m]:
                cells.append("not run")
                continue
            text = (f"{acc(mean(accs[m].values()))} ({acc(min(accs[m].values()))}, "
                    f"{len(accs[m])} seeds)")
            cells.append(f"**{text}**" if m == best else text)
        out.append([pct(s), acc(dense)] + cells)
    return md_table(["sparsity", "dense"] + [f"`{labels[m]}`" for m in methods], out)


@renderer("sparsity_lf_verdicts")
def sparsity_lf_verdicts(ctx, files, method="fip_ramp", model="lenet_300_100"):
    """Per sparsity, `method` against every other method over seeds: beats (ahead on
    every seed), level, behind (behind on every seed), with the means."""
    rows = _merged(ctx, files, model)
    labels = _labels(rows)
    lines = []
    for s in sorted({r["sparsity"] for r in rows}):
        a = _seeds(rows, method, s)
        if not a:
            raise RenderError(f"no {method} rows at {s}")
        parts = []
        for peer in dict.fromkeys(r["method"] for r in rows):
            if peer == method:
                continue
            b = _seeds(rows, peer, s)
            if not b:
                continue
            word = {"beats": "**beats**", "level": "is **level** with",
                    "behind": "is **behind**"}[verdict(a, b)]
            wins = sum(a[k] > b[k] for k in a if k in b)
            parts.append(f"{word} `{labels[peer]}` ({acc(mean(a.values()))} against "
                         f"{acc(mean(b.values()))}, ahead on {wins} of {len(a)} seeds)")
        lines.append(f"- {pct(s)}: `{method}` " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n"


@renderer("sparsity_lf_kept")
def sparsity_lf_kept(ctx, file, method="fip_ramp", model="lenet_300_100"):
    """What `method`'s paths kept, per sparsity: kept n/N (the rule: validation accuracy
    within 2 points of the start at every recorded point), and the lowest accuracy any
    recorded point measured, lowest-highest seed."""
    rows = [r for r in _rows(ctx.json(file), model) if r["method"] == method]
    parts = []
    for s in sorted({r["sparsity"] for r in rows}):
        sub = [r for r in rows if r["sparsity"] == s]
        low = [r["lowest_accuracy_on_path"] for r in sub]
        start = [r["accuracy_at_start"] for r in sub]
        parts.append(f"{pct(s)}: kept {sum(bool(r['kept']) for r in sub)}/{len(sub)}, lowest "
                     f"point {acc(min(low))}-{acc(max(low))} (start {acc(min(start))}-"
                     f"{acc(max(start))}), reached {sum(bool(r['reached']) for r in sub)}/"
                     f"{len(sub)}")
    return "; ".join(parts)


@renderer("sparsity_lf_hyperparameters")
def sparsity_lf_hyperparameters(ctx, files, model="lenet_300_100"):
    """The settings each method chose on its seed's validation split."""
    chosen = {}
    for entry in files.split(","):
        f, _, only = entry.partition(":")
        for m, h in ctx.json(f).get("hyperparameters", {}).get(model, {}).items():
            if not only or m in only.split("+"):
                chosen[m] = h
    if not chosen:
        raise RenderError(f"{files} record no hyperparameters for {model}")
    return "; ".join(f"`{m}` " + ", ".join(f"{k} {num(v)}" for k, v in h.items())
                     for m, h in chosen.items()) + "."


@renderer("sparsity_path_summary")
def sparsity_path_summary(ctx, file):
    """Per method of a ``benchmarks/sparsity_path.py`` file: test accuracy over seeds,
    whether validation accuracy stayed within 2 points of dense at every recorded point,
    and the lowest recorded point against the dense network."""
    data = ctx.json(file)
    rows = data["rows"]
    out = []
    for method in dict.fromkeys(r["method"] for r in rows):
        sub = [r for r in rows if r["method"] == method]
        tests = [r["test_accuracy"] for r in sub]
        drops = [r["dense_validation"] - r["lowest_validation"] for r in sub]
        out.append([f"`{method}`", "no" if method != "gmp" else "yes",
                    f"{acc(mean(tests))} ({acc(min(tests))})",
                    f"{sum(r['kept'] for r in sub)}/{len(sub)}",
                    f"{100 * min(drops):.1f}-{100 * max(drops):.1f}",
                    str(len(sub[0]["points"]))])
    return md_table(["method", "reads labels", "test accuracy, mean (lowest)",
                     "kept along the path", "largest drop below dense on the path, points "
                     "(lowest-highest seed)", "recorded points"], out)


@renderer("sparsity_lf_commands")
def sparsity_lf_commands(ctx, files):
    """The commands recorded in the files (the plot's redraw command too, where kept)."""
    commands = []
    for f in files.split(","):
        data = ctx.json(f.partition(":")[0])
        commands.append(data["command"])
        if data.get("plot_command"):
            commands.append(data["plot_command"])
    return command_block(commands)
