"""A `keras-fip continual` run killed with SIGKILL and resumed with `--resume` ends
exactly where an uninterrupted run ends: the same accuracy matrices, to the bit."""

import json
import signal
import subprocess
import sys
import time

import pytest

ARGS = ["continual", "--tasks", "5", "--epochs", "2", "--hidden", "32",
        "--memory-per-class", "10", "--methods", "fip,replay,ewc"]


def start(out, *extra):
    return subprocess.Popen(
        [sys.executable, "-m", "keras_fip.cli.main", *ARGS, "--out", str(out), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


def kill_after_second_task(process, out, method):
    checkpoint = out / "checkpoints" / method / "after_task_2"
    deadline = time.monotonic() + 300
    while not checkpoint.exists():
        assert process.poll() is None, f"ended before {method}'s 2nd task: {process.stderr.read()}"
        assert time.monotonic() < deadline, f"{method} never finished its 2nd task"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()


def finish(process):
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err


def matrices(out):
    report = json.loads((out / "report.json").read_text())
    return {m: r["accuracy_matrix"] for m, r in report["results"].items()}


@pytest.mark.slow
def test_killed_after_the_second_task_and_resumed_equals_uninterrupted(tmp_path):
    uninterrupted = tmp_path / "uninterrupted"
    finish(start(uninterrupted))

    killed = tmp_path / "killed"
    process = start(killed)
    for method in ("fip", "replay", "ewc"):  # killed once inside each method
        kill_after_second_task(process, killed, method)
        process = start(killed, "--resume")
    finish(process)

    assert matrices(killed) == matrices(uninterrupted)
    assert not (killed / "checkpoints").exists()  # removed once the report was written


def test_resume_with_other_options_is_refused_and_keeps_the_checkpoints(tmp_path):
    out = tmp_path / "run"
    process = start(out)
    kill_after_second_task(process, out, "fip")
    changed = subprocess.run(
        [sys.executable, "-m", "keras_fip.cli.main", *ARGS, "--out", str(out),
         "--resume", "--epochs", "3", "--seed", "1", "--memory-batch-size", "32"],
        capture_output=True, text=True,
    )
    assert changed.returncode == 2
    assert ("--memory-batch-size 64 (now 32), --epochs 2 (now 3), --seed 0 (now 1)"
            in changed.stderr)
    again = subprocess.run(
        [sys.executable, "-m", "keras_fip.cli.main", *ARGS, "--out", str(out)],
        capture_output=True, text=True,
    )
    assert again.returncode == 2 and "pass --resume" in again.stderr
    assert (out / "checkpoints" / "fip" / "after_task_2" / "model.keras").exists()
