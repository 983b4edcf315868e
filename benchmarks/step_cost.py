"""Step cost on TensorFlow and JAX: a FIP step against a plain step, and against memory size.

One command, both backends (one subprocess per backend, `KERAS_BACKEND` set), the
MLP (MNIST shapes), the reference CNN (MNIST shapes) and the CIFAR ResNet-18
(32x32x3, 100 classes), on random data:

    python benchmarks/step_cost.py --out benchmarks/results/step_cost.json

Per backend and network one row, every configuration below timed in the same
process and interleaved (each repeat times each configuration once, in turn, so
that machine noise hits all of them); each configuration's figure is the median
over repeats of its per-repeat median step, and every ratio the median of the
per-repeat ratios:

- `plain`: a `keras.Model` train step on the task batch (`--batch`);
- `fip`: a `FIPModel` wrapping an identical network (same seed), its memory
  holding `--memory-per-class` samples of every class, drawing `--memory-batch`
  of them inside the compiled step (64, `FIPModel`'s default; 32 for ResNet-18,
  whose task batch on 2 CPU cores is 32: `benchmarks/gpu.sh` runs it at 128 + 64);
- `plain_same_samples`: a plain step on a batch of task + memory samples
  (`batch + memory batch`): the compute the FIP step cannot avoid;
- `fip_no_input_check`: `FIPModel(check_inputs=False)` (the non-finite check of
  input batches skipped), and the route the default did not take, forced:
  `fip_single_pass` (`single_pass=True`) or `fip_two_pass` (`single_pass=False`),
  for the networks in `--variant-networks`, when this keras_fip's `FIPModel`
  takes those keyword arguments (found with `inspect`; otherwise recorded as not
  available);
- `fip_memory_<k>`: the FIP step with `k` samples stored per class, for each `k`
  of the sweep (`--sweep`, 20, 200, 1,000 and 5,000 per class for the networks
  with 10 classes; `--resnet-sweep`, capped at 20 and 500 per class for ResNet-18:
  its 100 classes at 5,000 per class would be 500,000 images, 6 GB of float32,
  while 500 per class is 50,000 images, 614 MB).

`--sweep-samplers permutation` adds the sweep with `AnchorMemory(sampling=
"permutation")`, the shuffle of the whole memory on every step before issue 26
(`fip_permutation_memory_<k>`), for comparison.

The memory is filled with `memory.add` on random inputs, balanced labels and
random anchor logits (their values do not change what a step computes; computing
them with the network would cost a forward pass over up to 50,000 images).

Each timing is per step, from a callback inside `model.fit` (`timing.median_step`:
Keras' own loop; the callback reads the step's logs, so it waits for the step on
every backend), the median over `--steps` steps after `--warmup` untimed ones.
Each row prints the must-show targets of issue 26 as PASS / FAIL: FIP / plain
<= 1.3 at the default memory batch, FIP / plain on the same samples <= 1.1, and
the FIP step flat within 10% over the sweep (every size's step within 10% of
the smallest memory's, per-repeat ratios).

`--jit on` (the default) compiles with `jit_compile=True` (TensorFlow: XLA; JAX:
the jitted step); `--jit off` with `jit_compile=False` (TensorFlow: a graph
without XLA; JAX: eager, op by op, `--eager-steps` steps). `--precision
mixed_bfloat16` sets Keras' global dtype policy before the networks are built.
`--backends current` runs in this process on Keras' backend (what each
subprocess does); `--networks`, `--steps` and the sizes take one value or
`name=value` pairs per network.

The JSON (`--out`) holds the command, the settings, an environment line per
backend (backend, device, versions) and every row; it is rewritten after every
row, so a run cut short keeps the rows it finished. The default run takes about
15 minutes on 2 quiet CPU cores (both backends; ResNet-18 about half of it). The
table is rendered in RESULTS by `step_cost_table`, `step_cost_sweep` and
`step_cost_variants` (benchmarks/renderers/speed.py). A quick look:

    python benchmarks/step_cost.py --networks mlp --steps 20 --warmup 3 \\
        --repeats 2 --sweep 20,1000 --out /tmp/step_cost_quick.json
"""

