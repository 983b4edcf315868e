#!/usr/bin/env bash
# The GPU figures (issues 15 and 26), in one script, for a machine with JAX and CUDA
# but no TensorFlow, onto which nothing larger than 64 MiB can be carried.
#
# Pinned to the GPU image's jax: 0.11.x (JAX_PIN=0.11; the image carries jax 0.11.2 on
# Python 3.12). Another jax stops the script before any figure, with exit status 7;
# JAX_PIN=any runs anyway (the environment line records the version).
#
# Here (a machine that reaches a package index), once, in the repository root:
#
#     bash benchmarks/gpu.sh --prepare      # keras, namex, optree wheels into .whl/ (~3 MB)
#
# There (the GPU machine, repository root, .whl/ carried along):
#
#     bash benchmarks/gpu.sh                # one JSON: $OUT/gpu.json (OUT unset: /tmp/keras_fip_gpu)
#
# It installs only the wheels of packages that do not import there (with --no-deps,
# into /tmp/site), runs the checkout itself (PYTHONPATH, no install needed), checks
# and prints the jax version and an environment line, then runs
#   1. benchmarks/step_cost.py on JAX, jit on, float32 and mixed_bfloat16: per network
#      (MLP, reference CNN, ResNet-18 at batch 128; memory batch 64) the plain step,
#      the FIP step, the plain step on task + memory samples, the memory sweep (20 to
#      5,000 stored per class; ResNet-18 20 and 500, its 100 classes) and, for the MLP
#      and the CNN (VARIANT_NETWORKS), the input check and single/two-pass variants;
#      the float32 rows first, so that a stage cut short keeps them;
#   2. the same, jit off (eager JAX), float32, a few steps, no sweep or variants;
#   3. a short synthetic split-CIFAR-100 run with ResNet-18
#      (benchmarks/paper_scale.py --synthetic; accuracies are chance).
# Each stage has a timeout (STEP_COST_TIMEOUT, EAGER_TIMEOUT, CONTINUAL_TIMEOUT seconds:
# 300 + 60 + 120 by default, under 8 minutes in all); step_cost.py rewrites its JSON after
# every row, so a stage cut short keeps its rows. After every stage the stages' JSON are
# combined into $OUT/gpu.json (jax version, environment line, each stage's command,
# exit status, seconds and results); the per-stage files stay in $OUT/parts/.
#
# Sizes come from the environment, so that the same commands can be proved on a CPU
# with small sizes, e.g. (a venv with jax 0.11.2 on Python 3.12 and no TensorFlow or
# Keras; the wheels prepared for 3.12):
#     JAX_PLATFORMS=cpu STEPS=3 WARMUP=1 RESNET_STEPS=1 RESNET_WARMUP=1 RESNET_BATCH=8 \
#         SWEEP=20,100 RESNET_SWEEP=2,4 EAGER_STEPS=2 REPEATS=1 TASKS=2 TRAIN_PER_CLASS=4 \
#         MEMORY_PER_CLASS=2 STEP_COST_TIMEOUT=900 EAGER_TIMEOUT=900 CONTINUAL_TIMEOUT=900 \
#         PYTHON=/tmp/notf312/bin/python OUT=/tmp/gpu_proof bash benchmarks/gpu.sh
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PY="${PYTHON:-python3}"
WHEELS="${WHEELS:-$REPO/.whl}"
JAX_PIN="${JAX_PIN:-0.11}"
CARRY_LIMIT_BYTES=$((64 * 1024 * 1024))

if [ "${1:-}" = "--prepare" ]; then
    mkdir -p .git/info 2>/dev/null
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    # The GPU image (Python 3.12; WHEEL_PYTHON=3.11 for another) has jax, numpy,
    # h5py, ml-dtypes, rich, absl-py, packaging, typing-extensions; Keras' other needs
    # are namex and optree (which needs typing-extensions: carried for machines without).
    "$PY" -m pip download --no-deps --only-binary=:all: --python-version "${WHEEL_PYTHON:-3.12}" \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d "$WHEELS" \
        "keras==${KERAS_VERSION:-3.15.1}" namex==0.1.0 optree==0.20.0 typing_extensions==4.16.0 || exit 2
    bytes=$(du -sb "$WHEELS" | cut -f1)
    echo "$WHEELS: $bytes bytes ($(du -sh "$WHEELS" | cut -f1)), limit $CARRY_LIMIT_BYTES"
    if [ "$bytes" -ge "$CARRY_LIMIT_BYTES" ]; then
        echo "the wheels exceed the 64 MiB that can be carried: remove some from $WHEELS"
        exit 2
    fi
    exit 0
