"""Step cost: one FIP continual step against one plain keras.Model train step.

Same network, same task batch (64), in one process. The FIP step also draws a
memory batch (64) inside the compiled step and adds the Bhattacharyya distance
to the cached anchor outputs. Per-step times come from a callback inside
`model.fit` (Keras' own loop); the median over many steps after warm-up is
reported, for several repeats run alternately so that machine noise hits both.

    python benchmarks/step_cost.py --out benchmarks/results/step_cost.json
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--memory-batch", type=int, default=64)
    parser.add_argument("--out", default="benchmarks/results/step_cost.json")
    args = parser.parse_args()

    import keras

    from keras_fip import FIPModel, report
    from keras_fip.models import mlp

    from timing import median_step as timed

    def median_step(model, x, y):
        return timed(model, x, y, args.batch, args.warmup)

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    cases = {"digits MLP 64-256-256-10": (8, 8, 1), "MNIST MLP 784-256-256-10": (28, 28, 1)}
    rng = np.random.default_rng(0)
    results = {}
    for label, shape in cases.items():
        n = args.batch * (args.steps + args.warmup)
        x = rng.random((n, *shape), dtype=np.float32)
        y = rng.integers(0, 10, n)
        keras.utils.set_random_seed(0)
        plain = mlp(shape, 10)
        plain.compile(keras.optimizers.Adam(1e-3), loss)
        keras.utils.set_random_seed(0)
        fip = FIPModel.from_model(mlp(shape, 10), fip_weight=10.0,
                                  memory_batch_size=args.memory_batch, seed=0)
        fip.compile(keras.optimizers.Adam(1e-3), loss)
        fip.remember(x[:200], y[:200])
        plain_ms, fip_ms = [], []
        for _ in range(args.repeats):
            plain_ms.append(1e3 * median_step(plain, x, y))
            fip_ms.append(1e3 * median_step(fip, x, y))
        ratios = [f / p for f, p in zip(fip_ms, plain_ms)]
        results[label] = {
            "plain_step_ms_median": float(np.median(plain_ms)),
            "fip_step_ms_median": float(np.median(fip_ms)),
            "ratio_median": float(np.median(ratios)),
            "ratios": ratios,
        }

    print(f"task batch {args.batch}, memory batch {args.memory_batch}, median of {args.steps} "
          f"steps after {args.warmup} warm-up, {args.repeats} alternating repeats")
    print(f"{'model':<26} {'plain ms':>9} {'FIP ms':>9} {'FIP/plain':>10}")
    for label, r in results.items():
        print(f"{label:<26} {r['plain_step_ms_median']:>9.3f} {r['fip_step_ms_median']:>9.3f} "
              f"{r['ratio_median']:>10.2f}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    report.write_json(args.out, {"command": "python " + " ".join(sys.argv), "settings": vars(args),
                                 "results": results, "cpu_count": os.cpu_count(),
                                 "versions": report.versions()})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