import argparse
import gc
import inspect
import json
import os
import platform
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

FORMAT = "step_cost/2"
NETWORKS = {
    # name: (label, input shape, classes)
    "mlp": ("MLP 784-256-256-10", (28, 28, 1), 10),
    "reference_cnn": ("reference CNN (MNIST)", (28, 28, 1), 10),
    "resnet18": ("ResNet-18 (CIFAR-100)", (32, 32, 3), 100),
}
#: issue 26's must-show limits
TARGETS = {"fip_over_plain": 1.3, "fip_over_same_samples": 1.1, "sweep_flat": 0.10}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="tensorflow,jax",
                        help="comma-separated backends, each run in a subprocess; 'current': "
                        "this process, Keras' backend")
    parser.add_argument("--networks", default="mlp,reference_cnn,resnet18")
    parser.add_argument("--jit", default="on", help="on, off or on,off")
    parser.add_argument("--precision", default="float32",
                        help="Keras dtype policies, comma-separated: float32, mixed_bfloat16")
    parser.add_argument("--batch", default="mlp=64,reference_cnn=128,resnet18=32",
                        help="task batch: one size or name=size pairs")
    parser.add_argument("--memory-batch", default="mlp=64,reference_cnn=64,resnet18=32",
                        help="memory samples drawn per FIP step (FIPModel's default is 64): one "
                        "size or name=size pairs")
    parser.add_argument("--memory-per-class", type=int, default=20,
                        help="samples stored per class for the fip row")
    parser.add_argument("--sweep", default="20,200,1000,5000",
                        help="stored per class, the memory sweep of the 10-class networks "
                        "('' for none)")
    parser.add_argument("--resnet-sweep", default="20,500",
                        help="stored per class, the memory sweep of ResNet-18 (100 classes; "
                        "capped: 5,000 per class is 6 GB)")
    parser.add_argument("--sweep-samplers", default="",
                        help="also sweep with these AnchorMemory(sampling=...) samplers, e.g. "
                        "'permutation' (the shuffle of the whole memory before issue 26)")
    parser.add_argument("--variant-networks", default="mlp,reference_cnn",
                        help="networks also timed with check_inputs=False and the forced other "
                        "route (single/two pass) ('' for none)")
    parser.add_argument("--steps", default="mlp=100,reference_cnn=20,resnet18=4",
                        help="timed steps per repeat: one count or name=count pairs")
    parser.add_argument("--warmup", default="mlp=10,reference_cnn=3,resnet18=1",
                        help="untimed steps per repeat: one count or name=count pairs")
    parser.add_argument("--resnet-steps", type=int, default=None,
                        help="timed steps for ResNet-18 (overrides --steps)")
    parser.add_argument("--resnet-warmup", type=int, default=None)
    parser.add_argument("--eager-steps", type=int, default=10,
                        help="at most this many timed steps for the eager JAX step (jit off)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--combined-plain", action="store_true",
                        help=argparse.SUPPRESS)  # before issue 26: now always timed
    parser.add_argument("--out", default=None, help="JSON file to write")
    parser.add_argument("--merge", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def per_network(spec, name, cast=int):
    """`spec` is one value for every network or `name=value` pairs."""
    spec = str(spec)
    if "=" not in spec:
        return cast(spec)
    pairs = dict(item.split("=", 1) for item in spec.split(",") if item)
    if name not in pairs:
        raise SystemExit(f"no value for {name} in {spec!r}")
    return cast(pairs[name])


def sizes(spec):
    return sorted({int(s) for s in str(spec).split(",") if s.strip()})


def fip_options():
    """The keyword arguments of this keras_fip's FIPModel that the variants use."""
    from keras_fip.engine import FIPModel

    parameters = inspect.signature(FIPModel.__init__).parameters
    return {name: name in parameters for name in ("check_inputs", "single_pass")}


# ----------------------------------------------------------------- environment


def environment():
    """Backend, device and versions of this process."""
    import keras

    backend = keras.backend.backend()
    env = {"backend": backend, "keras": keras.__version__, "numpy": np.__version__,
           "python": platform.python_version(), "cpu_count": os.cpu_count()}
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    env["cpu"] = cpu
    try:
        env["affinity_cores"] = len(os.sched_getaffinity(0))
    except AttributeError:
        pass
    if backend == "jax":
        import jax
        import jaxlib

        env.update(jax=jax.__version__, jaxlib=jaxlib.__version__)
        devices = jax.devices()
        env["device"] = f"{devices[0].platform}: " + ", ".join(
            sorted({getattr(d, "device_kind", str(d)) for d in devices})) + f" x{len(devices)}"
    elif backend == "tensorflow":
        import tensorflow as tf

        env["tensorflow"] = tf.__version__
        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            kinds = [tf.config.experimental.get_device_details(g).get("device_name", g.name)
                     for g in gpus]
            env["device"] = "gpu: " + ", ".join(sorted(set(kinds))) + f" x{len(gpus)}"
        else:
            env["device"] = "cpu"
    if env.get("device", "").startswith("cpu"):
        env["device"] = f"cpu: {cpu}"
    try:
        from keras_fip import __version__ as fip_version

        env["keras_fip"] = fip_version
    except Exception as error:  # noqa: BLE001  (reported, not hidden)
        env["keras_fip"] = f"import failed: {error!r}"
    env["fip_options"] = fip_options()
    return env


def env_line(env):
    versions = ", ".join(f"{k} {env[k]}" for k in ("keras", "jax", "jaxlib", "tensorflow",
                                                   "keras_fip", "python") if k in env)
    return f"backend {env['backend']} | device {env.get('device')} | {versions}"


# ------------------------------------------------------------------ one backend


def fill_memory(fip, per_class, shape, classes, seed):
    """`per_class` random inputs of every class, with random anchor outputs."""
    rng = np.random.default_rng(seed)
    n = per_class * classes
    x = rng.random((n, *shape), dtype=np.float32)
    y = np.repeat(np.arange(classes), per_class)
    outputs = rng.standard_normal((n, classes)).astype(np.float32)
    if not fip.from_logits:
        outputs = np.exp(outputs) / np.exp(outputs).sum(axis=1, keepdims=True)
    fip.memory.add(x, outputs, y, task=0)


def first_line(error):
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0][:300]}"


