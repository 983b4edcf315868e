"""Continual learning: the tuned class-incremental tables, the families, the verdicts."""

import re

from .base import (RenderError, acc, command_block, compare_phrase, family, md_table,
                   mean, num, renderer, verdict)

# Each set: the files, in order (a later file's rows replace an earlier one's for the
# methods both ran), then any other file matching `glob` whose settings match `match`
# (new runs land in the table without editing this list), minus `exclude`.
SETS = {
    "mnist20": dict(
        files=["continual_mnist_tuned.json", "continual_mnist_tuned_views.json",
               "continual_mnist_tuned_fip_views_grid3.json", "continual_mnist_tuned_fip_views_labels.json"],
        glob="continual_mnist_tuned*.json",
        match=dict(memory_per_class=20, tune=True, epochs=5),
        exclude=["continual_mnist_tuned_grid1.json", "continual_mnist_tuned_fip_variants.json"],
        title="MNIST, 20 stored per class",
    ),
    "mnist50": dict(
        files=["continual_mnist_tuned_memory50.json", "continual_mnist_tuned_memory50_views.json",
               "continual_mnist_tuned_memory50_fip_views_grid3.json",
               "continual_mnist_tuned_memory50_fip_views_labels.json"],
        glob="continual_mnist_tuned*.json",
        match=dict(memory_per_class=50, tune=True, epochs=5),
        exclude=[],
        title="MNIST, 50 stored per class",
    ),
    "digits20": dict(
        files=["continual_digits_tuned.json", "continual_digits_tuned_views.json"],
        glob="continual_digits_tuned*.json",
        match=dict(memory_per_class=20, tune=True),
        exclude=[],
        title="the embedded digits, 20 stored per class",
    ),
    "digits_domain": dict(files=["continual_digits_domain.json"], title="the digits, domain-incremental"),
    "digits_task": dict(files=["continual_digits_task.json"], title="the digits, task-incremental"),
    "digits50": dict(files=["continual_digits_memory50.json"], title="the digits, 50 stored per class"),
}

ORDER = ["fip", "der", "replay", "regularisation", "baseline"]


def set_files(ctx, name):
    spec = SETS.get(name)
    if spec is None:
        raise RenderError(f"no continual set {name!r}; sets: {', '.join(SETS)}")
    files = [f for f in spec["files"] if ctx.exists(f)]
    if spec.get("glob"):
        for f in ctx.glob(spec["glob"]):
            if f in files or f in spec["exclude"]:
                continue
            settings = ctx.json(f).get("settings", {})
            if all(settings.get(k) == v for k, v in spec["match"].items()):
                files.append(f)
    if not files:
        raise RenderError(f"no results file for continual set {name!r}")
    return files


def load_set(ctx, name):
    """{method: {"runs": {seed: run}, "file": f, "record": summary entry}}, later files winning."""
    methods = {}
    for f in set_files(ctx, name):
        data = ctx.json(f)
        by_method = {}
        for run in data.get("runs", []):
            by_method.setdefault(run["method"], {})[run["seed"]] = run
        for method, runs in by_method.items():
            record = dict(data.get("summary", {}).get(method, {}))
            first = next(iter(runs.values()))
            for key in ("family", "anchor"):
                if key in first and key not in record:
                    record[key] = first[key]
            if "refresh_anchors" in first.get("hyperparameters", {}):
                record["refresh_anchors"] = first["hyperparameters"]["refresh_anchors"]
            record["keras_fip_version"] = data.get("versions", {}).get("keras_fip")
            methods[method] = dict(runs=runs, file=f, record=record, command=data.get("command"))
    return methods


def ordered(methods):
    def key(m):
        fam, _ = family(m, methods[m]["record"])
        return (ORDER.index(fam) if fam in ORDER else len(ORDER), m)

    return sorted(methods, key=key)


def per_seed(entry, field="average_accuracy"):
    return {seed: run[field] for seed, run in entry["runs"].items()}


def chosen(run, method):
    tuning = run.get("tuning", {}).get(method)
    setting = tuning.get("chosen") if tuning else None
    if setting is None:
        return None
    return ", ".join(num(v) for v in setting.values())


def chosen_names(run, method):
    tuning = run.get("tuning", {}).get(method)
    return ", ".join(tuning["chosen"]) if tuning and tuning.get("chosen") else ""


