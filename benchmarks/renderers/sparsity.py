"""Sparsification: test accuracy per method and sparsity, the FIP path's record, verdicts."""

from .base import RenderError, acc, command_block, md_table, mean, num, renderer, verdict

FILES = {
    "lenet_300_100": "sparsity_mnist_lenet.json",
    "reference_cnn": "sparsity_mnist_cnn.json",
    "lenet5": "sparsity_mnist_lenet5.json",
}
TITLES = {"lenet_300_100": "LeNet-300-100", "reference_cnn": "the notebook's CNN", "lenet5": "LeNet-5"}
FIP_METHODS = ("fip", "fip_pull", "fip_reference")  # and any other fip* name


def data_for(ctx, model):
    if model not in FILES:
        raise RenderError(f"no sparsity file for {model!r}; models: {', '.join(FILES)}")
    return ctx.json(FILES[model])


def rows_of(data, model):
    return [r for r in data["rows"] if r["model"] == model]


def methods_of(data, model):
    return list(dict.fromkeys(r["method"] for r in rows_of(data, model)))


def sparsities_of(data, model):
    return sorted(set(r["sparsity"] for r in rows_of(data, model)))


def seeds_acc(data, model, method, sparsity):
    return {r["seed"]: r["accuracy"] for r in rows_of(data, model)
            if r["method"] == method and r["sparsity"] == sparsity}


def pct(s):
    return f"{100 * s:g}%"


def arrival(rows):
    """What the FIP rows record about the path before the snap."""
    reached = sum(bool(r.get("reached")) for r in rows)
    kept = [r["kept"] for r in rows if "kept" in r]
    at_arrival = [r["accuracy_at_arrival"] for r in rows if r.get("accuracy_at_arrival") is not None]
    pulls = [r["max_pull"] for r in rows if r.get("max_pull") is not None]
    last = [r["path"][-1]["val_accuracy"] for r in rows if r.get("path") and "val_accuracy" in r["path"][-1]]
    if not pulls:
        pulls = [max(p["pull"] for p in r["path"] if "pull" in p) for r in rows
                 if r.get("path") and any("pull" in p for p in r["path"])]
    return dict(n=len(rows), reached=reached, kept=(sum(bool(k) for k in kept) if len(kept) == len(rows) else None),
                at_arrival=at_arrival if len(at_arrival) == len(rows) else None,
                last=last if len(last) == len(rows) else None, pull=max(pulls) if pulls else None)


def arrival_cells(a):
    kept = f"{a['kept']}/{a['n']}" if a["kept"] is not None else "not recorded"
    if a["at_arrival"]:
        at = f"{acc(min(a['at_arrival']), 2)}-{acc(max(a['at_arrival']), 2)}"
    else:
        at = "not recorded"
    last = f"{acc(min(a['last']), 2)}-{acc(max(a['last']), 2)}" if a["last"] else "not recorded"
    pull = num(a["pull"]) if a["pull"] is not None else "not recorded"
    return [f"{a['reached']}/{a['n']}", kept, at, last, pull]


@renderer("sparsity_table")
def sparsity_table(ctx, model):
    """Test accuracy per sparsity and method, mean (lowest seed), best mean in bold:
    ``sparsity_table model=lenet_300_100``."""
    data = data_for(ctx, model)
    methods = methods_of(data, model)
    header = ["sparsity", "dense"] + [f"`{m}`" for m in methods]
    rows = []
    for s in sparsities_of(data, model):
        dense = mean({r["seed"]: r["dense_accuracy"] for r in rows_of(data, model) if r["sparsity"] == s}.values())
        means = {m: seeds_acc(data, model, m, s) for m in methods}
        best = max(methods, key=lambda m: mean(means[m].values()) if means[m] else -1)
        cells = []
        for m in methods:
            if not means[m]:
                cells.append("not run")
                continue
            text = f"{acc(mean(means[m].values()))} ({acc(min(means[m].values()))})"
            cells.append(f"**{text}**" if m == best else text)
        rows.append([pct(s), acc(dense)] + cells)
    return md_table(header, rows)