def time_row(args, name, precision, jit, backend, options):
    """Times every configuration of one network, interleaved; returns the row."""
    import keras

    from keras_fip.engine import FIPModel
    from keras_fip.models import mlp, reference_cnn, resnet18
    from timing import median_step

    builders = {"mlp": mlp, "reference_cnn": reference_cnn, "resnet18": resnet18}
    label, shape, classes = NETWORKS[name]
    batch = per_network(args.batch, name)
    memory_batch = per_network(args.memory_batch, name)
    steps, warmup = per_network(args.steps, name), per_network(args.warmup, name)
    if name == "resnet18":
        steps = args.resnet_steps if args.resnet_steps is not None else steps
        warmup = args.resnet_warmup if args.resnet_warmup is not None else warmup
    jit_compile = {"on": True, "off": False}[jit]
    eager = backend == "jax" and not jit_compile
    if eager:
        steps, warmup = min(steps, args.eager_steps), min(warmup, 2)
    sweep = sizes(args.resnet_sweep if name == "resnet18" else args.sweep)
    variants = name in [n for n in args.variant_networks.split(",") if n]
    row = {"backend": backend, "network": name, "label": label, "classes": classes,
           "precision": precision, "jit_compile": jit_compile,
           "mode": ("eager" if eager else "jit" if jit_compile else "graph")
           if backend == "jax" else ("xla" if jit_compile else "graph"),
           "batch": batch, "memory_batch": memory_batch,
           "memory_per_class": args.memory_per_class, "sweep_per_class": sweep,
           "steps": steps, "warmup": warmup, "repeats": args.repeats}
    if name == "resnet18":
        row["sweep_note"] = (f"capped at {max(sweep) if sweep else 0} per class: 100 classes "
                             "at 5,000 per class would be 500,000 images (6 GB)")

    rng = np.random.default_rng(0)
    n = batch * (steps + warmup)
    x = rng.random((n, *shape), dtype=np.float32)
    y = rng.integers(0, classes, n)
    both = batch + memory_batch
    x2 = rng.random((both * (steps + warmup), *shape), dtype=np.float32)
    y2 = rng.integers(0, classes, len(x2))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def plain_model():
        keras.utils.set_random_seed(0)
        model = builders[name](shape, classes)
        model.compile(keras.optimizers.Adam(1e-3), loss, jit_compile=jit_compile)
        return model

    def fip_model(per_class, sampling=None, **extra):
        def build():
            keras.utils.set_random_seed(0)
            if sampling is not None:
                from keras_fip.engine import AnchorMemory

                extra["memory"] = AnchorMemory(sampling=sampling)
            model = FIPModel.from_model(builders[name](shape, classes), fip_weight=10.0,
                                        memory_batch_size=memory_batch, seed=0, **extra)
            model.compile(keras.optimizers.Adam(1e-3), loss, jit_compile=jit_compile)
            fill_memory(model, per_class, shape, classes, seed=per_class)
            return model
        return build

    # name: (builder, x, y, batch); built on first use, in this order
    configs = {"plain": (plain_model, x, y, batch),
               "fip": (fip_model(args.memory_per_class), x, y, batch),
               "plain_same_samples": (plain_model, x2, y2, both)}
    unavailable = []
    if variants:
        if options.get("check_inputs"):
            configs["fip_no_input_check"] = (fip_model(args.memory_per_class, check_inputs=False),
                                             x, y, batch)
        else:
            unavailable.append("check_inputs")
        if options.get("single_pass"):
            # the route the default did not take is added once the default has run
            configs["fip_other_route"] = None
        else:
            unavailable.append("single_pass")
    for per_class in sweep:
        if per_class != args.memory_per_class:
            configs[f"fip_memory_{per_class}"] = (fip_model(per_class), x, y, batch)
    samplers = [x for x in args.sweep_samplers.split(",") if x]
    for sampling in samplers:
        for per_class in sweep:
            configs[f"fip_{sampling}_memory_{per_class}"] = (
                fip_model(per_class, sampling=sampling), x, y, batch)
    row["sweep_samplers"] = samplers
    if unavailable:
        row["unavailable"] = [f"FIPModel({o}=...) not in this keras_fip" for o in unavailable]

    models, timings, errors, built_seconds = {}, {}, {}, {}
    start = time.perf_counter()
    for repeat in range(args.repeats):
        for key in list(configs):
            if key in errors:
                continue
            if configs[key] is None:  # fip_other_route: decided by what `fip` ran
                active = getattr(models.get("fip"), "single_pass_active", None)
                del configs[key]
                extra_routes = ([("fip_two_pass", False)] if active is True else
                                [("fip_single_pass", True)] if active is False else
                                [("fip_single_pass", True), ("fip_two_pass", False)])
                for route, value in extra_routes:
                    configs[route] = (fip_model(args.memory_per_class, single_pass=value),
                                      x, y, batch)
                    timings[route] = []
                    # time it in this repeat too (the loop's list was taken before)
                    _time_one(route, configs, models, timings, errors, built_seconds,
                              median_step, warmup)
                continue
            timings.setdefault(key, [])
            _time_one(key, configs, models, timings, errors, built_seconds, median_step, warmup)
        print(f"    {name} repeat {repeat + 1}/{args.repeats}: "
              + ", ".join(f"{k} {v[-1]:.2f}" for k, v in timings.items() if v) + " ms",
              flush=True)
    row["wall_seconds"] = time.perf_counter() - start
    row["first_call_seconds"] = built_seconds
    for key, model in models.items():
        if key.startswith("fip"):
            row.setdefault("memory_size", {})[key] = len(model.memory)
            active = getattr(model, "single_pass_active", None)
            if active is not None:
                row.setdefault("single_pass_active", {})[key] = bool(active)
            sampling = getattr(model.memory, "sampling", None)
            if sampling is not None:
                row["memory_sampling"] = sampling
    row["timings_ms"] = {k: v for k, v in timings.items() if v}
    row["medians_ms"] = {k: float(np.median(v)) for k, v in row["timings_ms"].items()}
    if errors:
        row["errors"] = errors
    summarise(row)
    del models
    gc.collect()
    keras.backend.clear_session()
    return row


