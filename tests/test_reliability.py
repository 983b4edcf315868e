"""Silent failures a hostile user finds (issue 22): networks left unprotected, data lost.

- the output kind (logits or probabilities) is decided by what the network
  outputs, so a softmax applied in `call` or as an op is protected;
- ensemble members are each checked, mixed members refused;
- labels are checked against the network's outputs, subclassed models included;
- `--out` and the export never replace another run's files without a word;
- Ctrl-C and SIGTERM end the CLI in one line with nothing half-written;
- an unusable KERAS_BACKEND is one line before Keras is imported.
"""

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from conftest import tensorflow_only
from keras_fip import FIPEnsemble, FIPModel
from keras_fip.engine.networks import (
    OutputKindError, OutputKindWarning, kind_of_outputs, output_kind, output_width,
    outputs_are_logits,
)

ROOT = Path(__file__).resolve().parents[1]


@keras.saving.register_keras_serializable("keras_fip_tests")
class SoftmaxInCall(keras.Model):
    """A subclassed classifier whose `call` ends in `ops.softmax`: no softmax layer."""

    def __init__(self, classes=10, hidden=32, **kwargs):
        super().__init__(**kwargs)
        self.classes, self.hidden_units = classes, hidden
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(hidden, activation="relu")
        self.head = keras.layers.Dense(classes)

    def call(self, x, training=None):
        return ops.softmax(self.head(self.hidden(self.flatten(x))), axis=-1)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "hidden": self.hidden_units}


class LogitsSubclassed(SoftmaxInCall):
    def call(self, x, training=None):
        return self.head(self.hidden(self.flatten(x)))


def functional_softmax_op(classes=10):
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(32, activation="relu")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, ops.softmax(keras.layers.Dense(classes)(hidden), axis=-1))


def functional_logits(classes=10):
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(classes)])


def built(network, shape=(8, 8, 1)):
    network.build((None, *shape))
    return network


# ------------------------------------------------------------- output kind
@pytest.mark.any_backend
def test_output_kind_is_read_from_the_outputs_not_the_layers():
    keras.utils.set_random_seed(0)
    assert not outputs_are_logits(functional_softmax_op())
    assert outputs_are_logits(functional_logits())
    subclassed = SoftmaxInCall()
    subclassed(np.zeros((1, 8, 8, 1), "float32"))
    assert not outputs_are_logits(subclassed)
    logits = LogitsSubclassed()
    logits(np.zeros((1, 8, 8, 1), "float32"))
    assert outputs_are_logits(logits)
    # A softmax layer and a softmax activation, as before.
    assert not outputs_are_logits(keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.Softmax()]))
    assert not outputs_are_logits(keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="softmax")]))


@pytest.mark.any_backend
def test_probing_changes_nothing_and_an_unprobeable_network_needs_from_logits():
    keras.utils.set_random_seed(0)
    network = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                keras.layers.Dense(16), keras.layers.BatchNormalization(),
                                keras.layers.Dropout(0.5), keras.layers.Dense(10)])
    before = [np.array(v) for v in network.variables]
    assert output_kind(network) == "logits"
    for old, new in zip(before, network.variables):
        np.testing.assert_array_equal(old, np.asarray(new))  # BN statistics untouched
    unbuilt = SoftmaxInCall()
    assert output_kind(unbuilt) is None and not unbuilt.built  # never built from a guess
    with pytest.raises(OutputKindError, match="from_logits=False"):
        outputs_are_logits(unbuilt)
    with pytest.raises(OutputKindError, match="from_logits"):
        FIPModel(SoftmaxInCall()).from_logits
    # With data it is probed on the data.
    assert not outputs_are_logits(SoftmaxInCall(), np.zeros((4, 8, 8, 1), "float32"))


def test_kind_of_outputs_edges():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(8, 10)).astype("float32")
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert kind_of_outputs(logits) == "logits"
    assert kind_of_outputs(probabilities) == "probabilities"
    assert kind_of_outputs(probabilities.astype("float16")) == "probabilities"
    one_hot = np.eye(10, dtype="float32")[:8]  # saturated softmax
    assert kind_of_outputs(one_hot) == "probabilities"
    sigmoid = 1 / (1 + np.exp(-logits))  # in [0, 1], rows not summing to 1
    assert kind_of_outputs(sigmoid) == "logits"
    # One row of logits summing to 1 by chance is not enough: every row must.
    lucky = logits.copy()
    lucky[0] = probabilities[0]
    assert kind_of_outputs(lucky) == "logits"
    assert kind_of_outputs(np.full((8, 10), np.nan, "float32")) is None
    assert kind_of_outputs(np.ones((8, 1), "float32")) is None


