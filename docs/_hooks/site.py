"""MkDocs hook: the site is built from the repository's own pages, nothing copied by hand.

* Pages that live outside ``docs/`` are added to the site at build time under their
  repository path: the README becomes the home page, ``benchmarks/RESULTS.md`` and
  ``benchmarks/REPRODUCTION.md`` (with the plots under ``benchmarks/results/``) are the
  results pages, ``tutorials/*.ipynb`` are the executed notebooks (rendered by
  mkdocs-jupyter from their committed outputs), ``saved_models/README.md`` the models.
  The rendered regions of those pages are the ones ``benchmarks/render_docs.py`` keeps
  in sync with the benchmark JSON, so the site shows exactly what the repository does.
* Links written for GitHub (``docs/guide_continual.md`` in the README,
  ``../benchmarks/RESULTS.md`` in a guide) are rewritten to the page's place in the site.
* The API reference (``api/*.md``) is generated from each package's public names: its
  ``__all__``, or the names its ``__init__.py`` imports when it has none, read with
  ``ast`` (nothing is imported), one mkdocstrings block per name. The packages serve
  their names lazily, so each block names the name's home module, found with ``ast``
  too (the package's ``_EXPORTS`` table, else the module that defines it).
"""

from __future__ import annotations

import ast
import glob
import os
import posixpath
import re

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, InclusionLevel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: Repository files added to the site: glob pattern -> site path (None: the same path).
EXTERNAL = {
    "README.md": "index.md",
    "benchmarks/RESULTS.md": None,
    "benchmarks/REPRODUCTION.md": None,
    "benchmarks/HISTORY.md": None,
    "benchmarks/results/*.png": None,
    "tutorials/README.md": None,
    "tutorials/*.ipynb": None,
    "saved_models/README.md": None,
    "saved_models/manifest.json": None,
}

#: API pages: site path -> (package, title, intro).
API = {
    "api/keras_fip.md": ("keras_fip", "keras_fip",
                         "The package's top level: the model, the path driver, the memory "
                         "and the objectives. `import keras_fip` also registers every "
                         "serializable keras-fip class with Keras."),
    "api/continual.md": ("keras_fip.continual", "keras_fip.continual",
                         "Continual learning: task streams, methods, the runner, metrics."),
    "api/sparsity.md": ("keras_fip.sparsity", "keras_fip.sparsity",
                        "Sparsification along a FIP, its peers, masks, and export through tfmot."),
    "api/robustness.md": ("keras_fip.robustness", "keras_fip.robustness",
                          "Ensembles along weight-diversifying FIPs, their peers, attacks."),
    "api/experiments.md": ("keras_fip.experiments", "keras_fip.experiments",
                           "The experiments behind the commands: one Config dataclass a job "
                           "and the function that runs it, and the composition of two jobs "
                           "on one network."),
    "api/geometry.md": ("keras_fip.geometry", "keras_fip.geometry",
                        "The metric of weight space and its top eigenpairs."),
    "api/data.md": ("keras_fip.data", "keras_fip.data",
                    "Datasets as numpy arrays: the embedded digits, IDX, NPZ, tensorflow-datasets."),
    "api/models.md": ("keras_fip.models", "keras_fip.models",
                      "The networks of the paper and the benchmarks."),
}

LINK = re.compile(r"(\]\()([^)\s]+)((?:\s+\"[^\"]*\")?\))")
FENCE = re.compile(r"^\s*(```|~~~)")
INDEX = re.compile(r"(?<=\])\[([a-z])\]")
CODE_SPAN = re.compile(r"(`[^`]*`)")

_repo_to_site = {}
_site_to_repo = {}


def public_names(package):
    """The public names of `package`: its `__all__`, else the names its `__init__` imports."""
    path = os.path.join(ROOT, *package.split("."), "__init__.py")
    tree = ast.parse(open(path, encoding="utf-8").read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, "id", None) == "__all__" for t in node.targets):
            return [n for n in ast.literal_eval(node.value) if not n.startswith("__")]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names += [a.asname or a.name for a in node.names]
    return [n for n in dict.fromkeys(names) if not n.startswith("_")]