def _time_one(key, configs, models, timings, errors, built_seconds, median_step, warmup):
    build, xs, ys, size = configs[key]
    try:
        began = time.perf_counter()
        if key not in models:
            models[key] = build()
        first = not timings[key]
        timings[key].append(1e3 * median_step(models[key], xs, ys, size, warmup))
        if first:  # building, filling the memory, compiling and the first repeat
            built_seconds[key] = time.perf_counter() - began
    except Exception as error:  # noqa: BLE001  (a failed configuration is a result too)
        errors[key] = first_line(error)
        timings.pop(key, None)
        models.pop(key, None)
        print(f"    {key}: FAILED {errors[key]}", flush=True)


def paired(row, a, b):
    """Median over repeats of a / b (the repeats that timed both)."""
    ta, tb = row["timings_ms"].get(a), row["timings_ms"].get(b)
    if not ta or not tb:
        return None, []
    ratios = [p / q for p, q in zip(ta, tb)]
    return float(np.median(ratios)), ratios


def summarise(row):
    """Ratios, the sweep and the pass/fail of issue 26's targets, into the row."""
    ratios = {}
    for key, (a, b) in {"fip_over_plain": ("fip", "plain"),
                        "fip_over_same_samples": ("fip", "plain_same_samples"),
                        "input_check": ("fip", "fip_no_input_check")}.items():
        median, per_repeat = paired(row, a, b)
        if median is not None:
            ratios[key] = {"median": median, "per_repeat": per_repeat}
    active = row.get("single_pass_active", {}).get("fip")
    single = "fip" if active is True else "fip_single_pass"
    two = "fip" if active is False else "fip_two_pass"
    median, per_repeat = paired(row, single, two)
    if median is not None:
        ratios["single_over_two_pass"] = {"median": median, "per_repeat": per_repeat}
    row["ratios"] = ratios

    sweep = []
    base = min(row["sweep_per_class"]) if row["sweep_per_class"] else None
    base_key = ("fip" if base == row["memory_per_class"] else f"fip_memory_{base}")
    for per_class in row["sweep_per_class"]:
        key = "fip" if per_class == row["memory_per_class"] else f"fip_memory_{per_class}"
        entry = {"per_class": per_class, "stored": per_class * row["classes"], "config": key}
        if key in row["medians_ms"]:
            entry["fip_ms_median"] = row["medians_ms"][key]
            relative, _ = paired(row, key, base_key)
            if relative is not None:
                entry["relative_to_smallest"] = relative
        sweep.append(entry)
    row["sweep"] = sweep
    by_sampler = {}
    for sampling in row.get("sweep_samplers", []):
        entries = []
        base_key = f"fip_{sampling}_memory_{base}"
        for per_class in row["sweep_per_class"]:
            key = f"fip_{sampling}_memory_{per_class}"
            entry = {"per_class": per_class, "stored": per_class * row["classes"], "config": key}
            if key in row["medians_ms"]:
                entry["fip_ms_median"] = row["medians_ms"][key]
                relative, _ = paired(row, key, base_key)
                if relative is not None:
                    entry["relative_to_smallest"] = relative
            entries.append(entry)
        by_sampler[sampling] = entries
    if by_sampler:
        row["sweep_by_sampler"] = by_sampler

    targets = {}
    if "fip_over_plain" in ratios:
        value = ratios["fip_over_plain"]["median"]
        targets["fip_over_plain"] = {"value": value, "limit": TARGETS["fip_over_plain"],
                                     "pass": value <= TARGETS["fip_over_plain"]}
    if "fip_over_same_samples" in ratios:
        value = ratios["fip_over_same_samples"]["median"]
        targets["fip_over_same_samples"] = {"value": value,
                                            "limit": TARGETS["fip_over_same_samples"],
                                            "pass": value <= TARGETS["fip_over_same_samples"]}
    measured = [e for e in sweep if "relative_to_smallest" in e]
    if len(measured) >= 2:
        value = max(abs(e["relative_to_smallest"] - 1) for e in measured)
        targets["sweep_flat"] = {"value": value, "limit": TARGETS["sweep_flat"],
                                 "pass": value <= TARGETS["sweep_flat"],
                                 "from_per_class": measured[0]["per_class"],
                                 "to_per_class": measured[-1]["per_class"]}
    row["targets"] = targets