@renderer("sparsity_arrival")
def sparsity_arrival(ctx, model):
    """What each FIP method's path did before the snap, per sparsity: ``reached`` (the set),
    ``kept`` (validation accuracy at arrival within 1 point of the start), accuracy at
    arrival, the accuracy the last path record measured, the largest pull."""
    data = data_for(ctx, model)
    rows = []
    for m in [m for m in methods_of(data, model) if m.startswith("fip")]:
        for s in sparsities_of(data, model):
            frows = [r for r in rows_of(data, model) if r["method"] == m and r["sparsity"] == s]
            steps = [r.get("path_steps") for r in frows if r.get("path_steps") is not None]
            rows.append([f"`{m}`", pct(s)] + arrival_cells(arrival(frows))
                        + [f"{min(steps)}-{max(steps)}" if steps else "not recorded"])
    return md_table(["method", "sparsity", "reached", "kept", "validation accuracy at arrival",
                     "accuracy at the last path record (lowest-highest seed)", "largest pull", "path steps"], rows)


@renderer("sparsity_verdicts")
def sparsity_verdicts(ctx, model, method=None):
    """Per sparsity, each FIP method (or ``method=``) against every peer over seeds
    (beats / level / behind)."""
    data = data_for(ctx, model)
    peers = [m for m in methods_of(data, model) if not m.startswith("fip")]
    fips = [method] if method else [m for m in methods_of(data, model) if m.startswith("fip")]
    lines = []
    for method, s in [(m, s) for m in fips for s in sparsities_of(data, model)]:
        a = seeds_acc(data, model, method, s)
        if not a:
            continue
        parts = []
        for p in peers:
            b = seeds_acc(data, model, p, s)
            word = {"beats": "beats", "level": "is level with", "behind": "is behind"}[verdict(a, b)]
            parts.append(f"{word} `{p}`")
        lines.append(f"- {pct(s)}: `{method}` " + ", ".join(parts) + ".")
    return "\n".join(lines) + "\n"


@renderer("sparsity_hyperparameters")
def sparsity_hyperparameters(ctx, model):
    """The hyperparameters chosen on validation data, per method."""
    data = data_for(ctx, model)
    chosen = data.get("hyperparameters", {}).get(model, {})
    if not chosen:
        return "Hyperparameters: not recorded.\n"
    parts = [f"`{m}` " + ", ".join(f"{k} {num(v)}" for k, v in h.items()) for m, h in chosen.items()]
    return "Chosen on validation data: " + "; ".join(parts) + ".\n"


@renderer("sparsity_commands")
def sparsity_commands(ctx, models="lenet_300_100,reference_cnn,lenet5"):
    """The commands the sparsity files record."""
    return command_block([data_for(ctx, m)["command"] for m in models.split(",")])


@renderer("sparsity_headline")
def sparsity_headline(ctx, sparsities="0.95,0.98,0.99", models="lenet_300_100,reference_cnn,lenet5"):
    """Mean test accuracy, methods as rows, model x sparsity as columns; the FIP row says
    how many paths reached the set and how many kept the function."""
    wanted = [float(s) for s in sparsities.split(",")]
    cols, header = [], ["method"]
    for model in models.split(","):
        for s in wanted:
            cols.append((model, s))
            header.append(f"{TITLES.get(model, model)} {pct(s)}")
    methods = []
    for model in models.split(","):
        methods += [m for m in methods_of(data_for(ctx, model), model) if m not in methods]
    best = {}
    for model, s in cols:
        data = data_for(ctx, model)
        scores = {m: mean(seeds_acc(data, model, m, s).values()) for m in methods if seeds_acc(data, model, m, s)}
        best[(model, s)] = max(scores, key=scores.get)
    rows = []
    for m in methods:
        cells = []
        for model, s in cols:
            data = data_for(ctx, model)
            a = seeds_acc(data, model, m, s)
            text = acc(mean(a.values())) if a else "not run"
            cells.append(f"**{text}**" if best[(model, s)] == m else text)
        label = f"`{m}`"
        if m.startswith("fip"):
            frows = [r for model, s in cols for r in rows_of(data_for(ctx, model), model)
                     if r["method"] == m and r["sparsity"] == s]
            a = arrival(frows)
            kept = f"{a['kept']}/{a['n']}" if a["kept"] is not None else "not recorded"
            label += f" (reached in {a['reached']} of these {a['n']} runs, kept {kept})"
        rows.append([label] + cells)
    return md_table(header, rows)


