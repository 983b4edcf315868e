"""The engine on Keras' JAX backend: same steps as TensorFlow, and its own test run."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import TENSORFLOW

TESTS = Path(__file__).parent

pytestmark = [
    pytest.mark.skipif(not TENSORFLOW, reason="drives the other backends from TensorFlow's run"),
    pytest.mark.slow,
]


def _run_on(backend, *args, timeout):
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, *args], env=env, cwd=TESTS.parent, timeout=timeout,
                          capture_output=True, text=True)


def _results_on_both_backends(script, tmp_path):
    """What `script OUT.npz` saves on TensorFlow and on JAX, each in its own process."""
    pytest.importorskip("jax")
    results = {}
    for backend in ("tensorflow", "jax"):
        out = tmp_path / f"{backend}.npz"
        run = _run_on(backend, str(TESTS / script), str(out), timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        results[backend] = np.load(out)
    assert str(results["jax"]["backend"]) == "jax"
    names = [k for k in results["tensorflow"].files if k != "backend"]
    return names, results["tensorflow"], results["jax"]


def test_fip_steps_agree_on_tensorflow_and_jax(tmp_path):
    names, tensorflow, jax = _results_on_both_backends("cross_backend_steps.py", tmp_path)
    # Every distance, DER++, drawn memory batches, SGD and PathStep for 3 epochs,
    # and EWC's Fisher.
    assert len(names) == 11
    for name in names:
        np.testing.assert_allclose(jax[name], tensorflow[name], atol=1e-5, err_msg=name)


def test_sparsify_and_grow_ensemble_agree_on_tensorflow_and_jax(tmp_path):
    """Same start, full batches: the paths agree to float32 round-off (see the script)."""
    names, tensorflow, jax = _results_on_both_backends("cross_backend_paths.py", tmp_path)
    assert len(names) == 8
    for name in names:
        # Seen: at most 2e-6 apart after 60 steps.
        np.testing.assert_allclose(jax[name], tensorflow[name], atol=1e-4, err_msg=name)


def test_the_any_backend_tests_pass_on_jax():
    pytest.importorskip("jax")
    run = _run_on("jax", "-m", "pytest", "-q", "-m", "any_backend", "-p", "no:cacheprovider",
                  "tests", timeout=900)
    tail = (run.stdout + run.stderr)[-4000:]
    assert run.returncode == 0, tail
    assert " passed" in run.stdout and "no tests ran" not in run.stdout, tail


def test_tensorflow_only_options_are_refused_on_jax_before_anything_trains(tmp_path):
    pytest.importorskip("jax")
    run = _run_on("jax", "-m", "keras_fip.cli.main", "sparsify", "--methods", "fip,tfmot",
                  "--out", str(tmp_path / "out"), timeout=300)
    assert run.returncode == 2, run.stderr[-2000:]
    assert ("keras-fip sparsify: error: --methods tfmot (tensorflow-model-optimization): "
            "needs Keras' TensorFlow backend") in run.stderr
    assert "Traceback" not in run.stderr and "training" not in run.stdout


@pytest.mark.parametrize("saved_on, loaded_on", [("tensorflow", "jax"), ("jax", "tensorflow")])
def test_a_keras_file_saved_on_one_backend_loads_and_trains_on_the_other(tmp_path, saved_on,
                                                                          loaded_on):
    pytest.importorskip("jax")
    path = str(tmp_path / "model.keras")
    script = str(TESTS / "cross_backend_files.py")
    for backend, action in ((saved_on, "save"), (loaded_on, "load")):
        run = _run_on(backend, script, action, path, timeout=300)
        assert run.returncode == 0, f"{action} on {backend}: {run.stderr[-2000:]}"
