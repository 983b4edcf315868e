"""Average accuracy against memory size, one line per method, from continual runs.

Each JSON is one `benchmarks/continual.py` run; its memory size (stored samples per
class) is read from the file, and a later file's method at the same size replaces an
earlier one's. Points are the mean over seeds, bars span the lowest and highest seed.

    python benchmarks/plot_buffer.py --out benchmarks/results/continual_mnist_buffer.png \
        benchmarks/results/continual_mnist_tuned.json \
        benchmarks/results/continual_mnist_tuned_memory50.json
"""

import argparse
import json


def points(paths, methods=None):
    """`{method: [(memory per class, mean, min, max), ...]}`, sorted by memory.

    A later file's (method, memory) replaces an earlier one's.
    """
    curves = {}
    for path in paths:
        with open(path) as f:
            data = json.load(f)
        memory = int(data["settings"]["memory_per_class"])
        for name, s in data["summary"].items():
            if methods is None or name in methods:
                curves.setdefault(name, {})[memory] = (
                    s["average_accuracy_mean"], s["average_accuracy_min"],
                    s["average_accuracy_max"])
    return {name: [(m, *v) for m, v in sorted(p.items())] for name, p in curves.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", help="JSON files written by benchmarks/continual.py")
    parser.add_argument("--out", required=True, help="the figure (.png)")
    parser.add_argument("--title", default=None)
    parser.add_argument("--methods", default=None, help="comma-separated; default: all")
    args = parser.parse_args()

    from keras_fip import report

    plt = report.pyplot()
    curves = points(args.runs, args.methods.split(",") if args.methods else None)
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, p in curves.items():
        memory, mean, low, high = zip(*p)
        ax.errorbar(memory, mean, yerr=[[m - lo for m, lo in zip(mean, low)],
                                         [hi - m for m, hi in zip(mean, high)]],
                    marker="o", capsize=3, label=name)
    ax.set_xlabel("samples stored per class")
    ax.set_ylabel("average accuracy after the last task")
    ax.set_xticks(sorted({m for p in curves.values() for m, *_ in p}))
    if args.title:
        ax.set_title(args.title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    report.save_figure(fig, args.out)
    for name, p in curves.items():
        print(f"{name:<11} " + "  ".join(f"{m}/class {mean:.4f}" for m, mean, *_ in p))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