@renderer("sparsity_density")
def sparsity_density(ctx, model, sparsity, methods=None):
    """The smallest fraction of nonzero weights left in any kernel (lowest over seeds), per method."""
    data = data_for(ctx, model)
    s = float(sparsity)
    names = methods.split(",") if methods else methods_of(data, model)
    parts = []
    for m in names:
        values = [r["min_layer_density"] for r in rows_of(data, model) if r["method"] == m and r["sparsity"] == s]
        if values:
            parts.append(f"`{m}` {num(min(values))}")
    return ", ".join(parts)


@renderer("sparsity_last_record")
def sparsity_last_record(ctx, model, sparsity, method="fip_pull"):
    """The accuracy the FIP path's last record measured before the snap, lowest-highest seed."""
    data = data_for(ctx, model)
    frows = [r for r in rows_of(data, model) if r["method"] == method and r["sparsity"] == float(sparsity)]
    a = arrival(frows)
    return f"{acc(min(a['last']), 2)}-{acc(max(a['last']), 2)}" if a["last"] else "not recorded"


@renderer("sparsity_cli_table")
def sparsity_cli_table(ctx, files):
    """One-seed ``keras-fip sparsify`` reports side by side: per report (its
    ``--min-density``), each method's test accuracy and sparsest kernel's density."""
    rows, methods = [], []
    reports = [ctx.json(f) for f in files.split(",")]
    for report in reports:
        methods += [r["method"] for r in report["results"] if r["method"] not in methods]
    for f, report in zip(files.split(","), reports):
        by = {r["method"]: r for r in report["results"]}
        floor = num(report["config"].get("min_density", 0.0))
        rows.append([f"`--min-density {floor}`: test accuracy (dense {acc(report['dense_accuracy'])})"]
                    + [acc(by[m]["accuracy"]) if m in by else "not run" for m in methods])
        rows.append([f"`--min-density {floor}`: sparsest kernel's density"]
                    + [num(by[m]["min_layer_density"]) if m in by else "not run" for m in methods])
        rows.append([f"`--min-density {floor}`: FIP path reached, kept"]
                    + [(("reached" if by[m].get("reached") else "not reached") + ", "
                        + ("kept" if by[m].get("kept") else ("not kept" if "kept" in by[m] else "kept not recorded")))
                       if m in by and m.startswith("fip") else "" for m in methods])
    return md_table(["seed 0, one run"] + [f"`{m}`" for m in methods], rows)


@renderer("sparsity_reach_summary")
def sparsity_reach_summary(ctx, method=None, sparsities="0.98,0.99", models="lenet_300_100,reference_cnn,lenet5"):
    """One sentence per FIP method over every model's runs: how many paths reached the
    set, how many kept the function (or "not recorded"), the accuracy at arrival (or,
    where not recorded, the one the path's last record measured) at the given
    sparsities, and the largest pull."""
    rows = []
    for model in models.split(","):
        rows += rows_of(data_for(ctx, model), model)
    fips = [method] if method else list(dict.fromkeys(r["method"] for r in rows if r["method"].startswith("fip")))
    sentences = []
    for method in fips:
        frows = [r for r in rows if r["method"] == method]
        if not frows:
            raise RenderError(f"no {method} rows")
        a = arrival(frows)
        kept = (f"it kept the function in {a['kept']} of them" if a["kept"] is not None
                else "whether it kept the function is not recorded for these runs")
        parts = []
        for sp in sparsities.split(","):
            sub = arrival([r for r in frows if r["sparsity"] == float(sp)])
            values = sub["at_arrival"] or sub["last"]
            if values:
                parts.append(f"{acc(min(values), 2)}-{acc(max(values), 2)} at {pct(float(sp))}")
        what = ("validation accuracy at arrival" if a["at_arrival"] else
                "accuracy its last record measured on training images before the snap")
        text = f"`{method}`'s path reached the sparse set in {a['reached']} of {a['n']} runs; {kept}"
        if parts:
            text += f"; the {what} was " + " and ".join(parts)
        if a["pull"] is not None:
            text += f", with the pull raised to at most {num(a['pull'])}"
        elif not a["last"]:
            text += " (the path's record is not in these files)"
        sentences.append(text + ".")
    return " ".join(sentences)


