"""Plot of a sparsification comparison: accuracy against sparsity, one line per method."""

from keras_fip.plotting import pyplot, save_figure


def plot_accuracy_against_sparsity(results, dense_accuracy, path):
    """`results`: dicts with method, target_sparsity and accuracy."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for method in dict.fromkeys(r["method"] for r in results):
        rows = sorted((r for r in results if r["method"] == method), key=lambda r: r["target_sparsity"])
        ax.plot([100 * r["target_sparsity"] for r in rows], [r["accuracy"] for r in rows],
                marker="o", label=method)
    ax.axhline(dense_accuracy, color="gray", linestyle="--", label="dense")
    ax.set_xlabel("zero weights (%)")
    ax.set_ylabel("test accuracy")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path)
    plt.close(fig)