@renderer("continual_table")
def continual_table(ctx, set):
    """One continual set as a table: family, anchor, mean and lowest seed of the average
    accuracy, forgetting, the settings chosen per seed: ``continual_table set=mnist20``."""
    methods = load_set(ctx, set)
    rows = []
    for m in ordered(methods):
        entry = methods[m]
        fam, anchor = family(m, entry["record"])
        acc_seeds = per_seed(entry)
        seeds = sorted(entry["runs"])
        settings = [chosen(entry["runs"][s], m) for s in seeds]
        names = chosen_names(entry["runs"][seeds[0]], m)
        if all(not x for x in settings):
            setting_text = "defaults (not tuned)" if m not in ("finetune", "joint") else "nothing to tune"
        else:
            setting_text = f"{names}: " + " / ".join(x or "-" for x in settings)
        rows.append([f"`{m}`", fam, anchor, acc(mean(acc_seeds.values())), acc(min(acc_seeds.values())),
                     acc(mean(per_seed(entry, "forgetting").values())), len(seeds), setting_text])
    return md_table(["method", "family", "anchor", "average accuracy (mean)", "lowest seed", "forgetting (mean)",
                     "seeds", "chosen on validation, per seed"], rows)


@renderer("continual_headline")
def continual_headline(ctx, sets="mnist20,mnist50"):
    """Mean (lowest seed) per method over several sets side by side, with the family:
    ``continual_headline sets=mnist20,mnist50``."""
    names = sets.split(",")
    loaded = [load_set(ctx, n) for n in names]
    every = {}
    for methods in loaded:
        every.update(methods)
    rows = []
    for m in ordered(every):
        fam, anchor = family(m, every[m]["record"])
        cells = []
        for methods in loaded:
            if m in methods:
                a = per_seed(methods[m])
                cells.append(f"{acc(mean(a.values()))} ({acc(min(a.values()))})")
            else:
                cells.append("not run")
        rows.append([f"`{m}`", fam, anchor] + cells)
    header = ["method", "family", "anchor"] + [f"{SETS[n]['title']}: mean (lowest seed)" for n in names]
    return md_table(header, rows)


def peers_of(method, methods):
    """The DER-family methods with the same ingredients as a FIP method: ``der`` + the
    same suffix (``fip_views`` -> ``der_views``; an option ``[views=4]`` reads as
    ``_views``); DER++ where the FIP method has labels (``derpp`` + the suffix without
    ``_labels``); and for the paper's ``fip`` both DER and DER++, its usual peers."""
    suffix = method[len("fip"):]
    suffix = re.sub(r"\[views=\d+\]", "_views", suffix)
    candidates = ["der" + suffix]
    if suffix == "":
        candidates.append("derpp")
    if suffix.endswith("_labels"):
        candidates.append("derpp" + suffix[: -len("_labels")])
    return [p for p in dict.fromkeys(candidates) if p in methods and p != method]


@renderer("continual_verdicts")
def continual_verdicts(ctx, set):
    """Each FIP-family method against the DER-family methods with the same ingredients
    (same name after the family prefix), and the best method of the set, as bullets:
    ``continual_verdicts set=mnist20``."""
    methods = load_set(ctx, set)
    lines = []
    fips = [m for m in ordered(methods) if family(m, methods[m]["record"])[0] == "fip"]
    for m in fips:
        peers = peers_of(m, methods)
        if not peers:
            lines.append(f"- `{m}`: no DER-family method with the same ingredients in this set.")
        for p in peers:
            lines.append("- " + compare_phrase(m, per_seed(methods[m]), p, per_seed(methods[p])) + ".")
    best = max(methods, key=lambda m: mean(per_seed(methods[m]).values()) if m != "joint" else -1)
    fam, anchor = family(best, methods[best]["record"])
    lines.append(f"- Highest mean apart from joint training: `{best}` ({fam} family, anchor {anchor}), "
                 f"{acc(mean(per_seed(methods[best]).values()))}.")
    if fips:
        top_fip = max(fips, key=lambda m: mean(per_seed(methods[m]).values()))
        if top_fip != best and best not in peers_of(top_fip, methods):
            lines.append("- " + compare_phrase(top_fip, per_seed(methods[top_fip]), best,
                                               per_seed(methods[best])) + ".")
    return "\n".join(lines) + "\n"


@renderer("continual_compare")
def continual_compare(ctx, set, a, b):
    """One comparison in words, every figure computed: ``continual_compare set=mnist20 a=fip b=derpp``."""
    methods = load_set(ctx, set)
    for m in (a, b):
        if m not in methods:
            raise RenderError(f"{m!r} is not in continual set {set!r}")
    return compare_phrase(a, per_seed(methods[a]), b, per_seed(methods[b]))


@renderer("continual_commands")
def continual_commands(ctx, set):
    """The commands behind a continual set, in the order their rows are merged."""
    return command_block([ctx.json(f)["command"] for f in set_files(ctx, set)])


@renderer("continual_files")
def continual_files(ctx, set):
    """The results files behind a continual set, as inline code."""
    return ", ".join(f"`{f}`" for f in set_files(ctx, set))