@pytest.mark.any_backend
def test_an_explicit_from_logits_that_the_outputs_contradict_is_warned_about():
    network = functional_softmax_op()
    with pytest.warns(OutputKindWarning, match="from_logits=False is probably right"):
        model = FIPModel(network, from_logits=True)
    assert model.from_logits  # the user's word stands
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutputKindWarning)
        FIPModel(functional_softmax_op(), from_logits=False)
        FIPModel(functional_logits(), from_logits=True)
    # A network unbuilt at construction is checked when remember() runs it on data.
    late = FIPModel(SoftmaxInCall(), from_logits=True)
    late(np.zeros((2, 8, 8, 1), "float32"))
    with pytest.warns(OutputKindWarning):
        late.remember(np.zeros((4, 8, 8, 1), "float32"))


@pytest.mark.any_backend
def test_fip_model_decides_at_remember_for_an_unbuilt_subclassed_network(digits):
    model = FIPModel(SoftmaxInCall(), seed=0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy())
    model.fit(digits.x_train[:64], digits.y_train[:64], epochs=1, verbose=0)
    model.remember(digits.x_train[:64], digits.y_train[:64], memory_per_class=2)
    assert model.from_logits is False and model.distance.from_logits is False


def _old_task_accuracy(digits, from_logits):
    """Digits classes 0-4 then 5-9 on one 10-way softmax-in-call network; accuracy on 0-4."""
    keras.utils.set_random_seed(0)
    old = digits.y_train < 5
    old_test = digits.y_test < 5
    kwargs = {} if from_logits == "default" else {"from_logits": from_logits}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutputKindWarning)
        model = FIPModel(SoftmaxInCall(hidden=64), fip_weight=10.0, memory_batch_size=64,
                         seed=0, **kwargs)
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy())
    model.fit(digits.x_train[old], digits.y_train[old], epochs=15, batch_size=64,
              verbose=0, shuffle=False)
    model.remember(digits.x_train[old], digits.y_train[old], memory_per_class=30, seed=0)
    model.fit(digits.x_train[~old], digits.y_train[~old], epochs=15, batch_size=64,
              verbose=0, shuffle=False)
    predicted = model.predict(digits.x_test[old_test], verbose=0).argmax(-1)
    return float(np.mean(predicted == digits.y_test[old_test]))


@pytest.mark.any_backend
def test_the_softmax_in_call_network_keeps_its_first_task_with_default_arguments(digits):
    default = _old_task_accuracy(digits, "default")
    explicit = _old_task_accuracy(digits, False)
    with pytest.warns(OutputKindWarning):  # told that the guess and the outputs disagree
        wrong = _old_task_accuracy(digits, True)
    print(f"old-task accuracy: default {default:.3f}, from_logits=False {explicit:.3f}, "
          f"from_logits=True {wrong:.3f}")
    assert abs(default - explicit) <= 0.02
    assert explicit > 0.8
    assert wrong < explicit - 0.1  # the check can see an unprotected network


# ---------------------------------------------------------------- ensembles
@pytest.mark.any_backend
def test_ensemble_checks_every_member_and_refuses_mixed_ones():
    keras.utils.set_random_seed(0)
    with pytest.raises(ValueError, match=r"member 1 output logits.*member 0 output probabilities"):
        FIPEnsemble([functional_softmax_op(), functional_logits()])
    with pytest.raises(ValueError, match=r"members 0, 2 output logits, member 1 output"):
        FIPEnsemble([functional_logits(), functional_softmax_op(), functional_logits()])
    ensemble = FIPEnsemble([functional_softmax_op(), functional_softmax_op()])
    assert ensemble.member_from_logits is False
    x = np.random.default_rng(0).normal(size=(5, 8, 8, 1)).astype("float32")
    averaged = np.asarray(ensemble(x))
    assert averaged.min() >= 0 and np.allclose(averaged.sum(-1), 1, atol=1e-5)


# ------------------------------------------------------------------- labels
@pytest.mark.any_backend
def test_labels_out_of_range_name_the_value_and_the_outputs_for_subclassed_models(digits):
    x, y = digits.x_train[:64], digits.y_train[:64]
    model = FIPModel(built(LogitsSubclassed()), seed=0)
    assert output_width(model.network) == 10
    with pytest.raises(ValueError, match=r"10 outputs.*up to 29"):
        model.remember(x, y + 20)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.remember(x, y, memory_per_class=2)
    with pytest.raises(ValueError, match=r"fit\(\): labels must be in \[0, 10\).*label 14"):
        model.fit(x, y + 5, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\).*label -1"):
        model.fit(x, y - 1, epochs=1, verbose=0)
    model.fit(x, y, epochs=1, verbose=0)  # good labels still train


