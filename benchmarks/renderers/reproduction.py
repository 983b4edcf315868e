"""REPRODUCTION.md: the paper's claims as the reference runs them, then each departure alone."""

from .base import RenderError, acc, md_table, mean, num, points, renderer, verdict

REPRO = "reproduction_sparsity.json"


def _spread(values):
    """`mean (lowest)` over seeds, with the number of seeds."""
    return f"{acc(mean(values))} ({acc(min(values))}, {len(values)} seeds)"


def _by_seed(rows, run, key="accuracy"):
    return {r["seed"]: r[key] for r in rows if r["run"] == run and r.get(key) is not None}


def _count(rows, run, key):
    mine = [r for r in rows if r["run"] == run]
    return f"{sum(bool(r[key]) for r in mine)}/{len(mine)}"


@renderer("repro_two_task")
def two_task(ctx):
    """The two-task row: each task's accuracy after task B, FIP against fine-tuning."""
    data = ctx.json("two_task_mnist_permuted.json")
    last = {}
    for run in data["runs"]:
        for method in ("fip", "finetune"):
            records = run["path"][method]["records"]
            last.setdefault(method, {})[run["seed"]] = records[-1]
    fip_a = {s: r["A_accuracy"] for s, r in last["fip"].items()}
    ft_a = {s: r["A_accuracy"] for s, r in last["finetune"].items()}
    fip_b = {s: r["B_accuracy"] for s, r in last["fip"].items()}
    ft_b = {s: r["B_accuracy"] for s, r in last["finetune"].items()}
    before = [run["before_B"]["A"] for run in data["runs"]]
    word = ("**holds**: task A above fine-tuning on every seed"
            if verdict(fip_a, ft_a) == "beats" else "**does not hold** on every seed")
    return (f"task A {acc(mean(before))} before task B, then {_spread(fip_a.values())} "
            f"with FIP against {_spread(ft_a.values())} fine-tuned; task B "
            f"{acc(mean(fip_b.values()))} against {acc(mean(ft_b.values()))}. {word}")


def _continual_by_seed(data, method):
    return {r["seed"]: r["average_accuracy"] for r in data["runs"] if r["method"] == method}


@renderer("repro_split_mnist")
def split_mnist(ctx, file="continual_mnist_tuned.json", method="fip",
                peers="finetune,ewc,derpp,joint"):
    """The split-MNIST row: the paper's `fip` beside the peers, average accuracy over tasks."""
    data = ctx.json(file)
    ours = _continual_by_seed(data, method)
    parts = [f"`{method}` {_spread(ours.values())}"]
    for peer in peers.split(","):
        theirs = _continual_by_seed(data, peer)
        if not theirs:
            raise RenderError(f"{file} has no runs of {peer}")
        parts.append(f"`{peer}` {acc(mean(theirs.values()))} ({verdict(ours, theirs)})")
    return "; ".join(parts)


@renderer("repro_reference_sparsity")
def reference_sparsity(ctx, run="reference"):
    """The LeNet-300-100 row: the reference path as it ships, what it kept, where it ended."""
    rows = ctx.json(REPRO)["rows"]
    test = _by_seed(rows, run)
    if not test:
        raise RenderError(f"{REPRO} has no {run!r} rows")
    arrival = _by_seed(rows, run, "accuracy_at_arrival")
    snap = _by_seed(rows, run, "accuracy_at_snap")
    gap = _by_seed(rows, run, "gap")
    gmp = _by_seed(rows, "gmp")
    return (f"test {_spread(test.values())} after the cut; reached the sparse set "
            f"{_count(rows, run, 'reached')}, kept the function {_count(rows, run, 'kept')} "
            f"(validation {acc(mean(arrival.values()))} at arrival, "
            f"{acc(mean(snap.values()))} right after the cut); still "
            f"{num(round(mean(gap.values()), 2))} from the set; GMP {acc(mean(gmp.values()))} "
            f"({verdict(test, gmp)}). {_holds(rows, run)}")


def _holds(rows, run):
    """The claim holds when every seed's path reached the set and kept the function."""
    mine = [r for r in rows if r["run"] == run]
    if all(r["reached"] and r["kept"] for r in mine):
        return "**Holds**"
    if not any(r["reached"] for r in mine):
        return "**Does not hold as shipped**: the path keeps the function but never arrives"
    return "**Does not hold as shipped**: where the path arrives it has lost the function"


@renderer("repro_reference_cli")
def reference_cli(ctx, file="sparsity_cli_mnist_098_reference.json", method="fip_reference"):
    """The seed-0 figure of `keras-fip sparsify --methods fip_reference,...`."""
    rows = [r for r in ctx.json(file)["results"] if r["method"] == method]
    if not rows:
        raise RenderError(f"{file} has no {method} row")
    return acc(rows[0]["accuracy"])