@renderer("sparsity_best_count")
def sparsity_best_count(ctx, method="gmp", sparsities="0.95,0.98,0.99", models="lenet_300_100,reference_cnn,lenet5"):
    """In how many (model, sparsity) cells a method has the best mean: "7 of 9"."""
    wins = total = 0
    for model in models.split(","):
        data = data_for(ctx, model)
        for s in sparsities.split(","):
            scores = {m: mean(seeds_acc(data, model, m, float(s)).values())
                      for m in methods_of(data, model) if seeds_acc(data, model, m, float(s))}
            total += 1
            wins += max(scores, key=scores.get) == method
    return f"{wins} of {total}"


@renderer("sparsity_pull_note")
def sparsity_pull_note(ctx, weight="0.1", models="lenet_300_100,reference_cnn,lenet5"):
    """Which FIP methods the committed runs hold, and whether each grew its pull beyond
    ``weight`` (``fip_pull`` does, to force an arrival; ``fip`` keeps it constant)."""
    rows = []
    for model in models.split(","):
        rows += rows_of(data_for(ctx, model), model)
    fips = list(dict.fromkeys(r["method"] for r in rows if r["method"].startswith("fip")))
    parts = []
    for m in fips:
        a = arrival([r for r in rows if r["method"] == m])
        if a["pull"] is None:
            parts.append(f"`{m}` (its pull is not recorded in these files)")
        elif a["pull"] > float(weight) * 1.0001:
            parts.append(f"`{m}`, whose pull grew until the path arrived")
        else:
            parts.append(f"`{m}`, whose pull stayed constant")
    return "The FIP method in these runs: " + "; ".join(parts) + "."


@renderer("sparsity_run_table")
def sparsity_run_table(ctx, file):
    """One ``keras-fip sparsify`` report (one seed): per method and target, test accuracy,
    and for FIP methods reached, kept, validation accuracy at the start, at arrival and
    after the snap, the largest pull and the path steps."""
    report = ctx.json(file)
    rows = []
    for r in report["results"]:
        fip = r["method"].startswith("fip")
        def field(key, f=acc):
            return f(r[key]) if r.get(key) is not None else ("not recorded" if fip else "")
        yes = lambda v: "yes" if v else "no"
        rows.append([f"`{r['method']}`", pct(r["target_sparsity"]), acc(r["accuracy"]),
                     field("reached", yes), field("kept", yes), field("accuracy_at_start"),
                     field("accuracy_at_arrival"), field("accuracy_at_snap"), field("max_pull", num),
                     r.get("path_steps", "") if fip else ""])
    return md_table(["method", "sparsity", "test accuracy", "reached", "kept", "validation accuracy at start",
                     "at arrival", "after the snap", "largest pull", "path steps"], rows)


@renderer("sparsity_run_summary")
def sparsity_run_summary(ctx, file):
    """One ``keras-fip sparsify`` report in a line: each method's test accuracy, and for
    FIP methods whether the path reached the set and kept the function."""
    report = ctx.json(file)
    parts = []
    for r in report["results"]:
        text = f"`{r['method']}` {acc(r['accuracy'])}"
        if r["method"].startswith("fip"):
            reached = "reached the set" if r.get("reached") else "did not reach the set"
            kept = ("kept the function" if r.get("kept") else "lost the function") if "kept" in r else "kept not recorded"
            text += f" ({reached}, {kept} on the way"
            if r.get("accuracy_at_snap") is not None:
                text += f", {acc(r['accuracy_at_snap'])} after the snap"
            text += ")"
        parts.append(text)
    targets = sorted({r["target_sparsity"] for r in report["results"]})
    steps = report.get("config", {}).get("steps")
    head = f"at {', '.join(pct(t) for t in targets)}" + (f", {steps} steps" if steps else "")
    return head + ": " + ", ".join(parts)
