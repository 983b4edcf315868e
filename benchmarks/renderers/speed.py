"""Speed: the FIP step against a plain Keras step, on both backends; the bad-input audit."""

from .base import RenderError, md_table, renderer


def _new_format(data):
    """Whether a step-cost JSON is ``benchmarks/step_cost.py``'s since issue 26 (rows)."""
    return "rows" in data and "results" not in data


def _ms(value):
    return f"{value:.2f}" if isinstance(value, (int, float)) else "not measured"


def _ratio(row, key):
    value = row.get("ratios", {}).get(key, {}).get("median")
    return f"{value:.2f}" if isinstance(value, (int, float)) else "not measured"


def _verdict(row, key):
    target = row.get("targets", {}).get(key)
    if not target:
        return "not measured"
    return "pass" if target["pass"] else "**fail**"


def _load(ctx, file, stage):
    """A step-cost JSON, or one stage of ``benchmarks/gpu.sh``'s ``gpu.json``
    (``stage=step_cost_jit``). ``file=a.json,b.json``: the rows of ``a``, each replaced
    by ``b``'s row of the same backend, network, mode and precision (a longer rerun)."""
    files = file.split(",")
    data = ctx.json(files[0])
    if stage:
        try:
            data = data["stages"][stage]["results"]
        except (KeyError, TypeError):
            raise RenderError(f"no results of stage {stage!r} in {file}")
    if len(files) > 1:
        def key(row):
            return row["backend"], row["network"], row.get("mode"), row.get("precision")

        rows = {key(r): r for r in data["rows"]}
        for extra in files[1:]:
            rows.update({key(r): r for r in ctx.json(extra)["rows"]})
        data = {**data, "rows": list(rows.values())}
    return data


def _mode(row):
    """``xla``, ``jit``, ``graph`` or ``eager``, with the dtype policy when not float32."""
    mode = row.get("mode", "not recorded")
    precision = row.get("precision", "float32")
    return mode if precision == "float32" else f"{mode}, {precision}"


def _timed_rows(data):
    return [r for r in data["rows"] if "error" not in r]


@renderer("step_cost_table")
def step_cost_table(ctx, file="step_cost.json", stage=None):
    """``benchmarks/step_cost.py``: per backend and network, the plain step, the FIP step,
    FIP / plain (target 1.3), the plain step on task + memory samples and FIP / that
    (target 1.1). Files written before issue 26 (``results`` per MLP) give the old table;
    ``stage=NAME`` reads that stage of ``benchmarks/gpu.sh``'s ``gpu.json``."""
    data = _load(ctx, file, stage)
    if not _new_format(data):
        rows = [[name, f"{r['plain_step_ms_median']:.2f}", f"{r['fip_step_ms_median']:.2f}",
                 f"{r['ratio_median']:.2f}"] for name, r in data["results"].items()]
        return md_table(["network", "plain step (ms)", "FIP step (ms)", "FIP / plain"], rows)
    header = ["backend", "network", "mode", "batch + memory", "plain step (ms)", "FIP step (ms)",
              f"FIP / plain (at most {data['targets']['fip_over_plain']})", "plain step on both (ms)",
              f"FIP / plain on both (at most {data['targets']['fip_over_same_samples']})"]
    rows = []
    for r in data["rows"]:
        head = [r["backend"], r["label"], _mode(r),
                f"{r.get('batch', '?')} + {r.get('memory_batch', '?')}"]
        if "error" in r:
            rows.append(head + [f"failed: {r['error']}"] + [""] * 4)
            continue
        m = r["medians_ms"]
        rows.append(head + [
            _ms(m.get("plain")), _ms(m.get("fip")),
            f"{_ratio(r, 'fip_over_plain')} ({_verdict(r, 'fip_over_plain')})",
            _ms(m.get("plain_same_samples")),
            f"{_ratio(r, 'fip_over_same_samples')} ({_verdict(r, 'fip_over_same_samples')})"])
    return md_table(header, rows)


