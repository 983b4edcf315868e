"""Reports: the one writer of `report.json`, and PNG plots.

Every report (the three commands' and the benchmarks') has the same frame: the
command that made it and when first, then the experiment's payload, then the
versions of keras-fip, Keras, its backend and Python. The plots of a
continual-learning comparison live here too; sparsification and robustness
draw theirs in `keras_fip.sparsity.plots` and `keras_fip.robustness.plots`.

matplotlib is imported only when a plot is drawn, with the non-interactive Agg
backend, so reports can be written on machines without a display.
"""

import json
import os
import platform
import time

import numpy as np

from keras_fip.plotting import _removed_unless_finished, pyplot, save_figure  # noqa: F401


def header(command):
    """The first keys of a report: the command that made it and when.

    Args:
        command: the command line, e.g. `"keras-fip continual --tasks 2"`.

    Returns:
        `{"command": command, "created": "2025-01-31T12:00:00+0000"}`.
    """
    return {"command": command, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def versions():
    """The versions of keras-fip, Keras, its backend and Python, for the end of a report."""
    import importlib

    import keras

    from keras_fip._version import __version__

    backend = keras.backend.backend()
    return {"keras_fip": __version__, "keras": keras.__version__,
            "backend": backend, backend: importlib.import_module(backend).__version__,
            "python": platform.python_version()}


def with_header(payload, command):
    """`payload` framed as a report: `header(command)` first, `versions()` last.

    Args:
        payload: what the experiment returned (config, results, ...).
        command: the command line that ran it.

    Returns:
        A new dict; `payload` is not changed.

    Example:
        >>> report = with_header({"config": {}, "results": {}}, "keras-fip robust")
        >>> list(report)
        ['command', 'created', 'config', 'results', 'versions']
    """
    return {**header(command), **payload, "versions": versions()}


def write_report(folder, payload, command):
    """Writes `with_header(payload, command)` to `folder/report.json`, atomically.

    Args:
        folder: where to write; made (with its parents) if missing.
        payload: what the experiment returned, plus the names of any plots.
        command: the command line that ran it.

    Returns:
        The path of the report written.

    Example:
        >>> payload = run_continual_experiment(tasks=2, epochs=1)  # doctest: +SKIP
        >>> write_report("out", payload, "python my_script.py")  # doctest: +SKIP
        'out/report.json'
    """
    path = os.path.join(ensure_dir(folder), "report.json")
    write_json(path, with_header(payload, command))
    return path


def write_json(path, payload):
    """Writes `payload` as indented JSON; numpy values become plain numbers."""

    def default(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(f"Cannot write {type(value).__name__} to JSON.")

    # Written beside, then renamed: a run killed while writing leaves the old
    # file or the new one, never half of one.
    partial = f"{path}.partial"
    with _removed_unless_finished(partial):
        with open(partial, "w") as f:
            json.dump(payload, f, indent=2, default=default)
            f.write("\n")
        os.replace(partial, path)


def plot_accuracy_matrices(results, path):
    """One heatmap per method: R[i][j], accuracy on task j after training task i."""
    plt = pyplot()
    fig, axes = plt.subplots(
        1, len(results), figsize=(3.2 * len(results), 3.4), squeeze=False
    )
    for ax, result in zip(axes[0], results):
        matrix = np.asarray(result["accuracy_matrix"])
        ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=7,
                    color="white" if value < 0.6 else "black")
        ax.set_title(f"{result['method']} (avg {result['average_accuracy']:.3f})")
        ax.set_xlabel("evaluated task j")
        ax.set_ylabel("after training task i")
        ax.set_xticks(range(matrix.shape[1]))
        ax.set_yticks(range(matrix.shape[0]))
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def plot_accuracy_along_sequence(results, path, columns=5):
    """Per method, accuracy on each task as the task sequence goes on (up to
    `columns` panels a row)."""
    plt = pyplot()
    cols = min(columns, len(results))
    rows = -(-len(results) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False,
                             sharey=True)
    for ax, result in zip(axes.flat, results):
        matrix = np.asarray(result["accuracy_matrix"])
        steps = np.arange(len(matrix))
        for j in range(matrix.shape[1]):
            ax.plot(steps[j:], matrix[j:, j], marker="o", markersize=3, label=f"task {j}")
        ax.set_title(result["method"])
        ax.set_xlabel("after training task")
        ax.set_xticks(steps)
        ax.set_ylim(-0.02, 1.02)
    for ax in axes.flat[len(results):]:
        ax.axis("off")
    for row in axes:
        row[0].set_ylabel("test accuracy")
    axes.flat[len(results) - 1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def format_table(results):
    """A plain-text table of the summary numbers, one row per method."""
    width = max([10, *(len(r["method"]) for r in results)])
    header = f"{'method':<{width}} {'avg acc':>8} {'BWT':>8} {'forget':>8} {'seconds':>8}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['method']:<{width}} {r['average_accuracy']:>8.4f} {r['backward_transfer']:>8.4f} "
            f"{r['forgetting']:>8.4f} {r['train_seconds']:>8.1f}"
        )
    return "\n".join(lines)


def check_folder(path, option="--out"):
    """Raises ValueError unless `path` is a folder, or one that can be made, to write to.

    Nothing is made: a run checks its folders before its data is loaded and makes
    them only when it writes.

    Args:
        path: the folder (None passes).
        option: how the message names it.

    Returns:
        `path`.
    """
    if path is None:
        return None
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{option} {path} exists and is not a folder; give a folder to write to")
    existing = os.path.abspath(path)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        raise ValueError(f"{option} {path} is under {existing}, which is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path}: cannot write in {existing} (permission denied)")
    return path


def made_by(report_file):
    """The command recorded in a `report.json`, or None when it cannot be read."""
    try:
        with open(report_file) as f:
            command = json.load(f).get("command")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(command, str):
        return None
    return command if len(command) <= 100 else command[:97] + "..."


def check_out_folder(args, option="--out"):
    """`check_folder(args.out)`, and refuses a folder that holds another run's results.

    A folder with a `report.json` holds finished results (of this command or
    another): replacing them needs `--overwrite`, which replaces only the report
    and the plots a run writes, never other files. A folder holding an
    unfinished `keras-fip continual` run (its `checkpoints/`) is refused to the
    other commands unless `--overwrite` (which deletes none of it).

    Args:
        args: the parsed command line: `out`, `command`, and `overwrite` /
            `resume` where the command has them.
        option: how the message names the folder.

    Returns:
        `args.out`.
    """
    path = check_folder(args.out, option)
    if path is None or not os.path.isdir(path) or getattr(args, "overwrite", False):
        return path
    report_file = os.path.join(path, "report.json")
    if os.path.exists(report_file):
        command = made_by(report_file)
        what = f"the finished run of `{command}`" if command else "a report.json of another run"
        raise ValueError(
            f"{option} {path} already holds {what}; choose another folder, or pass "
            "--overwrite to replace its report and plots (other files are kept)")
    checkpoints = os.path.join(path, "checkpoints")
    if (args.command != "continual" and os.path.isdir(checkpoints)
            and os.listdir(checkpoints)):
        raise ValueError(
            f"{option} {path} holds an unfinished keras-fip continual run (checkpoints/); "
            f"choose another folder, or resume it with keras-fip continual --resume --out {path}")
    return path


def ensure_dir(path, option="--out"):
    """Makes the folder `path` (and its parents); a file in the way is a clear error."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{option} {path} is a file, not a folder; choose a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{option} {path}: cannot create the folder ({error.strerror})") from None
    return path
