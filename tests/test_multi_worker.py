"""More than one machine: Keras' JAX distribution API, 2 worker processes on localhost."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parent / "multi_worker_steps.py"

pytestmark = pytest.mark.slow


def _free_port():
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def _start(*args):
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
           "JAX_PLATFORMS": "cpu"}
    return subprocess.Popen([sys.executable, str(SCRIPT), *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _finish(process):
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output[-3000:]


def test_two_workers_reach_the_weights_of_one_process_with_the_same_global_batch(tmp_path):
    pytest.importorskip("jax")
    _finish(_start(tmp_path / "one.npz"))
    port = _free_port()
    workers = [_start(tmp_path / "two.npz", port, i, 2) for i in range(2)]
    for worker in workers:
        _finish(worker)
    one, two = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    assert int(one["devices"]) == 1 and int(two["devices"]) == 2
    # 8 steps, each on a global batch of 16 split 8 + 8, with 8 of the 24
    # remembered samples drawn per step: equal weights mean equal draws too.
    for key in (k for k in one.files if k != "devices"):
        np.testing.assert_allclose(two[key], one[key], atol=1e-5, err_msg=key)