def row_line(row):
    m, r, t = row["medians_ms"], row["ratios"], row["targets"]

    def ms(key):
        return f"{m[key]:.2f}" if key in m else "-"

    def verdict(key):
        return ("PASS" if t[key]["pass"] else "FAIL") if key in t else "n/a"

    parts = [f"plain {ms('plain')} ms, FIP {ms('fip')} ms"]
    if "fip_over_plain" in r:
        parts.append(f"FIP/plain {r['fip_over_plain']['median']:.2f} "
                     f"[<= {TARGETS['fip_over_plain']}: {verdict('fip_over_plain')}]")
    if "fip_over_same_samples" in r:
        parts.append(f"plain(B+M) {ms('plain_same_samples')} ms, FIP/plain(B+M) "
                     f"{r['fip_over_same_samples']['median']:.2f} "
                     f"[<= {TARGETS['fip_over_same_samples']}: {verdict('fip_over_same_samples')}]")
    if "input_check" in r:
        parts.append(f"FIP/no input check {r['input_check']['median']:.2f}")
    if "single_over_two_pass" in r:
        parts.append(f"single/two pass {r['single_over_two_pass']['median']:.2f}")
    measured = [e for e in row["sweep"] if "relative_to_smallest" in e]
    if measured:
        parts.append("memory/class " + ", ".join(
            f"{e['per_class']}: {e['relative_to_smallest']:.2f}" for e in measured)
            + (f" [flat within 10%: {verdict('sweep_flat')}]" if "sweep_flat" in t else ""))
    for sampling, entries in row.get("sweep_by_sampler", {}).items():
        parts.append(f"{sampling} sampler, memory/class " + ", ".join(
            f"{e['per_class']}: {e['relative_to_smallest']:.2f}" for e in entries
            if "relative_to_smallest" in e))
    if row.get("errors"):
        parts.append("FAILED " + "; ".join(f"{k}: {v}" for k, v in row["errors"].items()))
    return "; ".join(parts)


