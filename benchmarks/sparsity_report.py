"""Tables and plots of `benchmarks/sparsity.py` results: mean and lowest seed per method.

    python benchmarks/sparsity_report.py benchmarks/results/sparsity_mnist_lenet.json \
        benchmarks/results/sparsity_mnist_cnn.json --plot-dir benchmarks/results

Prints a markdown table per model (test accuracy, mean over seeds with the lowest
seed in brackets, FIP's arrival record, the gzip TFLite size of the exported FIP
model) and the tuned hyperparameters, and writes `sparsity_<model>.png`
(accuracy against sparsity, one line per method, the lowest seed shaded).
"""

import argparse
import json
import os

import numpy as np



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", nargs="+")
    parser.add_argument("--plot-dir", default=None)
    args = parser.parse_args()
    for path in args.results:
        with open(path) as f:
            payload = json.load(f)
        for kind in dict.fromkeys(e["model"] for e in payload["table"]):
            entries = [e for e in payload["table"] if e["model"] == kind]
            print(f"\n### {kind} ({path})\n")
            print(table(payload, kind, entries))
            print("\nhyperparameters:", json.dumps(payload["hyperparameters"].get(kind, {})))
            print("\n" + verdict(entries))
            if args.plot_dir:
                out = os.path.join(args.plot_dir, f"sparsity_{kind}.png")
                plot(kind, entries, payload, out)
                print(f"wrote {out}")


def table(payload, kind, entries):
    methods = list(dict.fromkeys(e["method"] for e in entries))
    sparsities = sorted({e["sparsity"] for e in entries})
    cells = {(e["sparsity"], e["method"]): e for e in entries}
    dense = [r["dense_accuracy"] for r in payload["rows"] if r["model"] == kind and
             r["method"] == methods[0] and r["sparsity"] == sparsities[0]]
    sizes = {e["sparsity"]: e for e in payload["exports"] if e["model"] == kind}
    lines = ["| sparsity | dense | " + " | ".join(methods) +
             " | FIP path: reached, steps, max gap | gzip TFLite (dense) |",
             "|---|---|" + "---|" * len(methods) + "---|---|"]
    for s in sparsities:
        row = [f"{100 * s:g}%", f"{np.mean(dense):.4f}"]
        best = max(cells[s, m]["mean"] for m in methods if (s, m) in cells)
        for m in methods:
            e = cells.get((s, m))
            text = f"{e['mean']:.4f} ({e['min']:.4f})" if e else ""
            row.append(f"**{text}**" if e and e["mean"] == best else text)
        fip = cells.get((s, "fip"))
        row.append(f"{fip['reached']}/{len(fip['runs'])}, {int(np.mean(fip['path_steps']))}, "
                   f"{fip['max_gap']:.4f}" if fip else "")
        size = sizes.get(s)
        row.append(f"{size['tflite_gzip_bytes'] / 1024:.0f} KB "
                   f"({size['dense_tflite_gzip_bytes'] / 1024:.0f} KB)" if size else "")
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def verdict(entries):
    """FIP against each peer: level when FIP's mean is no lower than the peer's mean
    minus the larger of the two mean-to-lowest-seed spreads; else below (or above)."""
    cells = {(e["sparsity"], e["method"]): e for e in entries}
    lines = []
    for s in sorted({e["sparsity"] for e in entries}):
        fip = cells.get((s, "fip"))
        if fip is None:
            continue
        words = []
        for (t, method), peer in cells.items():
            if t != s or method == "fip":
                continue
            noise = max(fip["mean"] - fip["min"], peer["mean"] - peer["min"])
            diff = fip["mean"] - peer["mean"]
            word = "above" if diff > noise else "level" if diff >= -noise else "BELOW"
            words.append(f"{method} {word} ({100 * diff:+.2f} pts, noise {100 * noise:.2f})")
        lines.append(f"- {100 * s:g}%: fip vs " + "; ".join(words))
    return "\n".join(lines)


def plot(kind, entries, payload, out):
    from keras_fip.plotting import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for method in dict.fromkeys(e["method"] for e in entries):
        rows = sorted((e for e in entries if e["method"] == method), key=lambda e: e["sparsity"])
        xs = [100 * e["sparsity"] for e in rows]
        line, = ax.plot(xs, [e["mean"] for e in rows], marker="o", label=method)
        ax.fill_between(xs, [e["min"] for e in rows], [e["mean"] for e in rows],
                        color=line.get_color(), alpha=0.15)
    dense = np.mean([r["dense_accuracy"] for r in payload["rows"] if r["model"] == kind])
    ax.axhline(dense, color="gray", linestyle="--", label="dense")
    ax.set_xlabel("zero weights (%)")
    ax.set_ylabel("test accuracy (mean; lowest seed shaded)")
    ax.set_title(f"{kind}, MNIST")
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, out)
    plt.close(fig)


if __name__ == "__main__":
    main()
