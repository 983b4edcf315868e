"""Execute the tutorial notebooks in place, so the repository holds their outputs.

    python tutorials/execute.py                      # every notebook in tutorials/
    python tutorials/execute.py tutorials/02_*.ipynb # some of them

Each notebook runs top to bottom in a fresh kernel, in a temporary folder (the
files it writes land there, not in the repository), and is written back with its
printed tables and plots. Run it after changing a notebook or anything it calls:
``tests/test_tutorials.py`` re-executes every notebook and fails when a committed
notebook's printed figures differ from the fresh run beyond a tolerance, and the
documentation site renders the committed outputs without executing anything.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import sys
import tempfile
import time

FOLDER = pathlib.Path(__file__).resolve().parent


#: Lines of log noise dropped from the printed outputs (TensorFlow's and absl's logs,
#: which name temporary folders, addresses and times): what is kept is what the
#: notebook prints itself.
NOISE = re.compile(
    r"^(WARNING: All log messages before absl|[IWE]\d{4} [\d:. ]+\d+ \w+\.cc:\d+\]"
    r"|INFO:tensorflow:|WARNING:tensorflow:|INFO: Created TensorFlow Lite)")


def clean(notebook):
    """Drop log noise from `notebook`'s printed outputs and the cells' timestamps."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.get("metadata", {}).pop("execution", None)
        kept = []
        for output in cell.outputs:
            if output.get("output_type") == "stream":
                lines = output.text.splitlines(keepends=True)
                output.text = "".join(line for line in lines if not NOISE.match(line))
                if not output.text:
                    continue
            kept.append(output)
        cell.outputs = kept
    return notebook


def execute(notebook, cwd, timeout=600):
    """Run `notebook` (an nbformat node) in place in a fresh kernel started in `cwd`."""
    import nbclient

    client = nbclient.NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    client.execute()
    return clean(notebook)


def main(argv=None):
    import nbformat

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="notebooks to execute (default: every tutorials/*.ipynb)")
    args = parser.parse_args(argv)
    # The kernels inherit it: TensorFlow's C++ start-up lines stay out of the saved
    # outputs, as in the tests (tests/conftest.py), which compare against them.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    paths = args.notebooks or sorted(FOLDER.glob("*.ipynb"))
    for path in paths:
        print(f"executing {path} (outputs written back to it)", flush=True)
        started = time.perf_counter()
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        with tempfile.TemporaryDirectory() as folder:
            execute(notebook, folder)
        nbformat.write(notebook, path)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
