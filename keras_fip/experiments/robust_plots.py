"""Plots of a robustness report: accuracy against eps, and the transfer matrix."""

import numpy as np

from keras_fip.plotting import pyplot, save_figure


def plot_accuracy_vs_eps(results, path):
    """One panel per (setting, attack): accuracy against eps, a line per method.

    Args:
        results: `{setting: {method: {"clean": acc, attack: {eps: acc}}}}` with
            settings such as "transfer" and "white-box".
        path: PNG file to write.
    """
    plt = pyplot()
    panels = []
    for setting, methods in results.items():
        names = sorted({a for r in methods.values() for a in r if a != "clean"})
        panels.extend((setting, attack) for attack in names)
    if not panels:
        raise ValueError("nothing to plot: no attack results.")
    fig, axes = plt.subplots(1, len(panels), figsize=(3.6 * len(panels), 3.3), squeeze=False)
    for ax, (setting, attack) in zip(axes[0], panels):
        for method, row in results[setting].items():
            if attack not in row:
                continue
            eps = sorted(float(e) for e in row[attack])
            values = [row[attack][f"{e:g}"] for e in eps]
            if "clean" in row:
                eps, values = [0.0, *eps], [row["clean"], *values]
            ax.plot(eps, values, marker="o", markersize=3, label=method)
        ax.set_title(f"{attack}, {setting}")
        ax.set_xlabel("eps")
        ax.set_ylim(-0.02, 1.02)
    axes[0][0].set_ylabel("accuracy")
    axes[0][-1].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)


def plot_transfer_matrix(matrix, labels, path, title="transfer matrix"):
    """Heatmap of `M[i][j]`: accuracy of network j on examples crafted on network i."""
    plt = pyplot()
    matrix = np.asarray(matrix, float)
    size = 1.2 + 0.45 * len(matrix)
    fig, ax = plt.subplots(figsize=(size + 1.0, size))
    image = ax.imshow(matrix, vmin=0, vmax=1, cmap="viridis")
    for (i, j), value in np.ndenumerate(matrix):
        ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=6,
                color="white" if value < 0.6 else "black")
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_xlabel("evaluated on network j")
    ax.set_ylabel("crafted on network i")
    ax.set_title(title, fontsize=9)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