def _top_level_names(tree):
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            yield node.name
        elif isinstance(node, ast.Assign):
            yield from (t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id


def home(package, name):
    """Where `package.name` is defined: `"module.attribute"`, or a module's own path."""
    folder = os.path.join(ROOT, *package.split("."))
    tree = ast.parse(open(os.path.join(folder, "__init__.py"), encoding="utf-8").read())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)
                and any(getattr(t, "id", None) == "_EXPORTS" for t in node.targets)):
            exports = ast.literal_eval(node.value)
            if name in exports:
                module, _, attribute = exports[name].partition(":")
                if not attribute:
                    return module
                package_folder = os.path.join(ROOT, *module.split("."))
                if os.path.isdir(package_folder):  # a lazy package: look inside it
                    return home(module, attribute)
                return f"{module}.{attribute}"
    if name in _top_level_names(tree):
        return f"{package}.{name}"
    found = []
    for path in sorted(glob.glob(os.path.join(folder, "**", "*.py"), recursive=True)):
        if path == os.path.join(folder, "__init__.py"):
            continue
        if name in _top_level_names(ast.parse(open(path, encoding="utf-8").read())):
            module = os.path.relpath(path[:-3], ROOT).replace(os.sep, ".")
            found.append(f"{module.removesuffix('.__init__')}.{name}")
    return min(found, key=len) if found else f"{package}.{name}"


def api_page(package, title, intro):
    lines = [f"# `{title}`", "", intro, ""]
    for name in public_names(package):
        lines += [f"::: {home(package, name)}", ""]
    return "\n".join(lines)


@event_priority(100)  # before mkdocs-jupyter looks for notebooks among the files
def on_files(files, config):
    _repo_to_site.clear()
    _site_to_repo.clear()
    for file in files:
        _repo_to_site[posixpath.join("docs", file.src_uri)] = file.src_uri
        _site_to_repo[file.src_uri] = posixpath.join("docs", file.src_uri)
    for pattern, target in EXTERNAL.items():
        matches = sorted(glob.glob(os.path.join(ROOT, pattern)))
        if not matches:
            raise FileNotFoundError(f"docs/_hooks/site.py: nothing matches {pattern}")
        for path in matches:
            rel = os.path.relpath(path, ROOT).replace(os.sep, "/")
            site = target or rel
            if site == rel:  # a real file under the root (mkdocs-jupyter needs one)
                file = File(rel, src_dir=ROOT, dest_dir=config.site_dir,
                            use_directory_urls=config.use_directory_urls,
                            inclusion=InclusionLevel.INCLUDED)
            else:
                file = File.generated(config, site, abs_src_path=path)
            files.append(file)
            _repo_to_site[rel] = site
            _site_to_repo[site] = rel
    for site, spec in API.items():
        files.append(File.generated(config, site, content=api_page(*spec)))
        _site_to_repo[site] = posixpath.join("docs", site)
    return files


def _rewrite(target, repo_page, site_page):
    if re.match(r"^([a-z]+:|#|/)", target):
        return target
    path, _, anchor = target.partition("#")
    repo_target = posixpath.normpath(posixpath.join(posixpath.dirname(repo_page), path))
    site_target = _repo_to_site.get(repo_target)
    if site_target is None:
        return target
    new = posixpath.relpath(site_target, posixpath.dirname(site_page) or ".")
    return new + ("#" + anchor if anchor else "")


def on_page_markdown(markdown, page, config, files):
    site_page = page.file.src_uri
    repo_page = _site_to_repo.get(site_page, posixpath.join("docs", site_page))
    out, fenced = [], False
    for line in markdown.split("\n"):
        if FENCE.match(line):
            fenced = not fenced
        if not fenced:
            # `R[i][j]` in prose is an index, not a reference link (autorefs would say so)
            line = "".join(part if part.startswith("`") else INDEX.sub(r"\\[\1]", part)
                           for part in CODE_SPAN.split(line))
            line = LINK.sub(lambda m: m.group(1) + _rewrite(m.group(2), repo_page, site_page)
                            + m.group(3), line)
        out.append(line)
    return "\n".join(out)
