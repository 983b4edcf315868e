"""benchmarks/step_cost.py, its renderers, the deprecated alias and benchmarks/gpu.sh (issue 26).

A smoke run at tiny sizes on both backends: the script runs, writes one JSON with the
settings, an environment per backend and every row with its ratios, sweep and targets.
No figure is asserted (the figures are the benchmark's, not a test's).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

SMALL = ["--networks", "mlp", "--batch", "16", "--memory-batch", "8", "--steps", "2",
         "--warmup", "1", "--repeats", "1", "--sweep", "2,20"]


def environ():
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    out = tmp_path_factory.mktemp("step_cost") / "step_cost.json"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "step_cost.py"), "--backends", "tensorflow,jax",
         *SMALL, "--out", str(out)],
        capture_output=True, text=True, timeout=240, cwd=ROOT, env=environ())
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(out.read_text()), result.stdout


@pytest.mark.slow
def test_step_cost_runs_both_backends_and_writes_its_json(smoke):
    data, stdout = smoke
    assert data["format"] == "step_cost/2" and data["partial"] is False and not data["failures"]
    assert data["command"].startswith("python benchmarks/step_cost.py")
    assert data["targets"] == {"fip_over_plain": 1.3, "fip_over_same_samples": 1.1,
                               "sweep_flat": 0.10}
    assert data["settings"]["sweep"] == "2,20"
    assert [env["backend"] for env in data["environments"]] == ["tensorflow", "jax"]
    assert [row["backend"] for row in data["rows"]] == ["tensorflow", "jax"]
    for row in data["rows"]:
        assert "error" not in row and "errors" not in row, row
        assert row["batch"] == 16 and row["memory_batch"] == 8 and row["mode"] in ("xla", "jit")
        medians = row["medians_ms"]
        for key in ("plain", "fip", "plain_same_samples", "fip_memory_2"):
            assert len(row["timings_ms"][key]) == 1 and medians[key] > 0
        assert row["memory_size"]["fip"] == 200 and row["memory_size"]["fip_memory_2"] == 20
        assert {"fip_over_plain", "fip_over_same_samples"} <= set(row["ratios"])
        assert [e["per_class"] for e in row["sweep"]] == [2, 20]
        assert row["sweep"][0]["relative_to_smallest"] == 1.0
        for key in ("fip_over_plain", "fip_over_same_samples", "sweep_flat"):
            assert isinstance(row["targets"][key]["pass"], bool)
        options = data["environments"][0]["fip_options"]
        if options["check_inputs"]:
            assert "fip_no_input_check" in medians and "input_check" in row["ratios"]
        if options["single_pass"]:
            assert "single_over_two_pass" in row["ratios"]
    # every row printed with its pass / fail
    assert stdout.count("FIP/plain") >= 2 and ("PASS" in stdout or "FAIL" in stdout)


@pytest.mark.slow
def test_renderers_read_the_new_json(smoke, tmp_path):
    import render_docs
    from renderers.base import REGISTRY, Context

    render_docs.load_renderers()
    path = tmp_path / "step_cost.json"
    path.write_text(json.dumps(smoke[0]))
    ctx = Context(str(ROOT))
    main = REGISTRY["step_cost_table"](ctx, file=str(path))
    assert main.count("\n| tensorflow |") == 1 and main.count("\n| jax |") == 1
    sweep = REGISTRY["step_cost_sweep"](ctx, file=str(path))
    assert "| 2 / 20 |" in sweep
    REGISTRY["step_cost_variants"](ctx, file=str(path))
    # a file from before issue 26 still renders
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"results": {"digits MLP 64-256-256-10": {
        "plain_step_ms_median": 3.9, "fip_step_ms_median": 4.8, "ratio_median": 1.2}}}))
    assert "| digits MLP 64-256-256-10 | 3.90 | 4.80 | 1.20 |" in REGISTRY["step_cost_table"](
        ctx, file=str(old))


def test_old_backend_step_cost_commands_translate():
    import backend_step_cost

    argv = backend_step_cost.translate(["--backends", "tensorflow,jax", "--networks",
                                        "mlp,resnet18", "--combined-plain", "--out", "x.json"])
    assert "--sweep=" in argv and "--jit=on,off" in argv and "--steps=100" in argv
    assert argv[-1] == "--memory-batch=mlp=64,resnet18=32"  # capped at the task batch
    argv = backend_step_cost.translate(["--memory-batch", "16", "--networks", "mlp"])
    assert "16" not in argv and argv[-1] == "--memory-batch=mlp=16"


def test_per_network_values():
    import step_cost

    assert step_cost.per_network("7", "mlp") == 7
    assert step_cost.per_network("mlp=3,resnet18=9", "resnet18") == 9
    assert step_cost.child_argv(["--out", "a", "--backends=jax", "--merge", "--steps", "3"]) == [
        "--steps", "3"]


def test_gpu_sh_parses_and_refuses_a_jax_outside_its_pin(tmp_path):
    script = BENCHMARKS / "gpu.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    pytest.importorskip("jax")
    import jax

    pin = "0.0" if not jax.__version__.startswith("0.0.") else "9.9"
    result = subprocess.run(
        ["bash", str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**environ(), "JAX_PIN": pin, "PYTHON": sys.executable, "OUT": str(tmp_path),
             "JAX_PLATFORMS": "cpu"})
    assert result.returncode == 7, result.stdout + result.stderr
    assert f"jax {jax.__version__} is outside the pinned {pin}.x" in result.stdout
    assert not (tmp_path / "gpu.json").exists()