@renderer("continual_simple_table")
def continual_simple_table(ctx, file):
    """Any continual results file as a table (mean, lowest seed, family), no merging."""
    data = ctx.json(file)
    by_method = {}
    for run in data.get("runs", []):
        by_method.setdefault(run["method"], {})[run["seed"]] = run
    methods = {}
    for m, r in by_method.items():
        record = dict(data.get("summary", {}).get(m, {}))
        first = next(iter(r.values()))
        for key in ("family", "anchor"):
            if key in first:
                record.setdefault(key, first[key])
        if "refresh_anchors" in first.get("hyperparameters", {}):
            record["refresh_anchors"] = first["hyperparameters"]["refresh_anchors"]
        record["keras_fip_version"] = data.get("versions", {}).get("keras_fip")
        methods[m] = dict(runs=r, record=record)
    rows = []
    for m in ordered(methods):
        fam, anchor = family(m, methods[m]["record"])
        a = per_seed(methods[m])
        rows.append([f"`{m}`", fam, anchor, acc(mean(a.values())), acc(min(a.values())), len(a)])
    return md_table(["method", "family", "anchor", "average accuracy (mean)", "lowest seed", "seeds"], rows)


@renderer("continual_backends")
def continual_backends(ctx, file="continual_digits_backends.json"):
    """The same default run on TensorFlow and JAX (one seed)."""
    data = ctx.json(file)
    rows = []
    for m, by in data["methods"].items():
        fam, anchor = family(m, {**by, "keras_fip_version": data.get("versions", {}).get("keras_fip")})
        tf, jx = by["tensorflow"]["average_accuracy"], by["jax"]["average_accuracy"]
        rows.append([f"`{m}`", fam, acc(tf), acc(jx), f"{jx - tf:+.4f}"])
    return md_table(["method", "family", "TensorFlow", "JAX", "JAX - TensorFlow"], rows)


@renderer("two_task_table")
def two_task_table(ctx, file="two_task_mnist_permuted.json"):
    """The paper's two-task protocol: accuracy on both tasks along task B, mean over seeds."""
    data = ctx.json(file)
    before = mean(r["before_B"]["A"] for r in data["runs"])
    rows = [["0 (after task A)", acc(before), acc(0.0), acc(before), acc(0.0)]]
    for r in data["table_mean_over_seeds"]:
        rows.append([r["epoch"], acc(r["fip_A"]), acc(r["fip_B"]), acc(r["finetune_A"]), acc(r["finetune_B"])])
    return md_table(["epochs on task B", "fip: task A", "fip: task B", "finetune: task A", "finetune: task B"], rows)


@renderer("two_task_value")
def two_task_value(ctx, column, epoch="last", file="two_task_mnist_permuted.json", places="2"):
    """One cell of the two-task table: ``two_task_value column=fip_A [epoch=last|before]``."""
    data = ctx.json(file)
    if epoch == "before":
        return acc(mean(r["before_B"]["A"] for r in data["runs"]), int(places))
    rows = data["table_mean_over_seeds"]
    row = rows[-1] if epoch == "last" else next(r for r in rows if str(r["epoch"]) == epoch)
    return acc(row[column], int(places))


@renderer("rename_note")
def rename_note(ctx, report):
    """For a continual report under the repository root (``report=docs/x/report.json``):
    a note when it was written before the rename of the DER-family methods, else nothing."""
    import os

    from .base import RENAMED_IN_0_2, _version_tuple

    data = ctx.json(os.path.join(ctx.root, report))
    version = data.get("versions", {}).get("keras_fip")
    old = [m for m in data.get("results", {}) if m in RENAMED_IN_0_2]
    if not old or not version or _version_tuple(version) >= (0, 2):
        return ""
    names = ", ".join(f"`{m}`" for m in old)
    new = ", ".join(f"`{RENAMED_IN_0_2[m]}`" for m in old)
    return (f" Drawn before the DER-family methods were renamed: its {names} panels are "
            f"the methods now called {new}, which protect logits stored with each sample.")


@renderer("continual_plot_command")
def continual_plot_command(ctx, sets="mnist20,mnist50", out="benchmarks/results/continual_mnist_buffer.png",
                           skip="ewc,finetune"):
    """The ``benchmarks/plot_buffer.py`` command that draws the memory-size plot from the
    same files as the tables (a fenced block; run it to redraw the plot)."""
    files, methods = [], {}
    for name in sets.split(","):
        for f in set_files(ctx, name):
            if f not in files:
                files.append(f)
        methods.update(load_set(ctx, name))
    keep = [m for m in ordered(methods) if m not in skip.split(",")]
    paths = " ".join(f"benchmarks/results/{f}" for f in files)
    return command_block([f"python benchmarks/plot_buffer.py --out {out} --title \"MNIST, 5 tasks, "
                          f"class-incremental, tuned on validation\" --methods {','.join(keep)} {paths}"])
