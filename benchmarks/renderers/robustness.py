"""Robust ensembles: accuracy under attack, compute in training examples, verdicts."""

from .base import RenderError, acc, command_block, md_table, mean, num, points, renderer, verdict

FILE = "robustness_mnist_issue14_final.json"
SETTINGS = {"transfer": "from the start", "transfer_surrogate": "from a surrogate",
            "transfer_other_arch": "from an MLP", "white-box": "white-box"}


def summary(ctx, file):
    return ctx.json(file)["summary"]


def per_seed(ctx, file, setting, method, attack, eps):
    """{seed: accuracy} from the runs (the summary keeps values in seed order)."""
    data = ctx.json(file)
    out = {}
    for run in data["runs"]:
        seed = run["config"]["seed"]
        cell = run["results"][setting][method]
        out[seed] = cell["clean"] if attack == "clean" else cell[attack][eps]
    return out


def clean_full(ctx, file, method):
    return {run["config"]["seed"]: run["clean_accuracy"][method] for run in ctx.json(file)["runs"]}


def methods_of(ctx, file):
    return list(summary(ctx, file)["clean_accuracy"])


@renderer("robust_table")
def robust_table(ctx, attack="pgd", eps="0.2", file=FILE):
    """Clean accuracy (full test split) and accuracy under one attack from every attacker,
    mean (lowest seed): ``robust_table attack=pgd eps=0.2``."""
    settings = [s for s in SETTINGS if s in summary(ctx, file)["results"]]
    header = ["method", "clean, full test split"] + [f"{attack.upper()} {eps} {SETTINGS[s]}" for s in settings]
    rows = []
    for m in methods_of(ctx, file):
        c = clean_full(ctx, file, m)
        cells = [f"{acc(mean(c.values()), 3)} ({acc(min(c.values()), 3)})"]
        for s in settings:
            a = per_seed(ctx, file, s, m, attack, eps)
            cells.append(f"{acc(mean(a.values()), 3)} ({acc(min(a.values()), 3)})")
        rows.append([f"`{m}`"] + cells)
    return md_table(header, rows)


@renderer("robust_compute")
def robust_compute(ctx, file=FILE):
    """Compute per method in training examples through the network (mean over seeds);
    where a run lacks examples, steps x batch size; says whether validation passes count."""
    data = ctx.json(file)
    protocol = data["protocol"]
    batch = {"single": protocol["batch_size"], "deep_ensemble": protocol["batch_size"],
             "fge_ensemble": protocol.get("fge", {}).get("batch_size"),
             "snapshot_ensemble": protocol.get("snapshot", {}).get("batch_size")}
    for name, cfg in protocol.get("fip", {}).items():
        batch[name] = cfg.get("batch_size")
    examples = {}
    rows = []
    for m in methods_of(ctx, file):
        values, how = [], "recorded"
        for run in data["runs"]:
            comp = run["compute"][m]
            if comp.get("examples") is not None:
                values.append(comp["examples"])
            elif batch.get(m):
                values.append(comp["steps"] * batch[m])
                how = "steps x batch size"
            else:
                raise RenderError(f"no examples and no batch size for {m}")
        examples[m] = mean(values)
    deep = examples.get("deep_ensemble")
    for m in methods_of(ctx, file):
        comp = [run["compute"][m] for run in data["runs"]]
        counted = any("validation_examples" in c for c in comp)
        steps = mean(c["steps"] for c in comp)
        rows.append([f"`{m}`", f"{examples[m]:,.0f}", f"{steps:,.0f}", batch.get(m) or "not recorded",
                     f"{examples[m] / deep:.2f}" if deep else "not recorded",
                     "counted" if counted else "not counted"])
    return md_table(["method", "training examples (mean over seeds)", "steps", "batch size",
                     "examples / deep ensemble's", "validation passes"], rows)


@renderer("robust_verdicts")
def robust_verdicts(ctx, attack="pgd", eps="0.2", file=FILE):
    """Each FIP ensemble against every peer over seeds, from the start and from the
    surrogate, and its clean accuracy against the single network."""
    methods = methods_of(ctx, file)
    fips = [m for m in methods if m.startswith("fip")]
    peers = [m for m in methods if not m.startswith("fip") and m != "single"]
    words = {"beats": "beats", "level": "is level with", "behind": "is behind"}
    lines = []
    for m in fips:
        c, s = clean_full(ctx, file, m), clean_full(ctx, file, "single")
        diffs = [c[k] - s[k] for k in sorted(c)]
        lines.append(f"- `{m}`, clean accuracy against the single network it starts from: "
                     f"{' / '.join(points(d) for d in diffs)} points per seed, {points(mean(diffs))} on the mean "
                     f"({words[verdict(c, s)]} it).")
        for setting in ("transfer", "transfer_surrogate"):
            a = per_seed(ctx, file, setting, m, attack, eps)
            parts = []
            for p in peers:
                b = per_seed(ctx, file, setting, p, attack, eps)
                parts.append(f"{words[verdict(a, b)]} `{p}` ({acc(mean(a.values()), 3)} against {acc(mean(b.values()), 3)})")
            lines.append(f"- `{m}`, {attack.upper()} {eps} {SETTINGS[setting]}: " + "; ".join(parts) + ".")
    return "\n".join(lines) + "\n"


@renderer("robust_commands")
def robust_commands(ctx, file=FILE):
    """The command the robustness file records."""
    return command_block([ctx.json(file)["command"]])


@renderer("robust_clean_gain")
def robust_clean_gain(ctx, method="fip_ensemble", file=FILE):
    """Clean accuracy of an ensemble minus the single network's, mean over seeds, in points."""
    c, s = clean_full(ctx, file, method), clean_full(ctx, file, "single")
    return points(mean(c[k] - s[k] for k in c))


@renderer("robust_examples_ratio")
def robust_examples_ratio(ctx, method="fip_ensemble", peer="deep_ensemble", file=FILE):
    """Training examples of one method over another's (mean over seeds), as a percentage."""
    data = ctx.json(file)
    a = mean(run["compute"][method]["examples"] for run in data["runs"])
    b = mean(run["compute"][peer]["examples"] for run in data["runs"])
    return f"{100 * a / b:.0f}%"


@renderer("robust_hyperparameters")
def robust_hyperparameters(ctx, file=FILE):
    """The settings each ensemble ran with, from the file's protocol."""
    p = ctx.json(file)["protocol"]
    keys = ("step_length", "batch_size", "burn_in", "steps_between", "max_distance", "tolerance",
            "check_every", "diversity_weight", "max_candidates")
    parts = []
    for name, cfg in p.get("fip", {}).items():
        parts.append(f"`{name}` " + ", ".join(f"{k} {num(cfg[k])}" for k in keys if k in cfg))
    if "fge" in p:
        parts.append("`fge_ensemble` " + ", ".join(f"{k} {num(v)}" for k, v in p["fge"].items()))
    if "snapshot" in p:
        parts.append("`snapshot_ensemble` " + ", ".join(f"{k} {num(v)}" for k, v in p["snapshot"].items()))
    parts.append(f"the start and `deep_ensemble` epochs {num(p['epochs'])}, batch_size {num(p['batch_size'])}, "
                 f"learning_rate {num(p['learning_rate'])}")
    return "Settings: " + "; ".join(parts) + ".\n"
