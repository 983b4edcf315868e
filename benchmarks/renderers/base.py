"""What every renderer shares: the registry, the JSON loader, formatting, verdicts.

A renderer is a function ``fn(ctx, **args) -> str`` registered with ``@renderer("name")``.
``ctx.json("file.json")`` reads ``benchmarks/results/file.json`` (cached) under the root
the script was given. A block renderer returns whole lines (markdown), an inline one a
short string with no newline.
"""

from __future__ import annotations

import glob as _glob
import json
import os
import re

REGISTRY = {}


def renderer(name):
    """Register ``fn(ctx, **args)`` under ``name`` (the name used in the markers)."""

    def wrap(fn):
        if name in REGISTRY and REGISTRY[name] is not fn:
            raise ValueError(f"two renderers are named {name!r}")
        REGISTRY[name] = fn
        return fn

    return wrap


class RenderError(Exception):
    """A renderer could not produce its text (a missing file or key)."""


class Context:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.results = os.path.join(self.root, "benchmarks", "results")
        self._cache = {}

    def path(self, name):
        return name if os.path.isabs(name) else os.path.join(self.results, name)

    def exists(self, name):
        return os.path.exists(self.path(name))

    def json(self, name):
        path = self.path(name)
        if path not in self._cache:
            try:
                with open(path) as handle:
                    self._cache[path] = json.load(handle)
            except FileNotFoundError:
                raise RenderError(f"no results file {os.path.relpath(path, self.root)}")
        return self._cache[path]

    def glob(self, pattern):
        return sorted(os.path.basename(p) for p in _glob.glob(os.path.join(self.results, pattern)))


# --------------------------------------------------------------------------- paths


def get(obj, path):
    """Follow ``a/b/c`` through dicts and lists.

    A segment ``name[key=value]`` takes list ``name`` and keeps its items whose ``key``
    equals ``value`` (compared as strings); the rest of the path is then followed in
    each kept item and the answer is a list. ``*`` maps over a list or a dict's values.
    """
    segments = [s for s in path.split("/") if s]
    return _get(obj, segments, path)


def _get(obj, segments, full):
    if not segments:
        return obj
    head, rest = segments[0], segments[1:]
    match = re.fullmatch(r"([^\[]*)\[([^=\]]+)=([^\]]*)\]", head)
    if match:
        name, key, value = match.groups()
        items = obj[name] if name else obj
        kept = [item for item in items if str(item.get(key)) == value]
        return [_get(item, rest, full) for item in kept]
    if head == "*":
        items = obj.values() if isinstance(obj, dict) else obj
        return [_get(item, rest, full) for item in items]
    try:
        if isinstance(obj, list):
            return _get(obj[int(head)], rest, full)
        return _get(obj[head], rest, full)
    except (KeyError, IndexError, ValueError, TypeError):
        raise RenderError(f"no {head!r} on the way to {full!r}")


# ---------------------------------------------------------------------- formatting


def acc(x, places=4):
    """An accuracy or any value in [0, 1]: four places."""
    if x is None:
        return "not recorded"
    return f"{x:.{places}f}"


def points(diff):
    """A difference of two accuracies in points, signed: ``+0.7``."""
    return f"{100 * diff:+.1f}"


def num(x):
    """A compact general number: 1000, 0.03, 1e-05, 1.7e+06 -> 1.7e6."""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e5):
        return str(int(x))
    if isinstance(x, float):
        text = f"{x:.3g}"
        return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), text)
    return str(x)


def fmt(x, spec):
    if spec in ("", None):
        return num(x) if isinstance(x, (int, float)) else str(x)
    if spec == "pct":
        return f"{100 * x:.0f}%"
    if spec == "points":
        return points(x)
    if spec == "acc":
        return acc(x)
    if spec == "num":
        return num(x)
    if spec == "thousands":
        return f"{int(round(x)):,}"
    return format(x, spec)


def mean(values):
    values = list(values)
    return sum(values) / len(values)


# ------------------------------------------------------------------------ verdicts


def verdict(a, b):
    """Compare two methods over seeds.

    ``a`` and ``b`` are ``{seed: value}`` (or equal-length lists, paired in order).
    Returns "beats" when ``a`` is ahead on every shared seed, "behind" when it is
    behind on every one, and "level" otherwise (ties count as level).
    """
    if isinstance(a, dict):
        seeds = sorted(set(a) & set(b), key=str)
        pairs = [(a[s], b[s]) for s in seeds]
    else:
        pairs = list(zip(a, b))
    if not pairs:
        raise RenderError("no seed shared by the two methods")
    if all(x > y for x, y in pairs):
        return "beats"
    if all(x < y for x, y in pairs):
        return "behind"
    return "level"


def ahead_count(a, b):
    seeds = sorted(set(a) & set(b), key=str)
    return sum(a[s] > b[s] for s in seeds), len(seeds)


def compare_phrase(name_a, a, name_b, b, unit=acc):
    """``a`` against ``b`` over seeds, in words, every figure computed."""
    word = verdict(a, b)
    wins, n = ahead_count(a, b)
    ma, mb = mean(a.values()), mean(b.values())
    la, lb = min(a.values()), min(b.values())
    if word == "beats":
        head = f"`{name_a}` **beats** `{name_b}` (ahead on every seed)"
    elif word == "behind":
        head = f"`{name_a}` is **behind** `{name_b}` (behind on every seed)"
    else:
        head = f"`{name_a}` is **level** with `{name_b}` (ahead on {wins} of {n} seeds)"
    return f"{head}: mean {unit(ma)} against {unit(mb)}, lowest seed {unit(la)} against {unit(lb)}"


# ------------------------------------------------------------------------ families

FAMILY_BY_PREFIX = [
    ("fip", "fip", "path_start"),
    ("der", "der", "stored"),
    ("er_ace", "replay", "none"),
    ("replay", "replay", "none"),
    ("ewc", "regularisation", "weights"),
    ("finetune", "baseline", "none"),
    ("joint", "baseline", "none"),
]


#: keras_fip.continual.methods.RENAMED: names that meant DER-family methods before 0.2
#: (copied, so that rendering needs no TensorFlow).
RENAMED_IN_0_2 = {"fip_l2": "der_l2", "fip_views": "der_views", "fip_views_labels": "der_views_labels"}


def _version_tuple(text):
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def family(method, record=None):
    """``(family, anchor)`` of a continual method: the JSON's fields when it has them,
    else derived from the name's prefix (fip* -> fip / path_start, der* -> der / stored,
    replay and er_ace -> replay, ewc -> regularisation, finetune and joint -> baseline)."""
    if record and record.get("family"):
        return record["family"], record.get("anchor", "not recorded")
    version = (record or {}).get("keras_fip_version")
    if version and method in RENAMED_IN_0_2 and _version_tuple(version) < (0, 2):
        # before keras-fip 0.2 these names meant the stored-logit (DER) methods
        return "der", "stored"
    if record and record.get("refresh_anchors") is False:
        # keeps each sample's outputs from when it was stored: what DER does, whatever
        # the method is called
        return "der", "stored"
    for prefix, fam, anchor in FAMILY_BY_PREFIX:
        if method.startswith(prefix):
            return fam, anchor
    return "not recorded", "not recorded"


def md_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def command_block(commands):
    """Commands as a fenced block (fenced code is never linted)."""
    return "```bash\n" + "\n".join(commands) + "\n```\n"