def run_backend(args, sink):
    """Every row on Keras' backend; `sink(env, rows, done)` after each row."""
    import keras

    backend = keras.backend.backend()
    env = environment()
    print(env_line(env), flush=True)
    options = env["fip_options"]
    rows = []
    sink(env, rows, False)
    for precision in args.precision.split(","):
        keras.mixed_precision.set_global_policy(precision)
        for name in [n for n in args.networks.split(",") if n]:
            for jit in args.jit.split(","):
                print(f"  {backend} {name} {precision} jit={jit}", flush=True)
                try:
                    row = time_row(args, name, precision, jit, backend, options)
                except Exception as error:  # noqa: BLE001  (a failed row is a result too)
                    row = {"backend": backend, "network": name, "label": NETWORKS[name][0],
                           "precision": precision, "jit_compile": jit == "on",
                           "error": first_line(error)}
                    print(f"  FAILED {row['error']}", flush=True)
                    keras.backend.clear_session()
                else:
                    print(f"  {backend} {name} {precision} {row['mode']} "
                          f"({row['wall_seconds']:.0f} s): {row_line(row)}", flush=True)
                rows.append(row)
                sink(env, rows, False)
    keras.mixed_precision.set_global_policy("float32")
    sink(env, rows, True)
    return env, rows


# ------------------------------------------------------------------------ report


