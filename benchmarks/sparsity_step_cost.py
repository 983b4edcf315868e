"""Step cost: one FIP sparsification step against one plain train step, LeNet-300-100.

Same network and batch (200, MNIST-shaped), in one process:
- plain: `keras.Model` with Adam on cross-entropy;
- fip: `FIPModel` + `SparsityObjective(0.95, scope="all")` with `PathStep` and the
  functional distance to cached outputs, summed over the batch, as loss; the
  magnitude threshold and mask are held in variables and recomputed exactly (one
  sort) every `threshold_every` steps;
- fip_sort_every_step: the same with the threshold recomputed at every step, the
  reference implementation's cost (it also copies the weights to NumPy, which
  this does not).
Per-step times come from a callback inside `model.fit`; medians after warm-up,
repeated alternately so machine noise hits every variant.

    python benchmarks/sparsity_step_cost.py --out benchmarks/results/sparsity_step_cost.json
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--threshold-every", type=int, default=50)
    parser.add_argument("--out", default="benchmarks/results/sparsity_step_cost.json")
    args = parser.parse_args()

    import keras

    from keras_fip import FIPModel, PathStep, report
    from keras_fip.engine.distances import DistanceLoss
    from keras_fip.models import lenet_300_100
    from keras_fip.sparsity import SparsityObjective

    from timing import median_step as timed

    def median_step(model, x, y):
        return timed(model, x, y, args.batch, args.warmup)

    rng = np.random.default_rng(0)
    n = args.batch * (args.steps + args.warmup)
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, n)
    keras.utils.set_random_seed(0)
    plain = lenet_300_100()
    plain.compile(keras.optimizers.Adam(1e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    anchors = plain.predict(x, batch_size=1000, verbose=0)

    def fip_variant(every):
        network = keras.models.clone_model(plain)
        network.set_weights(plain.get_weights())
        model = FIPModel.from_model(network, objectives=[
            # The reference's path, as `sparsify` runs it: every parameter counted,
            # the distance summed over the batch.
            SparsityObjective(0.95, weight=0.1, scope="all", threshold_every=every)])
        model.compile(PathStep(1e-3), loss=DistanceLoss(reduction="sum"))
        return model

    variants = {
        "plain": (plain, y),
        "fip": (fip_variant(args.threshold_every), anchors),
        "fip_sort_every_step": (fip_variant(1), anchors),
    }
    times = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name, (model, targets) in variants.items():
            times[name].append(1e3 * median_step(model, x, targets))
    results = {name: float(np.median(ms)) for name, ms in times.items()}
    ratios = {name: [t / p for t, p in zip(times[name], times["plain"])] for name in times}
    print(f"LeNet-300-100, batch {args.batch}, median of {args.steps} steps after "
          f"{args.warmup} warm-up, {args.repeats} alternating repeats")
    print(f"{'variant':<22} {'ms/step':>8} {'/plain':>7}")
    for name in variants:
        print(f"{name:<22} {results[name]:>8.2f} {np.median(ratios[name]):>7.2f}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    report.write_json(args.out, {"command": "python " + " ".join(sys.argv), "settings": vars(args),
                                 "ms_per_step_median": results, "ratio_to_plain_median":
                                 {k: float(np.median(v)) for k, v in ratios.items()},
                                 "runs_ms": times, "cpu_count": os.cpu_count(),
                                 "versions": report.versions()})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
