"""Renderers that need no code: one JSON value, a verdict between two per-seed lists,
the command a results file records."""

from .base import RenderError, command_block, fmt, get, renderer, verdict


@renderer("value")
def value(ctx, file, path, fmt_="", **kw):
    """One JSON value: ``value file=F.json path=a/b/0/c [fmt=.4f|acc|pct|points|num|thousands]``;
    a path that selects a list (``runs[method=fip]/average_accuracy``) needs
    ``reduce=mean|min|max``."""
    spec = kw.pop("fmt", fmt_)
    reduce = kw.pop("reduce", None)
    if kw:
        raise RenderError(f"unknown arguments {sorted(kw)}")
    x = get(ctx.json(file), path)
    if isinstance(x, list):
        if reduce not in ("mean", "min", "max"):
            raise RenderError(f"{path!r} selects a list: give reduce=mean|min|max")
        x = {"mean": lambda v: sum(v) / len(v), "min": min, "max": max}[reduce](x)
    return fmt(x, spec)


@renderer("verdict")
def verdict_word(ctx, file, a, b, file_b=None):
    """``beats`` / ``level`` / ``behind`` between two per-seed lists (paired in order):
    ``verdict file=F a=path/to/values b=path/to/values [file_b=G]``."""
    xa = get(ctx.json(file), a)
    xb = get(ctx.json(file_b or file), b)
    if not isinstance(xa, list) or not isinstance(xb, list) or len(xa) != len(xb):
        raise RenderError("a and b must select lists of per-seed values of equal length")
    return verdict(xa, xb)


@renderer("command")
def command(ctx, file, path="command"):
    """The command a results file records, as inline code: ``command file=F.json``."""
    return f"`{get(ctx.json(file), path)}`"


@renderer("commands")
def commands(ctx, files, path="command"):
    """The commands several results files record, as a fenced block:
    ``commands files=a.json,b.json``."""
    return command_block([get(ctx.json(f), path) for f in files.split(",") if f])
