"""The package's layers, read from its imports: nothing reaches up, nothing goes round.

Each module belongs to one layer. A module may import its own layer's package
and any lower layer, never a higher one; the three jobs never import each
other; and no chain of imports comes back to where it started. Imports inside
functions count as much as those at the top of a file. The one exception is a
package's `__getattr__` that serves a deprecated name from its new home with a
warning, for one release.
"""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_fip"

#: Bottom to top. A module's layer is that of the longest prefix listed.
LAYERS = [
    ("keras_fip._version", "keras_fip.registry", "keras_fip.deprecation", "keras_fip.lazy",
     "keras_fip.checks", "keras_fip.console", "keras_fip.plotting"),
    ("keras_fip.data",),
    ("keras_fip.engine", "keras_fip.models", "keras_fip.geometry"),
    ("keras_fip.continual", "keras_fip.sparsity", "keras_fip.robustness"),
    # keras_fip.compose: the old home of experiments.compose, kept one release.
    ("keras_fip.experiments", "keras_fip.report", "keras_fip.compose"),
    ("keras_fip.cli",),
]
JOBS = ("keras_fip.continual", "keras_fip.sparsity", "keras_fip.robustness")


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name):
    relative = name.replace(".", "/")
    return ((PACKAGE.parent / f"{relative}.py").exists()
            or (PACKAGE.parent / relative / "__init__.py").exists())


def unit(module):
    """The layer entry a module belongs to: `keras_fip.sparsity.fip` -> `keras_fip.sparsity`."""
    entries = [entry for layer in LAYERS for entry in layer]
    matches = [e for e in entries if module == e or module.startswith(e + ".")]
    return max(matches, key=len) if matches else None


def layer(module):
    entry = unit(module)
    return next(i for i, names in enumerate(LAYERS) if entry in names)


def _deprecated_getattr(node, parents):
    return any(isinstance(p, ast.FunctionDef) and p.name == "__getattr__" for p in parents)


def imports(path):
    """`(line, imported module)` for every import of the package in `path`."""
    tree = ast.parse(path.read_text())
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node, parents):
        if isinstance(node, ast.ImportFrom) and not _deprecated_getattr(node, parents):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("keras_fip"):
                for alias in node.names:
                    # `from keras_fip import checks` imports the module keras_fip.checks
                    candidate = f"{base}.{alias.name}"
                    found.append((node.lineno, candidate if is_module(candidate) else base))
        elif isinstance(node, ast.Import) and not _deprecated_getattr(node, parents):
            found.extend((node.lineno, a.name) for a in node.names
                         if a.name.startswith("keras_fip"))
        for child in ast.iter_child_nodes(node):
            visit(child, parents + [node])

    visit(tree, [])
    return found


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if module_name(p) != "keras_fip")


def test_every_module_has_a_layer():
    assert [module_name(p) for p in modules() if unit(module_name(p)) is None] == []


def test_no_module_imports_a_higher_layer():
    upward = []
    for path in modules():
        here = module_name(path)
        for line, target in imports(path):
            if unit(target) is not None and layer(target) > layer(here):
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} {here} -> {target}")
    assert upward == []


def test_the_jobs_do_not_import_each_other():
    across = []
    for path in modules():
        here = unit(module_name(path))
        for line, target in imports(path):
            there = unit(target)
            if here in JOBS and there in JOBS and there != here:
                across.append(f"{path.relative_to(PACKAGE.parent)}:{line} -> {target}")
    assert across == []


def test_no_import_cycle_between_modules():
    graph = {}
    for path in modules():
        graph.setdefault(module_name(path), set()).update(
            t for _, t in imports(path) if t != module_name(path))
    cycles = []

    def walk(node, trail, on_trail, done):
        on_trail.add(node)
        trail.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_trail:
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in done and nxt in graph:
                walk(nxt, trail, on_trail, done)
        trail.pop()
        on_trail.discard(node)
        done.add(node)

    done = set()
    for start in sorted(graph):
        if start not in done:
            walk(start, [], set(), done)
    # A package's __init__ re-exporting its own modules is not a cycle of code.
    cycles = [c for c in cycles
              if not any(a == b.rpartition(".")[0] or b == a.rpartition(".")[0]
                         for a, b in zip(c, c[1:]))]
    assert cycles == []


@pytest.mark.parametrize("layer_names", LAYERS, ids=lambda names: names[0])
def test_each_layer_entry_exists(layer_names):
    assert [entry for entry in layer_names if not is_module(entry)] == []
