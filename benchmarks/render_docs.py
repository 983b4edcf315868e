"""Render every figure in the published pages from ``benchmarks/results/*.json``.

    python benchmarks/render_docs.py            # rewrite the rendered regions in place
    python benchmarks/render_docs.py --check    # exit 1 naming file:line of each stale
                                                # or unrendered figure, 0 otherwise
    python benchmarks/render_docs.py --list     # the renderers and what they take
    python benchmarks/render_docs.py --root DIR [FILE.md ...]   # another tree / files

Pages: the files in ``DOCS`` (a missing one is skipped). Only the standard library is
used (no TensorFlow, no plotting): plots are made by the benchmark scripts.

Markers
-------
Block region, for tables and paragraphs; the markers sit on lines of their own and
everything between them is the renderer's output::

    <!-- render: NAME key=value key="value with spaces" -->
    ...
    <!-- /render -->

Inline region, for a figure in prose (on one line)::

    FIP keeps task A at <!-- r: NAME key=value -->0.9278<!-- /r -->.

``NAME`` is a function registered with ``@renderer("NAME")`` in a module of
``benchmarks/renderers/`` (every module there is imported); it is called as
``fn(ctx, **args)`` and returns the text. To add one: write the function in the module
of its job (or a new module), read JSON with ``ctx.json("file.json")``, format with the
helpers of ``renderers/base.py`` (``acc``, ``points``, ``num``, ``verdict``,
``compare_phrase``, ``family``, ``md_table``), put the markers in the page and run this
script. Generic renderers need no code: ``value`` (one JSON value, see ``--list``) and
``verdict`` (two per-seed lists compared). Markers inside fenced code are ignored.

The lint (part of ``--check``)
------------------------------
Outside rendered regions, a page may contain no figure. The text scanned is every line
outside block regions and outside fenced code blocks (``` or ~~~), with inline regions,
HTML comments, inline code spans (`...`, except a span that is a lone figure such as
`0.93`) and link targets ``](...)`` removed, and with
these allowed forms removed: version numbers (``3.15.1``; a decimal right after Python,
Keras, TensorFlow, JAX or NumPy, also ``Python 3.10 to 3.12``), dates (``2026-12-03``)
and arXiv numbers (``arXiv 2205.00334``). What remains is a figure when it is

- a decimal number: ``0.93``, ``1.5``;
- a percentage: ``95%``, ``0.5 %``;
- a ratio: ``x1.3``, ``1.3x``, ``2×`` (but not a size such as ``8x8``);
- a number in scientific notation: ``1e5``, ``8.7e-6``;
- an integer with a thousands separator (``1,000``) or of five digits or more.

Plain integers of up to four digits (counts of seeds, tasks, epochs, years) are
allowed. Command options belong in backticks or fenced blocks, where they are not
scanned.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import pkgutil
import re
import shlex
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# `python benchmarks/render_docs.py` has benchmarks/ on sys.path: the renderers are siblings.
from renderers import base  # noqa: E402
from renderers.base import REGISTRY, Context, RenderError  # noqa: E402

DOCS = ("README.md", "benchmarks/RESULTS.md", "benchmarks/REPRODUCTION.md")

BLOCK_START = re.compile(r"^\s*<!--\s*render:\s*(.+?)\s*-->\s*$")
BLOCK_END = re.compile(r"^\s*<!--\s*/render\s*-->\s*$")
INLINE = re.compile(r"<!--\s*r:\s*(.+?)\s*-->(.*?)<!--\s*/r\s*-->")
FENCE = re.compile(r"^\s*(```|~~~)")

ALLOWED = [
    re.compile(r"\b\d+\.\d+\.\d+(\.\d+)*\b"),
    re.compile(r"\b(Python|Keras|TensorFlow|JAX|jax|NumPy|numpy)\s+\d+(\.\d+)*(\s+to\s+\d+(\.\d+)*)?"),
    re.compile(r"\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"arXiv:?\s*\d{4}\.\d{4,5}"),
]
STRIP = [
    re.compile(r"<!--.*?-->"),
    # a code span is not scanned, unless it is a lone figure (`0.93`, `95%`)
    re.compile(r"`(?!\s*[-+]?[x×]?\d[\d.,]*(e[+-]?\d+)?\s*(%|[x×])?\s*`)[^`]*`"),
    re.compile(r"\]\([^)]*\)"),
]
FIGURE = re.compile(
    r"(?<![\w.])("
    r"\d+(\.\d+)?e[+-]?\d+"  # scientific
    r"|\d+(\.\d+)?\s?%"  # percentage
    r"|[x×]\s?\d+(\.\d+)?(?![\w.])"  # x1.3
    r"|\d+(\.\d+)?\s?[x×](?![\w])"  # 1.3x
    r"|\d+\.\d+"  # decimal
    r"|\d{1,3}(,\d{3})+"  # 1,000
    r"|\d{5,}"  # 12345
    r")"
)


def load_renderers():
    package_dir = os.path.join(HERE, "renderers")
    for info in pkgutil.iter_modules([package_dir]):
        importlib.import_module(f"renderers.{info.name}")
    return REGISTRY


def parse_spec(spec):
    parts = shlex.split(spec)
    if not parts:
        raise RenderError("a marker without a renderer name")
    name, args = parts[0], {}
    for part in parts[1:]:
        if "=" not in part:
            raise RenderError(f"argument {part!r} of {name!r} is not key=value")
        key, value = part.split("=", 1)
        args[key] = value
    return name, args


def call(ctx, spec):
    name, args = parse_spec(spec)
    if name not in REGISTRY:
        raise RenderError(f"no renderer named {name!r} (see --list)")
    try:
        return REGISTRY[name](ctx, **args)
    except RenderError:
        raise
    except TypeError as error:
        raise RenderError(f"{name}: {error}")
    except (KeyError, IndexError, ValueError, ZeroDivisionError) as error:
        raise RenderError(f"{name}: {type(error).__name__}: {error}")


def figures_in(text):
    for pattern in STRIP:
        text = pattern.sub(" ", text)
    for pattern in ALLOWED:
        text = pattern.sub(" ", text)
    return [m.group(1) for m in FIGURE.finditer(text)]


def process(ctx, relname, text):
    """Returns (new_text, problems); problems are (line number, message)."""
    lines = text.split("\n")
    out, problems = [], []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        number = i + 1
        if FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
            continue
        if in_fence:
            out.append(line)
            i += 1
            continue
        start = BLOCK_START.match(line)
        if start:
            end = i + 1
            while end < len(lines) and not BLOCK_END.match(lines[end]) and not BLOCK_START.match(lines[end]):
                end += 1
            if end >= len(lines) or not BLOCK_END.match(lines[end]):
                problems.append((number, f"render block {start.group(1)!r} has no <!-- /render -->"))
                out.append(line)
                i += 1
                continue
            old = lines[i + 1 : end]
            try:
                rendered = call(ctx, start.group(1))
            except RenderError as error:
                problems.append((number, f"cannot render {start.group(1)!r}: {error}"))
                out.extend(lines[i : end + 1])
                i = end + 1
                continue
            new = rendered.rstrip("\n").split("\n") if rendered.strip() else []
            if new != old:
                matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
                for tag, a0, a1, b0, b1 in matcher.get_opcodes():
                    if tag == "equal":
                        continue
                    if a1 > a0:
                        for k in range(a0, a1):
                            problems.append((i + 2 + k, f"differs from its rendering ({start.group(1)}): {old[k].strip()[:100]!r}"
                                             + (f" -> {new[b0 + k - a0].strip()[:100]!r}" if b0 + k - a0 < b1 else "")))
                    else:
                        problems.append((i + 2 + a0, f"rendering ({start.group(1)}) has lines missing here: {new[b0].strip()[:100]!r}"))
            out.append(line)
            out.extend(new)
            out.append(lines[end])
            i = end + 1
            continue
        if BLOCK_END.match(line):
            problems.append((number, "<!-- /render --> without a start"))
            out.append(line)
            i += 1
            continue

        def replace(match):
            try:
                rendered = call(ctx, match.group(1))
            except RenderError as error:
                problems.append((number, f"cannot render {match.group(1)!r}: {error}"))
                return match.group(0)
            if "\n" in rendered:
                problems.append((number, f"inline renderer {match.group(1)!r} returned several lines"))
                return match.group(0)
            if rendered != match.group(2):
                problems.append((number, f"figure {match.group(2)!r} differs from its rendering {rendered!r} ({match.group(1)})"))
            return match.group(0)[: match.start(2) - match.start(0)] + rendered + match.group(0)[match.end(2) - match.start(0):]

        new_line = INLINE.sub(replace, line)
        for figure in figures_in(INLINE.sub(" ", line)):
            problems.append((number, f"figure {figure!r} outside a rendered region"))
        out.append(new_line)
        i += 1
    if in_fence:
        problems.append((len(lines), "a fenced code block is not closed"))
    return "\n".join(out), problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help=f"pages to process (default: {', '.join(DOCS)})")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a figure is stale or unrendered")
    parser.add_argument("--root", default=os.path.dirname(HERE), help="the repository root (default: this checkout)")
    parser.add_argument("--list", action="store_true", help="list the renderers")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    load_renderers()
    if args.list:
        for name in sorted(REGISTRY):
            doc = (REGISTRY[name].__doc__ or "").strip().split("\n\n")[0]
            print(f"{name}: {' '.join(doc.split())}")
        return 0
    ctx = Context(args.root)
    files = args.files or [os.path.join(ctx.root, name) for name in DOCS]
    total = 0
    for path in files:
        path = path if os.path.isabs(path) else os.path.join(ctx.root, path)
        if not os.path.exists(path):
            continue
        rel = os.path.relpath(path, ctx.root)
        with open(path) as handle:
            text = handle.read()
        new, problems = process(ctx, rel, text)
        if args.check:
            for number, message in problems:
                print(f"{rel}:{number}: {message}")
            total += len(problems)
        else:
            stale = {"differs", "rendering ("}
            remaining = [p for p in problems if not any(s in p[1] for s in stale)]
            for number, message in remaining:
                print(f"{rel}:{number}: {message}")
            total += len(remaining)
            if new != text:
                with open(path, "w") as handle:
                    handle.write(new)
                print(f"rendered {rel}")
    elapsed = time.perf_counter() - started
    if args.check:
        print(f"render_docs --check: {total} problem(s) in {elapsed:.1f} s" if total else f"render_docs --check: every figure rendered and current ({elapsed:.1f} s)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