@tensorflow_only
def test_checks_num_classes_probes_a_subclassed_model_and_names_the_label(digits):
    from keras_fip import checks

    network = LogitsSubclassed(classes=7)
    network(digits.x_train[:2])
    assert checks.num_classes(network) == 7
    assert checks.input_shape(network) == (8, 8, 1)
    with pytest.raises(ValueError, match=r"labels up to 9 but the network has 7 outputs"):
        checks.labels(digits.y_train, classes=checks.num_classes(network))


# ------------------------------------------------------- no silent overwrite
def _main(argv):
    import contextlib
    import io

    from keras_fip.cli.main import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main([str(a) for a in argv])
    return code, err.getvalue()


@pytest.mark.parametrize("command", ["sparsify", "robust", "continual"])
def test_out_holding_another_run_is_refused_before_anything_runs(tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text('{"command": "keras-fip robust --members 3"}')
    code, err = _main([command, "--out", out, "--epochs", "1"])
    assert code == 2
    assert "already holds the finished run of `keras-fip robust --members 3`" in err
    assert "--overwrite" in err and len(err.strip().splitlines()) == 1
    # A continual run in progress (its checkpoints) is refused to the other commands.
    (out / "report.json").unlink()
    (out / "checkpoints" / "fip").mkdir(parents=True)
    (out / "checkpoints" / "run.json").write_text("{}")
    if command != "continual":
        code, err = _main([command, "--out", out, "--epochs", "1"])
        assert code == 2 and "unfinished keras-fip continual run" in err


@tensorflow_only
def test_export_is_renamed_whole_refuses_foreign_files_and_survives_an_interrupt(
        tmp_path, monkeypatch):
    from keras_fip.sparsity import export as export_lib

    keras.utils.set_random_seed(0)
    network = functional_logits()
    target = tmp_path / "exp"

    def interrupted(*args, **kwargs):
        assert (tmp_path / "exp.partial" / "model.keras").exists()  # written beside
        assert not target.exists()
        raise KeyboardInterrupt

    monkeypatch.setattr(export_lib, "_tflite_from_saved_model", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_lib.export_sparse(network, target)
    assert sorted(os.listdir(tmp_path)) == []  # no partial folder, no model.keras
    monkeypatch.undo()
    report = export_lib.export_sparse(network, target)  # the rerun succeeds
    assert sorted(os.listdir(target)) == ["model.keras", "model.tflite", "saved_model"]
    assert report.files["keras"]["path"] == str(target / "model.keras")
    # overwrite replaces an earlier export ...
    before = os.stat(target / "model.keras").st_mtime_ns
    time.sleep(0.01)
    export_lib.export_sparse(network, target, overwrite=True)
    assert os.stat(target / "model.keras").st_mtime_ns != before
    assert sorted(os.listdir(tmp_path)) == ["exp"]
    # ... and never deletes what it did not write.
    (target / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"notes.txt.*never deletes"):
        export_lib.export_sparse(network, target, overwrite=True)
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "model.keras").exists()


# ---------------------------------------------------------------- interrupts
def _command(*argv):
    """`keras-fip ARGV` as a user starts it (light import), on this checkout."""
    code = ("import sys; sys.argv[0] = 'keras-fip'; "
            "from keras_fip.cli.main import main; sys.exit(main())")
    return [sys.executable, "-c", code, *map(str, argv)]


def _environment(**extra):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               TF_CPP_MIN_LOG_LEVEL="3", **extra)
    env.pop("KERAS_FIP_EXPORT_PAUSE", None)
    env.update(extra)
    return env


