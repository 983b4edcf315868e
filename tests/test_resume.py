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


# ------------------------------------------- the data and files a resume reads
def _finished_run(tmp_path):
    """A run whose checkpoints are all written (the report not yet): what
    `--resume` continues from, made through the API in a few seconds."""
    import numpy as np

    from keras_fip.data import load_digits
    from keras_fip.experiments.continual import ContinualRunConfig, run

    digits = load_digits(seed=0)
    data = tmp_path / "data.npz"
    np.savez(data, x_train=digits.x_train, y_train=digits.y_train,
             x_test=digits.x_test, y_test=digits.y_test)
    checkpoints = tmp_path / "run" / "checkpoints"
    config = ContinualRunConfig(dataset=str(data), tasks=2, epochs=1, methods=["finetune"],
                                hidden=[8])
    options = dict(checkpoint_dir=str(checkpoints), progress=False)
    run(config, **options)
    return data, checkpoints, config, options


def test_resume_refuses_a_changed_dataset_naming_it_and_ignores_a_touched_one(tmp_path):
    import numpy as np

    from keras_fip.experiments.continual import run

    data, checkpoints, config, options = _finished_run(tmp_path)
    original = data.read_bytes()
    arrays = dict(np.load(data))
    arrays["y_test"] = arrays["y_test"][::-1].copy()  # same size, other contents
    np.savez(data, **arrays)
    with pytest.raises(ValueError, match=f"the dataset {data} changed .*its arrays differ"):
        run(config, **options, resume=True)

    data.write_bytes(original)  # the same data again, with a new mtime: resumes
    payload = run(config, **options, resume=True)
    assert payload["results"]["finetune"]["accuracy_matrix"]


def test_a_run_folder_from_before_the_fingerprint_resumes_with_a_warning(tmp_path):
    from keras_fip.experiments.continual import ResumeWarning, run

    _, checkpoints, config, options = _finished_run(tmp_path)
    saved = json.loads((checkpoints / "run.json").read_text())
    del saved["dataset_fingerprint"]
    (checkpoints / "run.json").write_text(json.dumps(saved))
    with pytest.warns(ResumeWarning, match="cannot check"):
        payload = run(config, **options, resume=True)
    assert payload["results"]["finetune"]["accuracy_matrix"]


@pytest.mark.parametrize("name, content, expect", [
    ("run.json", "{not json", "run.json is corrupt"),
    ("finetune/after_task_2/progress.json", "", "progress.json is corrupt"),
    ("finetune/after_task_2/model.keras", "PK\x03\x04 truncated", "model.keras is corrupt"),
])
def test_a_corrupt_run_file_is_named_before_anything_trains(tmp_path, name, content, expect):
    from keras_fip.experiments.continual import run

    _, checkpoints, config, options = _finished_run(tmp_path)
    (checkpoints / name).write_text(content)
    with pytest.raises(ValueError, match=expect) as error:
        run(config, **options, resume=True)
    assert str(checkpoints) in str(error.value) and "\n" not in str(error.value)


def test_the_old_entry_point_still_runs_for_one_release(tmp_path):
    with pytest.warns(DeprecationWarning):
        from keras_fip.continual.experiment import run_continual_experiment
    with pytest.warns(DeprecationWarning):
        payload = run_continual_experiment(tasks=2, epochs=1, methods=["finetune"], hidden=[8],
                                           model="mlp", progress=False)
    assert payload["config"]["model"] == {"kind": "mlp", "hidden": [8]}
