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

`--masked` times masked fine-tuning instead (LeNet-300-100, Adam, batch 200, 95%
of the kernels and biases pruned), on the backend Keras runs on:
- finetune: a plain Adam step, no mask;
- holdmask: the same step with `HoldMask` (on JAX the masks are applied inside the
  compiled step: `InStepMasks`);
- gradual: `GradualMask` on the cubic schedule, a new mask every `--frequency` steps;
- holdmask_per_batch, gradual_per_batch (JAX only): the route before, the callback
  syncing the step's state into the variables after every batch and masking eagerly.
Each is the wall time of whole `fit`s of `--steps` steps (after one to compile)
divided by the steps, the weights read at the end: JAX dispatches steps
asynchronously, so a timer inside the fit would see the dispatch, not the step.

    KERAS_BACKEND=jax python benchmarks/sparsity_step_cost.py --masked \
        --out benchmarks/results/sparsity_step_cost_masked_jax.json
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
    parser.add_argument("--masked", action="store_true",
                        help="time masked fine-tuning steps (HoldMask, GradualMask) instead")
    parser.add_argument("--frequency", type=int, default=20,
                        help="with --masked: steps between GradualMask's new masks")
    parser.add_argument("--out", default=None,
                        help="default: benchmarks/results/sparsity_step_cost.json, or "
                             "sparsity_step_cost_masked_<backend>.json with --masked")
    args = parser.parse_args()
    if args.masked:
        return masked(args)
    args.out = args.out or "benchmarks/results/sparsity_step_cost.json"

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


def masked(args):
    """Masked fine-tuning steps: plain, HoldMask, GradualMask (and the per-batch route on JAX)."""
    import time

    import keras

    from keras_fip import report
    from keras_fip.models import lenet_300_100
    from keras_fip.sparsity import GradualMask, HoldMask, SparsityObjective
    from keras_fip.sparsity.callbacks import InStepMasks
    from keras_fip.sparsity.schedules import PolynomialSparsity

    backend = keras.backend.backend()
    args.out = args.out or f"benchmarks/results/sparsity_step_cost_masked_{backend}.json"
    rng = np.random.default_rng(0)
    n = args.batch * args.steps
    x = rng.random((n, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, n)
    keras.utils.set_random_seed(0)
    start = lenet_300_100()
    masks = SparsityObjective(0.95, scope="kernels_and_biases").snap(start)

    def model():
        network = keras.models.clone_model(start)
        network.set_weights(start.get_weights())
        network.compile(keras.optimizers.Adam(1e-3),
                        keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return network

    def gradual(network):
        pull = SparsityObjective(schedule=PolynomialSparsity(0.95, args.steps, power=3.0),
                                 scope="kernels_and_biases")
        pull.bind(network)
        return GradualMask(pull, frequency=args.frequency)

    class PerBatch:
        """The route before: no masks in the step, the callback masks after each batch."""

        def __init__(self, make):
            self.make = make

        def __call__(self, network):
            callback = self.make(network)
            install = callback.on_train_begin

            def begin(logs=None):
                saved = InStepMasks.install
                InStepMasks.install = classmethod(lambda cls, model, pairs: None)
                try:
                    install(logs)
                finally:
                    InStepMasks.install = saved
            callback.on_train_begin = begin
            return callback

    variants = {
        "finetune": lambda network: None,
        "holdmask": lambda network: HoldMask(masks),
        "gradual": gradual,
    }
    if backend == "jax":
        variants["holdmask_per_batch"] = PerBatch(variants["holdmask"])
        variants["gradual_per_batch"] = PerBatch(gradual)
    networks = {name: model() for name in variants}

    def seconds_per_step(name):
        network = networks[name]
        callback = variants[name](network)
        began = time.perf_counter()
        network.fit(x, y, batch_size=args.batch, epochs=1, shuffle=False, verbose=0,
                    callbacks=[] if callback is None else [callback])
        np.asarray(network.weights[0])  # waits for the last step
        return (time.perf_counter() - began) / args.steps

    for name in variants:  # compiles
        seconds_per_step(name)
    times = {name: [] for name in variants}
    for _ in range(args.repeats):
        for name in variants:
            times[name].append(1e3 * seconds_per_step(name))
    results = {name: float(np.median(ms)) for name, ms in times.items()}
    ratios = {name: float(np.median([t / p for t, p in zip(times[name], times["finetune"])]))
              for name in times}
    print(f"{backend}: LeNet-300-100 fine-tuning (Adam), batch {args.batch}, {args.steps} steps "
          f"per fit, median of {args.repeats} alternating fits")
    print(f"{'variant':<20} {'ms/step':>8} {'/finetune':>10}")
    for name in variants:
        print(f"{name:<20} {results[name]:>8.3f} {ratios[name]:>10.2f}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    report.write_json(args.out, {"command": "python " + " ".join(sys.argv), "backend": backend,
                                 "settings": vars(args), "ms_per_step_median": results,
                                 "ratio_to_finetune_median": ratios, "runs_ms": times,
                                 "cpu_count": os.cpu_count(), "versions": report.versions()})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