def table(rows, envs):
    lines = [f"env: {env_line(e)}" for e in envs]
    lines.append(f"{'backend':<10} {'network':<22} {'precision':<15} {'mode':<5} {'B+M':>7} "
                 f"{'plain ms':>9} {'FIP ms':>9} {'FIP/plain':>9} {'<=1.3':<5} "
                 f"{'B+M ms':>9} {'FIP/(B+M)':>9} {'<=1.1':<5} {'sweep dev':>9} {'<=10%':<5}")
    for r in rows:
        head = (f"{r['backend']:<10} {r['label']:<22} {r['precision']:<15} "
                f"{r.get('mode', '?'):<5} {str(r.get('batch', '?')) + '+' + str(r.get('memory_batch', '?')):>7}")
        if "error" in r:
            lines.append(f"{head} FAILED: {r['error']}")
            continue
        m, ra, t = r["medians_ms"], r["ratios"], r["targets"]

        def cell(value, width, spec=".2f"):
            return f"{value:>{width}{spec}}" if isinstance(value, float) else f"{'-':>{width}}"

        def flag(key):
            return ("PASS" if t[key]["pass"] else "FAIL") if key in t else "n/a"

        lines.append(
            f"{head} {cell(m.get('plain'), 9)} {cell(m.get('fip'), 9)} "
            f"{cell(ra.get('fip_over_plain', {}).get('median'), 9)} {flag('fip_over_plain'):<5} "
            f"{cell(m.get('plain_same_samples'), 9)} "
            f"{cell(ra.get('fip_over_same_samples', {}).get('median'), 9)} "
            f"{flag('fip_over_same_samples'):<5} "
            f"{cell(t.get('sweep_flat', {}).get('value'), 9, '.1%')} {flag('sweep_flat'):<5}")
    return "\n".join(lines)


def write(path, payload, quiet=False):
    if not path:
        return
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(payload, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    if not quiet:
        print(f"wrote {path}")


def header(args, command):
    settings = {k: v for k, v in vars(args).items() if k not in ("merge", "out")}
    return {"format": FORMAT, "command": command, "settings": settings,
            "targets": TARGETS, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def child_argv(argv):
    """`argv` without --backends, --out and --merge (whether `--x v` or `--x=v`)."""
    out, i = [], 0
    while i < len(argv):
        key = argv[i].split("=")[0]
        if key in ("--backends", "--out"):
            i += 1 if "=" in argv[i] else 2
            continue
        if key != "--merge":
            out.append(argv[i])
        i += 1
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    command = "python " + " ".join([os.path.relpath(os.path.abspath(__file__))] + argv)
    backends = [b for b in args.backends.split(",") if b]
    if backends == ["current"]:
        # one backend, here; with --merge, added to what --out already holds
        before = {"environments": [], "rows": [], "failures": {}}
        if args.merge and args.out and os.path.exists(args.out):
            with open(args.out) as f:
                before = json.load(f)
        payload = dict(before) if args.merge else header(args, command)

        def sink(env, rows, done):
            payload.update(environments=before.get("environments", []) + [env],
                           rows=before.get("rows", []) + rows,
                           failures=before.get("failures", {}),
                           partial=not done or bool(before.get("partial")))
            write(args.out, payload, quiet=True)

        env, rows = run_backend(args, sink)
        if not args.merge:
            print(table(rows, [env]))
            write(args.out, payload)
        return 0

    import tempfile

    out = args.out or os.path.join(tempfile.mkdtemp(), "step_cost.json")
    payload = {**header(args, command), "environments": [], "rows": [], "failures": {},
               "partial": True}
    write(out, payload, quiet=True)
    for backend in backends:
        print(f"== KERAS_BACKEND={backend}", flush=True)
        child = [sys.executable, os.path.abspath(__file__)] + child_argv(argv) + [
            "--backends", "current", "--out", out, "--merge"]
        done = subprocess.run(child, env={**os.environ, "KERAS_BACKEND": backend})
        with open(out) as f:
            payload = json.load(f)
        if done.returncode:
            payload["failures"][backend] = f"exit status {done.returncode}"
        payload["partial"] = True
        write(out, payload, quiet=True)
    payload["partial"] = False
    print(table(payload["rows"], payload["environments"]))
    for backend, why in payload["failures"].items():
        print(f"{backend}: FAILED ({why})")
    write(out, payload, quiet=args.out is None)
    return 1 if payload["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
