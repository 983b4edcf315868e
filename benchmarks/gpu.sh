#!/usr/bin/env bash
# The GPU figures of issue 15, in one script, for a machine with JAX and CUDA but
# no TensorFlow, onto which nothing larger than 64 MiB can be carried.
#
# Here (a machine that reaches a package index), once, in the repository root:
#
#     bash benchmarks/gpu.sh --prepare      # keras, namex, optree wheels into .whl/ (~3 MB)
#
# There (the GPU machine, repository root, .whl/ carried along):
#
#     bash benchmarks/gpu.sh                # JSON under $OUT when OUT is set
#
# It installs only the wheels of packages that do not import there (with --no-deps,
# into /tmp/site), runs the checkout itself (PYTHONPATH, no install needed), prints an
# environment line, the step-cost table (benchmarks/backend_step_cost.py: FIP step
# against plain step, jit on in float32 and mixed_bfloat16, jit off (eager) in
# float32) and a short synthetic split-CIFAR-100 run with ResNet-18
# (benchmarks/paper_scale.py --synthetic). Budget: under 8 minutes on one H200.
#
# Sizes come from the environment, so that the same commands can be proved on a CPU
# with small sizes, e.g.
#     JAX_PLATFORMS=cpu STEPS=5 WARMUP=2 RESNET_STEPS=2 RESNET_WARMUP=1 RESNET_BATCH=8 \
#         EAGER_STEPS=2 REPEATS=1 TASKS=2 TRAIN_PER_CLASS=4 MEMORY_PER_CLASS=2 \
#         STEP_COST_TIMEOUT=900 EAGER_TIMEOUT=900 CONTINUAL_TIMEOUT=900 \
#         PYTHON=/tmp/notf/bin/python bash benchmarks/gpu.sh
# where /tmp/notf is a venv with jax and no TensorFlow. Each stage has a timeout
# (STEP_COST_TIMEOUT, EAGER_TIMEOUT, CONTINUAL_TIMEOUT seconds); the step-cost JSON
# is rewritten after every row, so a stage cut short still leaves its rows.
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PY="${PYTHON:-python3}"
WHEELS="${WHEELS:-$REPO/.whl}"

if [ "${1:-}" = "--prepare" ]; then
    grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
    # The GPU image (Python 3.12; WHEEL_PYTHON=3.11 for another) has jax, numpy,
    # h5py, ml-dtypes, rich, absl-py, packaging, typing-extensions; Keras' other needs
    # are namex and optree (which needs typing-extensions: carried for machines without).
    "$PY" -m pip download --no-deps --only-binary=:all: --python-version "${WHEEL_PYTHON:-3.12}" \
        --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
        --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        --platform manylinux1_x86_64 -d "$WHEELS" \
        "keras==${KERAS_VERSION:-3.15.1}" namex==0.1.0 optree==0.20.0 typing_extensions==4.16.0
    du -sh "$WHEELS"
    exit $?
fi

export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=3
export XLA_PYTHON_CLIENT_PREALLOCATE="${XLA_PYTHON_CLIENT_PREALLOCATE:-false}"
OUTDIR="${OUT:-/tmp/keras_fip_gpu}"
mkdir -p "$OUTDIR"
start=$(date +%s)

# 1. Install only what does not import (module name = wheel name, but for these).
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

# 2. Environment line.
"$PY" - <<'EOF' | tee "$OUTDIR/gpu_environment.txt"
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

# 3. Step cost: jit on in float32 and mixed_bfloat16; jit off (eager JAX) in float32.
timeout "${STEP_COST_TIMEOUT:-180}" "$PY" benchmarks/backend_step_cost.py \
    --networks "${NETWORKS:-mlp,reference_cnn,resnet18}" --jit on --precision float32,mixed_bfloat16 \
    --batch "mlp=64,reference_cnn=128,resnet18=${RESNET_BATCH:-128}" \
    --steps "${STEPS:-200}" --warmup "${WARMUP:-10}" \
    --resnet-steps "${RESNET_STEPS:-50}" --resnet-warmup "${RESNET_WARMUP:-5}" \
    --repeats "${REPEATS:-3}" --out "$OUTDIR/gpu_step_cost_jit.json" || status=4
timeout "${EAGER_TIMEOUT:-75}" "$PY" benchmarks/backend_step_cost.py \
    --networks "${NETWORKS:-mlp,reference_cnn,resnet18}" --jit off --precision float32 \
    --batch "mlp=64,reference_cnn=128,resnet18=${RESNET_BATCH:-128}" \
    --eager-steps "${EAGER_STEPS:-10}" --repeats "${REPEATS:-3}" \
    --out "$OUTDIR/gpu_step_cost_eager.json" || status=5
echo "step cost done at $(( $(date +%s) - start )) s"

# 4. A short synthetic split-CIFAR-100 run with ResNet-18 (accuracies are chance).
timeout "${CONTINUAL_TIMEOUT:-180}" "$PY" benchmarks/paper_scale.py --synthetic \
    --tasks "${TASKS:-4}" --epochs "${EPOCHS:-1}" --train-per-class "${TRAIN_PER_CLASS:-20}" \
    --methods "${METHODS:-fip,finetune}" --batch-size "${CONTINUAL_BATCH:-32}" \
    --memory-per-class "${MEMORY_PER_CLASS:-10}" \
    --out "$OUTDIR/gpu_paper_scale_synthetic.json" || status=6
echo "gpu.sh done in $(( $(date +%s) - start )) s, status $status"
exit $status