@renderer("repro_cnn")
def cnn(ctx, sparsity="0.99", method="fip_pull", peer="gmp"):
    """The notebook's CNN row, from the 3-seed sparsity benchmark."""
    data = ctx.json("sparsity_mnist_cnn.json")
    target = float(sparsity)
    ours = {r["seed"]: r["accuracy"] for r in data["rows"]
            if r["method"] == method and r["sparsity"] == target}
    theirs = {r["seed"]: r["accuracy"] for r in data["rows"]
              if r["method"] == peer and r["sparsity"] == target}
    if not ours or not theirs:
        raise RenderError(f"sparsity_mnist_cnn.json lacks {method} or {peer} at {sparsity}")
    return (f"`{method}` {_spread(ours.values())} against `{peer}` "
            f"{_spread(theirs.values())}: **{verdict(ours, theirs)}**")


@renderer("repro_ensembles")
def ensembles(ctx, attack="pgd", eps="0.2", attacker="transfer"):
    """The robust-ensemble row: accuracy under a transfer attack, FIP ensemble against peers."""
    results = ctx.json("robustness_mnist_issue14_final.json")["summary"]["results"][attacker]

    def per_seed(method):
        return dict(enumerate(results[method][attack][eps]["values"]))

    ours = per_seed("fip_ensemble")
    parts = [f"`fip_ensemble` {_spread(ours.values())}"]
    for peer in ("single", "deep_ensemble", "fge_ensemble"):
        theirs = per_seed(peer)
        parts.append(f"`{peer}` {acc(mean(theirs.values()))} ({verdict(ours, theirs)})")
    return "; ".join(parts)


@renderer("repro_departures")
def departures(ctx):
    """One row per run of the reproduction benchmark: the reference, each departure alone,
    the project's paths and the peers."""
    data = ctx.json(REPRO)
    rows = data["rows"]
    reference = _by_seed(rows, "reference")
    described = dict(data["departures"])
    described.update(
        reference="the reference path as it ships",
        fip="all the project's departures, pull growth off (`keras-fip sparsify` fip)",
        fip_pull="all the project's departures, pull growth on (fip_pull)",
        oneshot="peer: one global magnitude cut, then fine-tuning (labels)",
        gmp="peer: gradual global magnitude pruning, cubic schedule (labels)")
    table = []
    for run in dict.fromkeys(r["run"] for r in rows):
        test = _by_seed(rows, run)
        shared = {s: test[s] - reference[s] for s in test if s in reference}
        has_path = any("kept" in r for r in rows if r["run"] == run)
        arrival = _by_seed(rows, run, "accuracy_at_arrival")
        pulls = [r["max_pull"] for r in rows if r["run"] == run and r.get("max_pull") is not None]
        table.append([
            f"`{run}`", described.get(run, "not described"), _spread(test.values()),
            points(mean(shared.values())) if shared and run != "reference" else "",
            _count(rows, run, "reached") if has_path else "",
            _count(rows, run, "kept") if has_path else "",
            acc(mean(arrival.values())) if arrival else "",
            num(max(pulls)) if pulls else ""])
    return md_table(["run", "what it changes", "test accuracy, mean (lowest)",
                     "against the reference, points", "reached", "kept",
                     "validation at arrival", "largest pull"], table)


@renderer("repro_settings")
def settings(ctx, key):
    """One setting of the reproduction benchmark (`steps`, `sparsity`, ...)."""
    value = ctx.json(REPRO)["settings"][key]
    return f"{100 * value:g}%" if key == "sparsity" else num(value)


@renderer("repro_continual_departure")
def continual_departure(ctx, file, method, base_file="continual_mnist_tuned.json", base="fip"):
    """A continual departure measured alone: `method` (in `file`) against the paper's
    `fip` (in `base_file`), average accuracy over tasks, per seed."""
    ours = _continual_by_seed(ctx.json(file), method)
    reference = _continual_by_seed(ctx.json(base_file), base)
    if not ours or not reference:
        raise RenderError(f"no runs of {method} in {file} or of {base} in {base_file}")
    shared = {s: ours[s] - reference[s] for s in ours if s in reference}
    return (f"{_spread(ours.values())}, {points(mean(shared.values()))} points against "
            f"`{base}` ({verdict(ours, reference)})")


@renderer("repro_departures_summary")
def departures_summary(ctx):
    """What each departure alone did to the reference, in words computed from the rows."""
    data = ctx.json(REPRO)
    rows = data["rows"]
    reference = _by_seed(rows, "reference")
    lines = []
    for run in data["departures"]:
        test = _by_seed(rows, run)
        if not test:
            continue
        gain = mean(test[s] - reference[s] for s in test if s in reference)
        word = verdict(test, reference)
        word = {"beats": "above the reference on every seed",
                "behind": "below the reference on every seed",
                "level": "level with the reference"}[word]
        if all(abs(test[s] - reference[s]) < 5e-4 for s in test if s in reference):
            word = "the same as the reference to the last figure on every seed"
        mine = [r for r in rows if r["run"] == run]
        reached = sum(bool(r["reached"]) for r in mine)
        kept = sum(bool(r["kept"]) for r in mine)
        lines.append(f"- `{run}`: {points(gain)} points, {word}; reached the set on "
                     f"{reached} of {len(mine)} seeds, kept the function on {kept}.")
    return "\n".join(lines) + "\n"
