"""The continual report's rows and plain-text tables."""


def format_then_sparsify(rows):
    """A plain-text table: each method's average accuracy before and after pruning."""
    pruned = [r for r in rows if "then_sparsify" in r]
    if not pruned:
        return ""
    width = max([10, *(len(r["method"]) for r in pruned)])
    header = f"{'method':<{width}} {'pruned by':<12} {'sparsity':>8} {'before':>8} {'after':>8}"
    lines = [header, "-" * len(header)]
    for r in pruned:
        done = r["then_sparsify"]
        if "skipped" in done:
            lines.append(f"{r['method']:<{width}} skipped: no memory")
            continue
        lines.append(f"{r['method']:<{width}} {done['method']:<12} {done['sparsity']:>8.4f} "
                     f"{done['average_before']:>8.4f} {done['average_after']:>8.4f}")
    return "\n".join(lines)


def result_rows(payload):
    """The payload's results as a list of dicts with a "method" key, for the plots and table:
    each FIP variant first, its DER twin beside it (`methods.twin_order`), then the rest."""
    from keras_fip.continual.methods import twin_order

    results = payload["results"]
    return [{"method": name, **results[name]} for name in twin_order(results)]


def format_table(rows):
    """A plain-text table of the summary numbers, one row per method, with its family
    and what it protects (anchor); a `der*` twin of the FIP variant above is marked."""
    width = max([10, *(len(r["method"]) for r in rows)])
    kinds = [f"{r.get('family') or '-'}/{r.get('anchor') or '-'}" for r in rows]
    kind_width = max([len("family/anchor"), *map(len, kinds)])
    header = (f"{'method':<{width}} {'family/anchor':<{kind_width}} {'avg acc':>8} {'BWT':>8} "
              f"{'forget':>8} {'seconds':>8}  twin")
    lines = [header, "-" * len(header)]
    for r, kind in zip(rows, kinds):
        lines.append(
            f"{r['method']:<{width}} {kind:<{kind_width}} {r['average_accuracy']:>8.4f} "
            f"{r['backward_transfer']:>8.4f} {r['forgetting']:>8.4f} {r['train_seconds']:>8.1f}"
            + (f"  {r['twin']}" if r.get("twin") else ""))
    return "\n".join(lines)


