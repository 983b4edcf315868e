"""Reports: `report.json` and PNG plots of a continual-learning comparison.

matplotlib is imported only when a plot is drawn, with the non-interactive Agg
backend, so reports can be written on machines without a display.
"""

import json
import os

import numpy as np


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
    with open(partial, "w") as f:
        json.dump(payload, f, indent=2, default=default)
        f.write("\n")
    os.replace(partial, path)


def save_figure(fig, path, dpi=120):
    """Saves a matplotlib figure to `path` atomically (written beside, then renamed)."""
    root, extension = os.path.splitext(path)
    partial = f"{root}.partial{extension}"
    fig.savefig(partial, dpi=dpi)
    os.replace(partial, path)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_accuracy_matrices(results, path):
    """One heatmap per method: R[i][j], accuracy on task j after training task i."""
    plt = _pyplot()
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


def plot_accuracy_along_sequence(results, path):
    """Per method, accuracy on each task as the task sequence goes on."""
    plt = _pyplot()
    fig, axes = plt.subplots(
        1, len(results), figsize=(3.2 * len(results), 3.2), squeeze=False, sharey=True
    )
    for ax, result in zip(axes[0], results):
        matrix = np.asarray(result["accuracy_matrix"])
        steps = np.arange(len(matrix))
        for j in range(matrix.shape[1]):
            ax.plot(steps[j:], matrix[j:, j], marker="o", markersize=3, label=f"task {j}")
        ax.set_title(result["method"])
        ax.set_xlabel("after training task")
        ax.set_xticks(steps)
        ax.set_ylim(-0.02, 1.02)
    axes[0][0].set_ylabel("test accuracy")
    axes[0][-1].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def format_table(results):
    """A plain-text table of the summary numbers, one row per method."""
    header = f"{'method':<10} {'avg acc':>8} {'BWT':>8} {'forget':>8} {'seconds':>8}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(
            f"{r['method']:<10} {r['average_accuracy']:>8.4f} {r['backward_transfer']:>8.4f} "
            f"{r['forgetting']:>8.4f} {r['train_seconds']:>8.1f}"
        )
    return "\n".join(lines)


def ensure_dir(path, option="--out"):
    """Makes the folder `path` (and its parents); a file in the way is a clear error."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{option} {path} is a file, not a folder; choose a folder")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as error:
        raise ValueError(f"{option} {path}: cannot create the folder ({error.strerror})") from None
    return path