def _interrupt_during_export(tmp_path, sig):
    export, out = tmp_path / "exp", tmp_path / "out"
    argv = ("sparsify", "--epochs", "1", "--steps", "4", "--sparsity", "0.5", "--methods", "fip",
            "--batch-size", "64", "--export", export, "--out", out)
    # KERAS_FIP_EXPORT_PAUSE holds the export inside its temporary folder, right
    # after model.keras is written: the moment a kill used to leave a model file
    # without weights.
    process = subprocess.Popen(
        _command(*argv), cwd=tmp_path, env=_environment(KERAS_FIP_EXPORT_PAUSE="120"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    partial_model = export / "sparsity_0.5.partial" / "model.keras"
    deadline = time.time() + 400
    while not partial_model.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert partial_model.exists(), process.communicate(timeout=60)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=120)
    lines = [line for line in stderr.splitlines() if line.strip()]
    return argv, process.returncode, lines, export, out


@tensorflow_only
@pytest.mark.parametrize("sig,code,word", [(signal.SIGINT, 130, "Ctrl-C"),
                                           (signal.SIGTERM, 143, "SIGTERM")])
def test_an_interrupted_export_prints_one_line_leaves_nothing_and_reruns(
        tmp_path, sig, code, word):
    argv, returncode, lines, export, out = _interrupt_during_export(tmp_path, sig)
    assert returncode == code, lines
    assert len(lines) == 1, lines
    assert f"interrupted ({word})" in lines[0] and "run again with: keras-fip sparsify" in lines[0]
    assert "Traceback" not in lines[0]
    written = [os.path.join(root, f) for root, _, files in os.walk(tmp_path) for f in files]
    assert written == [], written  # no model.keras, no .partial, no report
    if sig != signal.SIGINT:
        return
    # The rerun, as printed, succeeds and writes the whole export.
    rerun = subprocess.run(_command(*argv), cwd=tmp_path, env=_environment(),
                           capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert sorted(os.listdir(export)) == ["sparsity_0.5"]
    assert sorted(os.listdir(export / "sparsity_0.5")) == [
        "model.keras", "model.tflite", "saved_model"]
    assert keras.models.load_model(export / "sparsity_0.5" / "model.keras").weights
    assert (out / "report.json").exists()
    # A third run into the same --out is refused: the first one's report is kept.
    third = subprocess.run(_command(*argv), cwd=tmp_path, env=_environment(),
                           capture_output=True, text=True, timeout=600)
    assert third.returncode == 2 and "already holds the finished run" in third.stderr


def test_interrupted_line_names_what_was_kept_and_the_resume_command(tmp_path):
    import argparse

    from keras_fip.cli.main import interrupted_line

    checkpoints = tmp_path / "checkpoints" / "fip"
    checkpoints.mkdir(parents=True)
    (checkpoints / "state.json").write_text("{}")
    args = argparse.Namespace(command="continual", out=str(tmp_path), argv=["--tasks", "2"],
                              command_line="keras-fip continual --tasks 2")
    line = interrupted_line(args, terminated=False)
    assert "saved in" in line and line.endswith("keras-fip continual --tasks 2 --resume")
    assert "\n" not in line


def test_report_files_are_never_left_half_written(tmp_path, monkeypatch):
    from keras_fip import report

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report.json, "dump", interrupted)
    with pytest.raises(KeyboardInterrupt):
        report.write_json(str(tmp_path / "report.json"), {"a": 1})
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------ backends
@pytest.mark.parametrize("name,expect", [
    ("torch", "does not support this Keras backend"),
    ("numpy", "does not support this Keras backend"),
    ("tensorflw", "is not a Keras backend keras-fip knows"),
])
def test_an_unusable_backend_is_one_line_before_keras_is_imported(name, expect):
    result = subprocess.run(_command("sparsify", "--steps", "2"), env=_environment(
        KERAS_BACKEND=name), capture_output=True, text=True, timeout=120)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert expect in lines[0] and "tensorflow or jax" in lines[0]


def test_a_missing_backend_is_named(monkeypatch):
    import importlib.util

    from keras_fip.cli import main as cli_main

    real = importlib.util.find_spec
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "jax" else real(name, *a))
    problem = cli_main.backend_problem()
    assert "jax is not installed" in problem and "tensorflow or jax" in problem
    monkeypatch.delenv("KERAS_BACKEND")
    monkeypatch.setenv("KERAS_HOME", "/nonexistent-keras-home")
    assert cli_main.configured_backend() == ("tensorflow", "the default")


def test_a_signal_inside_a_finaliser_or_tracing_is_delivered_again_once_it_returns(monkeypatch):
    """Python drops an exception raised in `__del__` (TensorFlow frees its functions
    there): Ctrl-C landing there must not be lost, or the run goes on to exit 0."""
    from keras_fip.cli import main as cli

    sent = []
    monkeypatch.setattr(cli.os, "kill", lambda pid, signum: sent.append(signum))

    class Freed:
        def __del__(self):
            cli._on_signal(signal.SIGINT, sys._getframe())

    Freed()  # freed at once: the signal lands in its __del__
    time.sleep(0.3)
    assert sent == [signal.SIGINT]
    # Inside TensorFlow's tracing (it would turn the exception into a TypeError).
    tracing = {"cli": cli, "signal": signal, "sys": sys}
    exec(compile("cli._on_signal(signal.SIGTERM, sys._getframe())",
                 "tensorflow/python/framework/func_graph.py", "exec"), tracing)
    time.sleep(0.3)
    assert sent == [signal.SIGINT, signal.SIGTERM]
    with pytest.raises(KeyboardInterrupt):
        cli._on_signal(signal.SIGINT, sys._getframe())
    with pytest.raises(cli.Terminated):
        cli._on_signal(signal.SIGTERM, sys._getframe())