fi

export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
export XLA_PYTHON_CLIENT_PREALLOCATE="${XLA_PYTHON_CLIENT_PREALLOCATE:-false}"
OUTDIR="${OUT:-/tmp/keras_fip_gpu}"
PARTS="$OUTDIR/parts"
mkdir -p "$PARTS"
start=$(date +%s)

# 1. The jax version, against the pin, before anything is measured.
jax_version=$("$PY" -c "import jax; print(jax.__version__)") || { echo "jax does not import"; exit 3; }
echo "jax $jax_version (pinned: $JAX_PIN.x)"
case "$jax_version" in
    "$JAX_PIN".*) ;;
    *)
        if [ "$JAX_PIN" = "any" ]; then
            echo "JAX_PIN=any: running with jax $jax_version"
        else
            echo "FAILED: jax $jax_version is outside the pinned $JAX_PIN.x (the GPU image's);" \
                 "set JAX_PIN=any to run anyway, or JAX_PIN=<major.minor> to pin another"
            exit 7
        fi
        ;;
esac

# 2. Install only what does not import (module name = wheel name, but for these).
missing=$("$PY" - <<'EOF'
import importlib.util
need = {"keras": "keras", "namex": "namex", "optree": "optree", "ml_dtypes": "ml_dtypes",
        "h5py": "h5py", "rich": "rich", "absl": "absl_py", "packaging": "packaging",
        "typing_extensions": "typing_extensions"}
print(" ".join(wheel for module, wheel in need.items() if importlib.util.find_spec(module) is None))
EOF
)
if [ -n "$missing" ]; then
    echo "installing from $WHEELS: $missing"
    files=()
    for name in $missing; do
        found=$(ls "$WHEELS"/"$name"-*.whl 2>/dev/null | head -1)
        if [ -z "$found" ]; then
            echo "no wheel for $name in $WHEELS (run 'bash benchmarks/gpu.sh --prepare' where pip works)"
            exit 2
        fi
        files+=("$found")
    done
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site "${files[@]}" || exit 2
    export PYTHONPATH="/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$REPO${PYTHONPATH:+:$PYTHONPATH}"

# 3. Environment line.
"$PY" - <<'EOF' | tee "$PARTS/environment.txt"
import importlib.util, platform
import jax, jaxlib, keras, numpy
devices = ", ".join(f"{d.platform}:{getattr(d, 'device_kind', d)}" for d in jax.devices())
print(f"env: python {platform.python_version()} | jax {jax.__version__} jaxlib {jaxlib.__version__}"
      f" | keras {keras.__version__} backend {keras.backend.backend()} | numpy {numpy.__version__}"
      f" | tensorflow {'present' if importlib.util.find_spec('tensorflow') else 'absent'}"
      f" | devices: {devices}")
EOF
[ "${PIPESTATUS[0]}" = 0 ] || exit 3
status=0
: > "$PARTS/stages.tsv"

# stage NAME JSON TIMEOUT command...: runs it, records its status and seconds, then
# combines everything so far into $OUTDIR/gpu.json.
stage() {
    local name="$1" json="$2" limit="$3"
    shift 3
    local began rc
    began=$(date +%s)
    echo "== $name (timeout ${limit} s): $*"
    timeout "$limit" "$@"
    rc=$?
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$json" "$rc" "$(( $(date +%s) - began ))" "$*" \
        >> "$PARTS/stages.tsv"
    combine
    return $rc
}

