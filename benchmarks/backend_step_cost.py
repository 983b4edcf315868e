"""Step cost on the current Keras backend: a FIP step against a plain train step.

For the MLP (MNIST shapes), the reference CNN (MNIST shapes, batch 128) and the
CIFAR ResNet-18 (32x32x3, 100 classes), on random data, in one process: a plain
`keras.Model` and a `FIPModel` wrapping an identical network (same seed), both
compiled with Adam and the same loss, each timed per step inside `model.fit`
(`timing.median_step`: Keras' own loop, a callback around every step, which reads
the step's logs and so waits for the step to finish on every backend). The FIP
step also draws a memory batch inside the compiled step and adds the Bhattacharyya
distance to the anchor outputs cached by `remember`. Repeats alternate plain and
FIP so that machine noise hits both; each row reports the medians over repeats
of the per-repeat median step, and the median of the per-repeat ratios.

`--jit on` compiles with `jit_compile=True` (TensorFlow: XLA; JAX: the jitted
step). `--jit off` compiles with `jit_compile=False` (TensorFlow: a tf.function
graph without XLA; JAX: eager, op by op, which is slow, so it runs
`--eager-steps`). `--precision mixed_bfloat16` sets Keras' global dtype policy
before the networks are built (for the GPU; CPUs mostly emulate bfloat16).

The backend is Keras' (`KERAS_BACKEND`). `--backends tensorflow,jax` runs this
script once per backend in a subprocess and merges the rows into one table:

    python benchmarks/backend_step_cost.py --backends tensorflow,jax \\
        --out benchmarks/results/backend_step_cost_cpu.json
    KERAS_BACKEND=jax python benchmarks/backend_step_cost.py --networks mlp --jit on

The JSON holds every row, the settings and an environment line per backend
(backend, device, versions).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))

import numpy as np  # noqa: E402

NETWORKS = {
    # name: (label, input shape, classes)
    "mlp": ("MLP 784-256-256-10", (28, 28, 1), 10),
    "reference_cnn": ("reference CNN (MNIST)", (28, 28, 1), 10),
    "resnet18": ("ResNet-18 (CIFAR-100)", (32, 32, 3), 100),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--networks", default="mlp,reference_cnn,resnet18")
    parser.add_argument("--jit", default="on,off", help="on, off or on,off")
    parser.add_argument("--precision", default="float32",
                        help="Keras dtype policies, comma-separated: float32, mixed_bfloat16")
    parser.add_argument("--batch", default="mlp=64,reference_cnn=128,resnet18=32",
                        help="task batch per network, name=size pairs")
    parser.add_argument("--memory-batch", type=int, default=64,
                        help="memory samples drawn per FIP step (at most the task batch)")
    parser.add_argument("--steps", type=int, default=100, help="timed steps per repeat")
    parser.add_argument("--warmup", type=int, default=10, help="untimed steps per repeat")
    parser.add_argument("--resnet-steps", type=int, default=10,
                        help="timed steps per repeat for ResNet-18")
    parser.add_argument("--resnet-warmup", type=int, default=2)
    parser.add_argument("--eager-steps", type=int, default=10,
                        help="at most this many timed steps for the eager JAX step (jit off)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--combined-plain", action="store_true",
                        help="also time the plain step on task + memory batch samples (the "
                        "compute the FIP step cannot avoid), alternated with the other two")
    parser.add_argument("--backends", default=None,
                        help="run each of these backends in a subprocess and merge the tables")
    parser.add_argument("--out", default=None, help="JSON file to write")
    return parser.parse_args(argv)


def batches(spec):
    sizes = dict(item.split("=") for item in spec.split(",") if item)
    return {name: int(size) for name, size in sizes.items()}


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
    return env


def env_line(env):
    versions = ", ".join(f"{k} {env[k]}" for k in ("keras", "jax", "jaxlib", "tensorflow",
                                                   "keras_fip", "python") if k in env)
    return f"backend {env['backend']} | device {env.get('device')} | {versions}"


def run_backend(args, partial=None):
    import keras

    from keras_fip.engine import FIPModel
    from keras_fip.models import mlp, reference_cnn, resnet18
    from timing import median_step

    builders = {"mlp": mlp, "reference_cnn": reference_cnn, "resnet18": resnet18}
    backend = keras.backend.backend()
    env = environment()
    print(env_line(env), flush=True)
    sizes = batches(args.batch)
    rows = []
    for precision in args.precision.split(","):
        keras.mixed_precision.set_global_policy(precision)
        for name in args.networks.split(","):
            label, shape, classes = NETWORKS[name]
            batch = sizes[name]
            memory_batch = min(args.memory_batch, batch)
            for jit in args.jit.split(","):
                jit_compile = {"on": True, "off": False}[jit]
                steps, warmup = ((args.resnet_steps, args.resnet_warmup) if name == "resnet18"
                                 else (args.steps, args.warmup))
                eager = backend == "jax" and not jit_compile
                if eager:
                    steps, warmup = min(steps, args.eager_steps), min(warmup, 2)
                rng = np.random.default_rng(0)
                n = batch * (steps + warmup)
                x = rng.random((n, *shape), dtype=np.float32)
                y = rng.integers(0, classes, n)
                loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                keras.utils.set_random_seed(0)
                plain = builders[name](shape, classes)
                plain.compile(keras.optimizers.Adam(1e-3), loss, jit_compile=jit_compile)
                keras.utils.set_random_seed(0)
                fip = FIPModel.from_model(builders[name](shape, classes), fip_weight=10.0,
                                          memory_batch_size=memory_batch, seed=0)
                fip.compile(keras.optimizers.Adam(1e-3), loss, jit_compile=jit_compile)
                fip.remember(x[:200], y[:200])
                if args.combined_plain:
                    both = batch + memory_batch
                    n2 = both * (steps + warmup)
                    x2 = rng.random((n2, *shape), dtype=np.float32)
                    y2 = rng.integers(0, classes, n2)
                    keras.utils.set_random_seed(0)
                    combined = builders[name](shape, classes)
                    combined.compile(keras.optimizers.Adam(1e-3), loss, jit_compile=jit_compile)
                row = {"backend": backend, "network": name, "label": label,
                       "precision": precision, "jit_compile": jit_compile,
                       "mode": ("eager" if eager else "jit" if jit_compile else "graph")
                       if backend == "jax" else ("xla" if jit_compile else "graph"),
                       "batch": batch, "memory_batch": memory_batch, "steps": steps,
                       "warmup": warmup, "repeats": args.repeats}
                start = time.perf_counter()
                try:
                    plain_ms, fip_ms, combined_ms = [], [], []
                    for _ in range(args.repeats):
                        plain_ms.append(1e3 * median_step(plain, x, y, batch, warmup))
                        fip_ms.append(1e3 * median_step(fip, x, y, batch, warmup))
                        if args.combined_plain:
                            combined_ms.append(1e3 * median_step(combined, x2, y2, both, warmup))
                except Exception as error:  # noqa: BLE001  (a failed cell is a result too)
                    row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:300]}"
                    print(f"  {name} {precision} jit={jit}: FAILED {row['error']}", flush=True)
                    rows.append(row)
                    keras.backend.clear_session()
                    continue
                ratios = [f / p for f, p in zip(fip_ms, plain_ms)]
                row.update(plain_ms=plain_ms, fip_ms=fip_ms, ratios=ratios,
                           plain_ms_median=float(np.median(plain_ms)),
                           fip_ms_median=float(np.median(fip_ms)),
                           ratio_median=float(np.median(ratios)),
                           wall_seconds=time.perf_counter() - start)
                if combined_ms:
                    to_combined = [f / c for f, c in zip(fip_ms, combined_ms)]
                    row.update(combined_batch=both, combined_ms=combined_ms,
                               combined_ms_median=float(np.median(combined_ms)),
                               ratios_to_combined=to_combined,
                               ratio_to_combined_median=float(np.median(to_combined)))
                rows.append(row)
                print(f"  {name} {precision} jit={jit}: plain {row['plain_ms_median']:.2f} ms, "
                      f"FIP {row['fip_ms_median']:.2f} ms, ratio {row['ratio_median']:.2f} "
                      f"({row['wall_seconds']:.0f} s)"
                      + (f"; plain at batch {both}: {row['combined_ms_median']:.2f} ms, FIP/that "
                         f"{row['ratio_to_combined_median']:.2f}" if combined_ms else ""),
                      flush=True)
                if partial:  # rows written so far survive a timeout
                    write(partial, {"environment": env, "rows": rows, "partial": True}, quiet=True)
                del plain, fip
                if args.combined_plain:
                    del combined
                keras.backend.clear_session()
    keras.mixed_precision.set_global_policy("float32")
    return {"environment": env, "rows": rows}


def table(rows, envs):
    lines = [f"env: {env_line(e)}" for e in envs]
    combined = any("combined_ms_median" in r for r in rows)
    lines.append(f"{'backend':<10} {'network':<22} {'precision':<15} {'mode':<6} "
                 f"{'batch':>5} {'mem':>4} {'steps':>5} {'plain ms':>9} {'FIP ms':>9} "
                 f"{'FIP/plain':>9}  {'<=1.3x':<6}"
                 + (f" {'plain(B+M) ms':>13} {'FIP/plain(B+M)':>14}" if combined else ""))
    for r in rows:
        head = (f"{r['backend']:<10} {r['label']:<22} {r['precision']:<15} {r['mode']:<6} "
                f"{r['batch']:>5} {r['memory_batch']:>4} {r['steps']:>5}")
        if "error" in r:
            lines.append(f"{head} FAILED: {r['error']}")
        else:
            lines.append(f"{head} {r['plain_ms_median']:>9.2f} {r['fip_ms_median']:>9.2f} "
                         f"{r['ratio_median']:>9.2f}  {'yes' if r['ratio_median'] <= 1.3 else 'no':<6}"
                         + (f" {r['combined_ms_median']:>13.2f} {r['ratio_to_combined_median']:>14.2f}"
                            if "combined_ms_median" in r else ""))
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


def main(argv=None):
    args = parse_args(argv)
    command = "python " + " ".join([os.path.relpath(__file__)] + sys.argv[1:])
    if args.backends:
        envs, rows, failures = [], [], {}
        for backend in args.backends.split(","):
            with tempfile.TemporaryDirectory() as tmp:
                part = os.path.join(tmp, f"{backend}.json")
                child = [sys.executable, os.path.abspath(__file__)]
                skip = {"--backends", "--out"}
                argv_rest = sys.argv[1:] if argv is None else list(argv)
                i = 0
                while i < len(argv_rest):  # pass every option but --backends/--out on
                    key = argv_rest[i].split("=")[0]
                    if key in skip:
                        i += 1 if "=" in argv_rest[i] else 2
                        continue
                    child.append(argv_rest[i])
                    i += 1
                print(f"== KERAS_BACKEND={backend}", flush=True)
                done = subprocess.run(child + ["--out", part],
                                      env={**os.environ, "KERAS_BACKEND": backend})
                if done.returncode or not os.path.exists(part):
                    failures[backend] = f"exit status {done.returncode}"
                    continue
                with open(part) as f:
                    payload = json.load(f)
                envs.append(payload["environment"])
                rows += payload["rows"]
        print(table(rows, envs))
        for backend, why in failures.items():
            print(f"{backend}: FAILED ({why})")
        write(args.out, {"command": command, "settings": vars(args), "environments": envs,
                         "rows": rows, "failures": failures,
                         "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        return 1 if failures else 0
    payload = run_backend(args, partial=args.out)
    print(table(payload["rows"], [payload["environment"]]))
    write(args.out, {"command": command, "settings": vars(args), **payload,
                     "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
