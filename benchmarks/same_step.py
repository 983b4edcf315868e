"""Does the FIP step after issue 26, set to its old sampler and two passes, train as before?

    git worktree add /tmp/before 2ac4c53           # the code before issue 26
    python benchmarks/same_step.py --before /tmp/before --after . \
        --out benchmarks/results/same_step_issue26.json

Issue 26 changed two things a continual figure depends on: how the memory batch is
drawn (`AnchorMemory(sampling="uniform")`, O(batch), instead of a shuffle of the
whole memory, `"permutation"`) and, where the network trains as it infers, one
forward pass over task and memory samples (`FIPModel(single_pass=None)`). This runs
the same training in each tree, in its own process, on the embedded digits (an MLP
learns classes 0-4, remembers 20 per class, learns 5-9 for 3 epochs, as FIP and as
DER++): the before tree once; the after tree with the old settings, with the new
sampler and two passes, and with its defaults. It compares the final weights, exactly
and as the largest absolute difference, with the before tree's, and the defaults'
with two passes on the same draws (what one pass alone changes).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

TRAIN = r"""
import inspect, sys
import keras, numpy as np
from keras_fip import FIPModel, AnchorMemory
from keras_fip.continual.terms import ContinualModel, LabelLoss, LogitMatching
from keras_fip.data import load_dataset
from keras_fip.models import mlp

settings = sys.argv[2]
new_engine = "single_pass" in inspect.signature(FIPModel.__init__).parameters
options = {}
if new_engine:
    options = {"old": {"single_pass": False, "memory": "permutation"},
               "two_passes": {"single_pass": False, "memory": "uniform"},
               "defaults": {"memory": "uniform"}}[settings]
data = load_dataset("digits")
x, y = data.x_train, data.y_train
first, second = y < 5, y >= 5
loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
results = {}
for name in ("fip", "derpp"):
    keras.utils.set_random_seed(0)
    kwargs = dict(options)
    if "memory" in kwargs:
        kwargs["memory"] = AnchorMemory(sampling=kwargs["memory"])
    network = mlp(x.shape[1:], 10)
    if name == "fip":
        model = FIPModel.from_model(network, fip_weight=10.0, memory_batch_size=64, seed=0, **kwargs)
    else:
        model = ContinualModel(network, terms=[LogitMatching(0.5), LabelLoss(0.5, own_batch=True)],
                               memory_batch_size=64, seed=0, **kwargs)
    model.compile(keras.optimizers.Adam(1e-3), loss)
    model.fit(x[first], y[first], batch_size=32, epochs=3, shuffle=False, verbose=0)
    model.remember(x[first], y[first], memory_per_class=20, seed=0)
    model.fit(x[second], y[second], batch_size=32, epochs=3, shuffle=False, verbose=0)
    results[name] = np.concatenate([np.ravel(w) for w in model.network.get_weights()])
np.savez(sys.argv[1], **results)
"""


def train(tree, settings, folder):
    out = os.path.join(folder, f"{os.path.basename(os.path.abspath(tree))}_{settings}.npz")
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree), "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, "-c", TRAIN, out, settings], env=env, check=True, cwd="/tmp")
    return dict(np.load(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="source tree of the code before")
    parser.add_argument("--after", default=".", help="source tree of the code after")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        before = train(args.before, "old", folder)
        runs = {"old settings": train(args.after, "old", folder),
                "new sampler, two passes": train(args.after, "two_passes", folder),
                "defaults": train(args.after, "defaults", folder)}
    rows = []
    print(f"{'after, with':<24} {'against':<24} {'method':<7} {'identical':>9} "
          f"{'largest difference':>19}")
    # Each run against the code before; the defaults (one pass) also against two passes
    # with the same draws, which isolates what one pass changes: round-off.
    pairs = [(label, "before", after, before) for label, after in runs.items()]
    pairs.append(("defaults", "new sampler, two passes", runs["defaults"],
                  runs["new sampler, two passes"]))
    for label, against, after, reference in pairs:
        for method in reference:
            difference = float(np.max(np.abs(reference[method] - after[method])))
            identical = bool(np.array_equal(reference[method], after[method]))
            rows.append({"after_settings": label, "against": against, "method": method,
                         "identical": identical, "max_abs_difference": difference,
                         "weights": int(reference[method].size)})
            print(f"{label:<24} {against:<24} {method:<7} {str(identical):>9} "
                  f"{difference:>19.3g}")
    from keras_fip import report

    report.write_json(args.out, {"command": "python " + " ".join(sys.argv),
                                 "before": os.path.abspath(args.before), "rows": rows,
                                 "versions": report.versions()})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