@renderer("step_cost_sweep")
def step_cost_sweep(ctx, file="step_cost.json", stage=None):
    """``benchmarks/step_cost.py``: the FIP step against the memory's size (stored per
    class), each size's step relative to the smallest memory's (median of per-repeat
    ratios) and whether every size is within the target (10%); ``stage`` as for
    ``step_cost_table``."""
    data = _load(ctx, file, stage)
    limit = data["targets"]["sweep_flat"]
    rows = []
    for r in _timed_rows(data):
        sweeps = [(r["label"], r.get("sweep", []))] + [
            (f"{r['label']}, `{sampling}` sampler", entries)
            for sampling, entries in r.get("sweep_by_sampler", {}).items()]
        for label, entries in sweeps:
            measured = [e for e in entries if "fip_ms_median" in e]
            if not measured:
                continue
            relative = [e["relative_to_smallest"] for e in measured if "relative_to_smallest" in e]
            change = max(abs(v - 1) for v in relative) if len(relative) >= 2 else None
            rows.append([
                r["backend"], label, _mode(r),
                " / ".join(f"{e['per_class']:,}" for e in measured),
                " / ".join(f"{e['fip_ms_median']:.2f}" for e in measured),
                " / ".join(f"{e['relative_to_smallest']:.2f}" if "relative_to_smallest" in e
                           else "not measured" for e in measured),
                "not measured" if change is None else
                f"{100 * change:.1f}% ({'pass' if change <= limit else '**fail**'})",
            ])
    return md_table(["backend", "network", "mode", "stored per class", "FIP step (ms)",
                     "relative to the smallest",
                     f"largest change (within {100 * limit:.0f}%)"], rows)


@renderer("step_cost_variants")
def step_cost_variants(ctx, file="step_cost.json", stage=None):
    """``benchmarks/step_cost.py``: what the non-finite input check costs (FIP step over
    the step with ``check_inputs=False``) and the single-pass route against the two-pass
    route (``single_pass=True`` / ``False``; which one the default took); ``stage`` as for
    ``step_cost_table``."""
    data = _load(ctx, file, stage)
    rows = []
    for r in _timed_rows(data):
        m = r["medians_ms"]
        if not any(k in m for k in ("fip_no_input_check", "fip_single_pass", "fip_two_pass")):
            continue
        active = r.get("single_pass_active", {}).get("fip")
        route = "not recorded" if active is None else ("single pass" if active else "two passes")
        single = m.get("fip") if active is True else m.get("fip_single_pass")
        two = m.get("fip") if active is False else m.get("fip_two_pass")
        rows.append([r["backend"], r["label"], _mode(r), _ms(m.get("fip")),
                     _ms(m.get("fip_no_input_check")), _ratio(r, "input_check"), route,
                     _ms(single), _ms(two), _ratio(r, "single_over_two_pass")])
    return md_table(["backend", "network", "mode", "FIP step (ms)", "without the input check (ms)",
                     "FIP / without", "default route", "single pass (ms)", "two passes (ms)",
                     "single / two"], rows)


@renderer("backend_step_cost_table")
def backend_step_cost_table(ctx, file):
    """``benchmarks/backend_step_cost.py`` before issue 26: per backend, network and mode, the
    ratio of a FIP step to a plain step (and to a plain step on task + memory samples when
    measured). A file the alias wrote since (format ``step_cost/2``) gets ``step_cost_table``."""
    data = ctx.json(file)
    if data.get("format") == "step_cost/2":
        return step_cost_table(ctx, file)
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


@renderer("masked_step_table")
def masked_step_table(ctx, files):
    """``benchmarks/sparsity_step_cost.py --masked``, one file per backend: masked
    fine-tuning steps against plain fine-tuning, the masks held in the step and after it."""
    where = {"jax": "in the compiled step", "tensorflow": "a `tf.function` after each step"}
    rows = []
    for file in files.split(","):
        data = ctx.json(file)
        labels = {"finetune": "plain fine-tuning (no mask)",
                  "holdmask": f"`HoldMask` ({where[data['backend']]})",
                  "holdmask_per_batch": "`HoldMask` (after each step, a sync first)",
                  "gradual": f"`GradualMask` ({where[data['backend']]})",
                  "gradual_per_batch": "`GradualMask` (after each step, a sync first)"}
        for key, label in labels.items():
            if key in data["ms_per_step_median"]:
                rows.append([data["backend"], label, f"{data['ms_per_step_median'][key]:.2f}",
                             f"{data['ratio_to_finetune_median'][key]:.2f}"])
    return md_table(["backend", "step", "ms per step (median)", "against plain fine-tuning"],
                    rows)


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