combine() {
    JAX_VERSION="$jax_version" JAX_PIN="$JAX_PIN" OUTDIR="$OUTDIR" PARTS="$PARTS" START="$start" "$PY" - <<'EOF'
import json, os, time
parts, out = os.environ["PARTS"], os.path.join(os.environ["OUTDIR"], "gpu.json")
with open(os.path.join(parts, "environment.txt")) as f:
    env_line = f.read().strip()
stages = {}
with open(os.path.join(parts, "stages.tsv")) as f:
    for line in f:
        name, path, rc, seconds, command = line.rstrip("\n").split("\t")
        entry = {"command": command, "exit_status": int(rc), "seconds": int(seconds),
                 "timed_out": rc in ("124", "137")}
        try:
            with open(path) as g:
                entry["results"] = json.load(g)
        except (OSError, ValueError) as error:
            entry["results"] = None
            entry["results_error"] = f"{type(error).__name__}: {error}"
        stages[name] = entry
sizes = ["JAX_PLATFORMS", "JAX_PIN", "NETWORKS", "RESNET_BATCH", "MEMORY_BATCH", "STEPS", "WARMUP",
         "RESNET_STEPS", "RESNET_WARMUP", "SWEEP", "RESNET_SWEEP", "VARIANT_NETWORKS", "REPEATS",
         "EAGER_STEPS", "TASKS", "EPOCHS", "TRAIN_PER_CLASS", "METHODS", "CONTINUAL_BATCH",
         "MEMORY_PER_CLASS", "STEP_COST_TIMEOUT", "EAGER_TIMEOUT", "CONTINUAL_TIMEOUT"]
given = " ".join(f"{k}={os.environ[k]}" for k in sizes if k in os.environ)
payload = {"format": "gpu/1", "command": (given + " " if given else "") + "bash benchmarks/gpu.sh",
           "jax": os.environ["JAX_VERSION"],
           "jax_pin": os.environ.get("JAX_PIN", "0.11"), "environment": env_line,
           "seconds": int(time.time()) - int(os.environ["START"]), "stages": stages,
           "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
with open(out + ".tmp", "w") as f:
    json.dump(payload, f, indent=2)
    f.write("\n")
os.replace(out + ".tmp", out)
print(f"wrote {out} ({len(stages)} stage(s))")
EOF
}

NETS="${NETWORKS:-mlp,reference_cnn,resnet18}"
BATCHES="mlp=64,reference_cnn=128,resnet18=${RESNET_BATCH:-128}"

# 4. Step cost: jit on in float32 and mixed_bfloat16, with the sweep and the variants.
stage step_cost_jit "$PARTS/step_cost_jit.json" "${STEP_COST_TIMEOUT:-300}" \
    "$PY" benchmarks/step_cost.py --backends current --networks "$NETS" --jit on \
    --precision float32,mixed_bfloat16 --batch "$BATCHES" --memory-batch "${MEMORY_BATCH:-64}" \
    --steps "${STEPS:-100}" --warmup "${WARMUP:-10}" \
    --resnet-steps "${RESNET_STEPS:-20}" --resnet-warmup "${RESNET_WARMUP:-3}" \
    --sweep "${SWEEP:-20,200,1000,5000}" --resnet-sweep "${RESNET_SWEEP:-20,500}" \
    --variant-networks "${VARIANT_NETWORKS:-mlp,reference_cnn}" \
    --repeats "${REPEATS:-3}" --out "$PARTS/step_cost_jit.json" || status=4

# 5. Eager JAX (jit off), float32, a few steps.
stage step_cost_eager "$PARTS/step_cost_eager.json" "${EAGER_TIMEOUT:-60}" \
    "$PY" benchmarks/step_cost.py --backends current --networks "$NETS" --jit off \
    --precision float32 --batch "$BATCHES" --memory-batch "${MEMORY_BATCH:-64}" \
    --eager-steps "${EAGER_STEPS:-5}" --sweep "" --resnet-sweep "" --variant-networks "" \
    --repeats "${REPEATS:-3}" --out "$PARTS/step_cost_eager.json" || status=5
echo "step cost done at $(( $(date +%s) - start )) s"

# 6. A short synthetic split-CIFAR-100 run with ResNet-18 (accuracies are chance).
stage paper_scale_synthetic "$PARTS/paper_scale_synthetic.json" "${CONTINUAL_TIMEOUT:-120}" \
    "$PY" benchmarks/paper_scale.py --synthetic \
    --tasks "${TASKS:-4}" --epochs "${EPOCHS:-1}" --train-per-class "${TRAIN_PER_CLASS:-20}" \
    --methods "${METHODS:-fip,finetune}" --batch-size "${CONTINUAL_BATCH:-32}" \
    --memory-per-class "${MEMORY_PER_CLASS:-10}" \
    --out "$PARTS/paper_scale_synthetic.json" || status=6
echo "gpu.sh done in $(( $(date +%s) - start )) s, status $status; results: $OUTDIR/gpu.json"
exit $status
