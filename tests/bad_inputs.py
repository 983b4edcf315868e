"""The catalogue of bad inputs a user can give keras-fip, and how each must end.

Every case must end in a clear error: on the command line, exit code 2 and one
line naming what was wrong; through the API, a ValueError / TypeError /
FileNotFoundError / FloatingPointError whose message names it. Nothing may train
silently on it or end in a traceback.

`tests/test_bad_inputs.py` asserts every case; `benchmarks/bad_inputs.py` runs
the same catalogue and prints the table of outcomes for RESULTS.

Case arguments may contain `{tmp}`: a folder made by `make_files`, which holds
the bad files the cases name.

Three more kinds of case (issue 22) hold where the danger is not an error but
a silent wrong result or lost files: `EnvCliCase` (a command under a bad
environment, such as an unusable KERAS_BACKEND), `CheckCase` (the program must
do the right thing: "clear" when it does, "silent" when it gives a wrong result
without a word, "data loss" when files are lost or left half-written) and
`InterruptCase` (a command killed in a phase: one line, the right exit code,
nothing half-written, and the rerun succeeds).
"""

import contextlib
import io
from dataclasses import dataclass
from typing import Callable

import numpy as np

CLEAR_ERRORS = (ValueError, TypeError, FileNotFoundError, FloatingPointError)
OUTCOMES = ("clear", "misleading", "traceback", "silent", "data loss")


@dataclass(frozen=True)
class CliCase:
    """`keras-fip ARGV...` must exit with 2 and an error line containing `expect`."""

    name: str
    argv: tuple
    expect: str

    def run(self, tmp):
        from keras_fip.cli.main import main

        argv = [a.replace("{tmp}", str(tmp)) for a in self.argv]
        err, out = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                code = main(argv)
        except SystemExit as exit_:  # argparse's own errors
            code = exit_.code
        except Exception as error:  # noqa: BLE001 - a traceback is the finding
            return "traceback", f"{type(error).__name__}: {str(error)[:300]}"
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        # The error line (argparse's or ours); a how-to-fix may follow it.
        message = next((line for line in lines if ": error: " in line), "")
        if code == 0:
            return "silent", "exit code 0"
        if code != 2 or not message or "Traceback" in err.getvalue():
            return "traceback", f"exit code {code}: {message[:300]}"
        if self.expect.lower() not in message.lower() or len(message) > 400:
            return "misleading", message[:400]
        return "clear", message


@dataclass(frozen=True)
class ApiCase:
    """`call(tmp)` must raise one of `CLEAR_ERRORS` with `expect` in its message."""

    name: str
    call: Callable
    expect: str

    def run(self, tmp):
        try:
            self.call(tmp)
        except CLEAR_ERRORS as error:
            message = str(error).splitlines()[0] if str(error) else ""
            if self.expect.lower() not in str(error).lower() or len(str(error)) > 400:
                return "misleading", f"{type(error).__name__}: {str(error)[:400]}"
            return "clear", f"{type(error).__name__}: {message}"
        except Exception as error:  # noqa: BLE001 - a traceback is the finding
            return "traceback", f"{type(error).__name__}: {str(error)[:300]}"
        return "silent", "no error"


@dataclass(frozen=True)
class EnvCliCase(CliCase):
    """A `CliCase` run with environment variables set (e.g. KERAS_BACKEND)."""

    env: tuple = ()

    def run(self, tmp):
        import os

        saved = {name: os.environ.get(name) for name, _ in self.env}
        os.environ.update(dict(self.env))
        try:
            return super().run(tmp)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


class DataLoss(AssertionError):
    """Raised by a `CheckCase` when files were lost or left half-written."""


@dataclass(frozen=True)
class CheckCase:
    """`call(tmp)` checks that the program did the right thing (it raises if not).

    An AssertionError is a silent wrong result, a `DataLoss` lost files; any
    other exception is a traceback.
    """

    name: str
    call: Callable

    def run(self, tmp):
        try:
            message = self.call(tmp)
        except DataLoss as error:
            return "data loss", str(error)[:400]
        except AssertionError as error:
            return "silent", str(error)[:400] or "wrong result"
        except Exception as error:  # noqa: BLE001 - a traceback is the finding
            return "traceback", f"{type(error).__name__}: {str(error)[:300]}"
        return "clear", message or "as it should"


@dataclass(frozen=True)
class InterruptCase:
    """`keras-fip ARGV...` in a subprocess, sent `signal` once `wait_for` exists.

    It must exit 128 + signal with one line, leave none of the `absent` paths
    (relative to its folder) and no `.partial` file, and the same command run
    again must succeed. `env` holds extra environment variables (a test hook).
    """

    name: str
    argv: tuple
    wait_for: str
    signal: int
    absent: tuple = ()
    env: tuple = ()
    rerun_extra: tuple = ()  # added to the rerun, e.g. ("--resume",)

    def run(self, tmp):
        import os
        import signal as signals
        import subprocess
        import sys
        import time
        from pathlib import Path

        folder = Path(tmp) / ("interrupt_" + "".join(c if c.isalnum() else "_"
                                                     for c in self.name)[:40])
        folder.mkdir()
        root = Path(__file__).resolve().parents[1]
        argv = [a.replace("{tmp}", str(folder)) for a in self.argv]
        code = ("import sys; sys.argv[0] = 'keras-fip'; "
                "from keras_fip.cli.main import main; sys.exit(main())")
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3",
                   PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        process = subprocess.Popen(
            [sys.executable, "-c", code, *argv], cwd=folder, env={**env, **dict(self.env)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=lambda: signals.signal(signals.SIGINT, signals.SIG_DFL))
        wait_for = folder / self.wait_for
        deadline = time.time() + 600
        while not wait_for.exists() and process.poll() is None and time.time() < deadline:
            time.sleep(0.2)
        if not wait_for.exists():
            process.kill()
            _, err = process.communicate()
            return "traceback", f"never reached {self.wait_for}: {err[-300:]}"
        process.send_signal(self.signal)
        _, err = process.communicate(timeout=300)
        lines = [line for line in err.splitlines() if line.strip()]
        if process.returncode != 128 + self.signal or len(lines) != 1:
            return "traceback", f"exit code {process.returncode}: {' | '.join(lines)[-300:]}"
        left = [p for p in self.absent if (folder / p).exists()] + [
            os.path.join(r, f) for r, dirs, files in os.walk(folder)
            for f in files + dirs if ".partial" in f]
        if left:
            return "data loss", f"left behind: {left}"
        rerun = subprocess.run([sys.executable, "-c", code, *argv, *self.rerun_extra],
                               cwd=folder, env=env,
                               capture_output=True, text=True, timeout=900)
        if rerun.returncode != 0:
            return "data loss", f"the rerun failed ({rerun.returncode}): {rerun.stderr[-300:]}"
        if self.rerun_extra and " ".join(self.rerun_extra) not in lines[0]:
            return "misleading", f"the line does not say how to go on: {lines[0]}"
        return "clear", lines[0]


# ----------------------------------------------------------------- bad files
def make_files(tmp):
    """Writes the bad files the cases name into the folder `tmp`."""
    from keras_fip.data import load_digits

    digits = load_digits(seed=0)
    arrays = dict(x_train=digits.x_train, y_train=digits.y_train,
                  x_test=digits.x_test, y_test=digits.y_test)
    (tmp / "a_file.txt").write_text("not a folder\n")
    (tmp / "corrupt.keras").write_bytes(b"PK\x03\x04 this is not a keras archive")
    (tmp / "text.keras").write_text("hello\n")
    nan = dict(arrays, x_train=arrays["x_train"].copy())
    nan["x_train"][3, 2, 2, 0] = np.nan
    np.savez(tmp / "nan.npz", **nan)
    np.savez(tmp / "labels_out_of_range.npz", **dict(arrays, y_test=arrays["y_test"] + 10))
    np.savez(tmp / "mismatched.npz", **dict(arrays, y_train=arrays["y_train"][:-5]))
    np.savez(tmp / "empty.npz", **dict(arrays, x_train=arrays["x_train"][:0],
                                       y_train=arrays["y_train"][:0]))
    np.savez(tmp / "pixels_255.npz", **dict(arrays, x_train=arrays["x_train"] * 255.0,
                                            x_test=arrays["x_test"] * 255.0))
    np.savez(tmp / "labels_1_to_10.npz", **dict(arrays, y_train=arrays["y_train"] + 1,
                                                 y_test=arrays["y_test"] + 1))
    _write_idx_255(tmp / "idx_255", digits)
    _write_models(tmp)
    _write_runs(tmp)
    _write_resume_runs(tmp, arrays)
    return tmp


def _write_idx_255(folder, digits):
    """MNIST-style IDX files whose test labels hold one 255 (a corrupt byte)."""
    import struct

    def write(path, array):
        header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
        path.write_bytes(header + array.astype(np.uint8).tobytes())

    folder.mkdir()
    pixels = lambda x: np.round(x[..., 0] * 255).astype(np.uint8)  # noqa: E731
    y_test = digits.y_test.astype(np.uint8)
    y_test[5] = 255
    write(folder / "train-images-idx3-ubyte", pixels(digits.x_train))
    write(folder / "train-labels-idx1-ubyte", digits.y_train.astype(np.uint8))
    write(folder / "t10k-images-idx3-ubyte", pixels(digits.x_test))
    write(folder / "t10k-labels-idx1-ubyte", y_test)


# The options of the continual runs that --resume continues (RESUME_ARGV below).
RESUME_OPTIONS = dict(tasks=2, epochs=1, methods=["finetune"], hidden=[8])
RESUME_RUNS = ("changed_data", "old_folder", "bad_run_json", "bad_progress", "bad_model")


def _write_resume_runs(tmp, arrays):
    """Unfinished continual runs, each spoilt one way, for `--resume` to meet.

    One run is made through the API (all its checkpoints written, the report not
    yet), then copied per case with its run.json pointing at the copy's data.
    """
    import json
    import shutil

    from keras_fip.experiments import continual

    base = tmp / "resume_base"
    base.mkdir()
    np.savez(base / "data.npz", **arrays)
    continual.run(continual.ContinualRunConfig(dataset=str(base / "data.npz"), **RESUME_OPTIONS),
                  checkpoint_dir=str(base / "run" / "checkpoints"), progress=False)
    for name in RESUME_RUNS:
        folder = tmp / f"resume_{name}"
        shutil.copytree(base, folder)
        checkpoints = folder / "run" / "checkpoints"
        saved = json.loads((checkpoints / "run.json").read_text())
        saved["dataset"] = str(folder / "data.npz")
        saved["dataset_fingerprint"]["path"] = str((folder / "data.npz").resolve())
        if name == "old_folder":  # made before keras-fip recorded the data
            del saved["dataset_fingerprint"]
        (checkpoints / "run.json").write_text(json.dumps(saved))
        last = checkpoints / "finetune" / "after_task_2"
        if name == "changed_data":  # same shape and size, other labels
            np.savez(folder / "data.npz", **dict(arrays, y_test=arrays["y_test"][::-1]))
        elif name == "bad_run_json":
            (checkpoints / "run.json").write_text('{"dataset": "dig')
        elif name == "bad_progress":
            (last / "progress.json").write_text("")
        elif name == "bad_model":  # cut short, as by a full disk
            model = (last / "model.keras").read_bytes()
            (last / "model.keras").write_bytes(model[:len(model) // 2])


def _resume_argv(name):
    folder = "{tmp}/resume_" + name
    return ("continual", "--dataset", folder + "/data.npz", "--tasks", "2", "--epochs", "1",
            "--methods", "finetune", "--hidden", "8", "--out", folder + "/run", "--resume")


def _write_runs(tmp):
    """Folders holding another command's finished run, and an unfinished continual run."""
    (tmp / "robust_run").mkdir()
    (tmp / "robust_run" / "report.json").write_text('{"command": "keras-fip robust"}\n')
    (tmp / "sparsify_run").mkdir()
    (tmp / "sparsify_run" / "report.json").write_text('{"command": "keras-fip sparsify"}\n')
    (tmp / "continual_run" / "checkpoints" / "fip").mkdir(parents=True)
    (tmp / "continual_run" / "checkpoints" / "run.json").write_text("{}\n")


def _digits_network():
    import keras

    return keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10),
    ])


def _digits():
    from keras_fip.data import load_digits

    return load_digits(seed=0)


# ------------------------------------------------------------ the catalogue
def _remember(x, y=None, **kwargs):
    from keras_fip import FIPModel

    return FIPModel.from_model(_digits_network()).remember(x, y, **kwargs)


def _fit(x, y):
    import keras

    from keras_fip import FIPModel

    model = FIPModel.from_model(_digits_network())
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)


def _with_nan(x):
    x = np.array(x, np.float32)
    x[0, 0, 0, 0] = np.nan
    return x


def _one_hot(y, classes=10):
    return np.eye(classes, dtype=np.float32)[y]


CONTINUAL_CLI = [
    CliCase("continual --epochs 0", ("continual", "--epochs", "0"), "--epochs"),
    CliCase("continual --tasks 1", ("continual", "--tasks", "1"), "--tasks"),
    CliCase("continual --tasks 11 on 10 classes",
            ("continual", "--tasks", "11", "--out", "{tmp}/run"), "tasks"),
    CliCase("continual --memory-per-class 0", ("continual", "--memory-per-class", "0"),
            "--memory-per-class"),
    CliCase("continual --memory-per-class 1000000000",
            ("continual", "--memory-per-class", "1000000000"), "--memory-per-class"),
    CliCase("continual --batch-size 0", ("continual", "--batch-size", "0"), "--batch-size"),
    CliCase("continual --learning-rate -1", ("continual", "--learning-rate", "-1"),
            "--learning-rate"),
    CliCase("continual --learning-rate nan", ("continual", "--learning-rate", "nan"),
            "--learning-rate"),
    CliCase("continual --fip-weight nan", ("continual", "--fip-weight", "nan"), "--fip-weight"),
    CliCase("continual --fip-weight -1", ("continual", "--fip-weight", "-1"), "--fip-weight"),
    CliCase("continual --fip-weight inf", ("continual", "--fip-weight", "inf"), "--fip-weight"),
    CliCase("continual --methods nope", ("continual", "--methods", "nope"), "nope"),
    CliCase("continual --methods ','", ("continual", "--methods", ","), "methods"),
    CliCase("continual --hidden 0", ("continual", "--hidden", "0"), "--hidden"),
    CliCase("continual --hidden abc", ("continual", "--hidden", "abc"), "--hidden"),
    CliCase("continual --architecture nope", ("continual", "--architecture", "nope",
                                              "--out", "{tmp}/run"), "nope"),
    CliCase("continual --model nope (the old name of --architecture)",
            ("continual", "--model", "nope", "--out", "{tmp}/run"), "nope"),
    CliCase("continual --class-order with a letter", ("continual", "--class-order", "1,a"),
            "--class-order"),
    CliCase("continual --class-order omitting a class",
            ("continual", "--tasks", "3", "--class-order", "0,1,2,3,4,5,6,7,8",
             "--out", "{tmp}/run"), "class"),
    CliCase("continual --class-order repeating a class",
            ("continual", "--class-order", "0,0,1,2,3,4,5,6,7,8,9",
             "--out", "{tmp}/run"), "class"),
    CliCase("continual --class-order unknown class",
            ("continual", "--class-order", "0,1,2,3,4,5,6,7,8,12",
             "--out", "{tmp}/run"), "class"),
    CliCase("continual --dataset missing file",
            ("continual", "--dataset", "{tmp}/missing.npz"), "missing.npz"),
    CliCase("continual --dataset unknown name", ("continual", "--dataset", "cifar"), "cifar"),
    CliCase("continual --dataset a text file", ("continual", "--dataset", "{tmp}/a_file.txt"),
            "a_file.txt"),
    CliCase("continual --dataset with NaN", ("continual", "--dataset", "{tmp}/nan.npz",
                                             "--out", "{tmp}/run"), "NaN"),
    CliCase("continual --dataset with labels out of range",
            ("continual", "--dataset", "{tmp}/labels_out_of_range.npz", "--out", "{tmp}/run"),
            "label"),
    CliCase("continual --dataset with mismatched lengths",
            ("continual", "--dataset", "{tmp}/mismatched.npz", "--out", "{tmp}/run"),
            "mismatched"),
    CliCase("continual --dataset empty", ("continual", "--dataset", "{tmp}/empty.npz",
                                          "--out", "{tmp}/run"), "empty"),
    CliCase("continual --dataset tfds not prepared",
            ("continual", "--dataset", "tfds:mnist", "--data-dir", "{tmp}/no_tfds"),
            "prepared"),
    CliCase("continual --out an existing file", ("continual", "--out", "{tmp}/a_file.txt"),
            "--out"),
    CliCase("continual --resume without a checkpoint",
            ("continual", "--resume", "--out", "{tmp}/never_ran"), "--resume"),
    CliCase("continual --scenario nope", ("continual", "--scenario", "nope"), "--scenario"),
    CliCase("continual --verbose 5", ("continual", "--verbose", "5"), "--verbose"),
    CliCase("continual --tune --validation-fraction 1.5",
            ("continual", "--tune", "--validation-fraction", "1.5", "--out", "{tmp}/run"),
            "--validation-fraction"),
    CliCase("continual --validation-fraction nan", ("continual", "--validation-fraction", "nan"),
            "--validation-fraction"),
]

ENGINE_API = [
    ApiCase("remember(): inputs with NaN",
            lambda tmp: _remember(_with_nan(_digits().x_train), _digits().y_train), "NaN"),
    ApiCase("remember(): one-hot labels",
            lambda tmp: _remember(_digits().x_train, _one_hot(_digits().y_train)), "one-hot"),
    ApiCase("remember(): a tf.data.Dataset",
            lambda tmp: _remember(_dataset()), "arrays"),
    ApiCase("remember(): labels out of range",
            lambda tmp: _remember(_digits().x_train, _digits().y_train + 10), "label"),
    ApiCase("remember(): memory_per_class 0",
            lambda tmp: _remember(_digits().x_train, _digits().y_train, memory_per_class=0),
            "memory_per_class"),
    ApiCase("remember(): wrong input shape",
            lambda tmp: _remember(_digits().x_train[:, :4], _digits().y_train), "shape"),
    ApiCase("remember(): fewer labels than inputs",
            lambda tmp: _remember(_digits().x_train, _digits().y_train[:-3]), "labels"),
    ApiCase("fit(): inputs with NaN",
            lambda tmp: _fit(_with_nan(_digits().x_train), _digits().y_train), "NaN"),
    ApiCase("FIPModel: fip_weight nan", lambda tmp: _fip_model(fip_weight=float("nan")),
            "fip_weight"),
    ApiCase("FIPModel: multi-output network", lambda tmp: _fip_model(network=_two_outputs()),
            "output"),
    ApiCase("FIPModel: unknown distance", lambda tmp: _fip_model(distance="cosine"), "cosine"),
    ApiCase("AnchorMemory: capacity 0", lambda tmp: _memory(capacity=0), "capacity"),
    ApiCase("traverse(): not a model", lambda tmp: _traverse("model.keras"), "keras.Model"),
    ApiCase("traverse(): steps 0", lambda tmp: _traverse(steps=0), "steps"),
    ApiCase("traverse(): inputs with NaN",
            lambda tmp: _traverse(x=_with_nan(_digits().x_train)), "NaN"),
    ApiCase("traverse(): no inputs", lambda tmp: _traverse(x=_digits().x_train[:0]), "no inputs"),
    ApiCase("continual tuning: validation fraction 1.5",
            lambda tmp: _validation(1.5), "1.5"),
    ApiCase("AnchorMemory: unknown policy", lambda tmp: _memory(policy="fifo"), "fifo"),
]


def _traverse(network=None, x=None, steps=5):
    from keras_fip import traverse

    network = _digits_network() if network is None else network
    return traverse(network, _digits().x_train if x is None else x, steps=steps)


def _validation(fraction):
    from keras_fip.continual import make_stream
    from keras_fip.continual.streams import validation_stream

    return validation_stream(make_stream(_digits(), "class", 5), fraction)


def _dataset():
    import tensorflow as tf

    digits = _digits()
    return tf.data.Dataset.from_tensor_slices((digits.x_train, digits.y_train)).batch(32)


def _fip_model(network=None, **kwargs):
    from keras_fip import FIPModel

    return FIPModel.from_model(network or _digits_network(), **kwargs)


def _two_outputs():
    import keras

    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, [keras.layers.Dense(10)(hidden), keras.layers.Dense(3)(hidden)])


def _memory(**kwargs):
    from keras_fip import AnchorMemory

    return AnchorMemory(**kwargs)


# The sparsify and robust commands and APIs add their cases here.
def _write_models(tmp):
    """Saved networks the sparsify cases load: none of them fits `sparsify` on the digits."""
    import h5py
    import keras

    from keras_fip import FIPEnsemble

    FIPEnsemble([_digits_network(), _digits_network()]).save(tmp / "ensemble.keras")
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(10)]).save(tmp / "other_input.keras")
    keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                      keras.layers.Dense(3)]).save(tmp / "three_classes.keras")
    _two_outputs().save(tmp / "two_outputs.keras")
    with h5py.File(tmp / "not_keras.h5", "w") as f:
        f["numbers"] = np.arange(3)


def _sparsify(network=None, x=None, y=None, **kwargs):
    from keras_fip.sparsity import sparsify

    digits = _digits()
    kwargs = {"sparsity": 0.5, "steps": 4, "verbose": 0, **kwargs}
    return sparsify(_digits_network() if network is None else network,
                    digits.x_train if x is None else x, y, **kwargs)


def _finetune(x=None, y=None, **kwargs):
    from keras_fip.sparsity import finetune, masks_of

    digits, network = _digits(), _digits_network()
    kwargs = {"steps": 4, **kwargs}
    return finetune(network, digits.x_train if x is None else x,
                    digits.y_train if y is None else y, masks_of(network), **kwargs)


def _baseline(name, x=None, y="digits", **kwargs):
    from keras_fip.sparsity import peers

    digits = _digits()
    kwargs = {"sparsity": 0.5, "steps": 4, **kwargs}
    return getattr(peers, name)(_digits_network(), digits.x_train if x is None else x,
                                digits.y_train if isinstance(y, str) else y, **kwargs)


def _export(directory, **kwargs):
    from keras_fip.sparsity import export_sparse

    return export_sparse(_digits_network(), directory, **kwargs)


def _grow(network=None, x=None, **kwargs):
    from keras_fip.robustness import AcceptanceSettings, grow_ensemble

    kwargs = {"members": 2, "steps_between": 2, **kwargs}
    acceptance = {name: kwargs.pop(name) for name in ("validation", "tolerance", "max_distance",
                                                      "check_every") if name in kwargs}
    if acceptance:
        kwargs["acceptance"] = AcceptanceSettings(**acceptance)
    return grow_ensemble(_digits_network() if network is None else network,
                         _digits().x_train if x is None else x, **kwargs)


def _deep(x=None, y=None, **kwargs):
    from keras_fip.robustness import deep_ensemble

    digits = _digits()
    kwargs = {"members": 2, "epochs": 1, **kwargs}
    return deep_ensemble(_digits_network, digits.x_train if x is None else x,
                         digits.y_train if y is None else y, **kwargs)


def _fast(kind, **kwargs):
    from keras_fip import robustness

    digits = _digits()
    if kind == "fge":
        return robustness.fge_ensemble(_digits_network(), digits.x_train, digits.y_train,
                                       **{"members": 2, "cycle_steps": 2, **kwargs})
    return robustness.snapshot_ensemble(_digits_network, digits.x_train, digits.y_train,
                                        **{"members": 2, "steps": 4, **kwargs})


def _train(build=_digits_network, x=None, y=None, **kwargs):
    from keras_fip.robustness import train_network

    digits = _digits()
    return train_network(build, digits.x_train if x is None else x,
                         digits.y_train if y is None else y, epochs=1, **kwargs)


def _attack(x=None, y="digits", **kwargs):
    from keras_fip.robustness import generate

    digits = _digits()
    kwargs = {"attack": "fgsm", "eps": 0.1, **kwargs}
    return generate(_digits_network(), digits.x_test[:8] if x is None else x,
                    digits.y_test[:8] if isinstance(y, str) else y, **kwargs)


def _ensemble(members=None, **kwargs):
    from keras_fip import FIPEnsemble

    return FIPEnsemble(members or [_digits_network(), _digits_network()], **kwargs)


def _other_input_network():
    import keras

    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(10)])


def _objective(name, *args, **kwargs):
    import keras_fip

    return getattr(keras_fip, name)(*args, **kwargs)


SPARSIFY_CLI = [
    CliCase("sparsify --out an existing file", ("sparsify", "--out", "{tmp}/a_file.txt"), "--out"),
    CliCase("sparsify --export an existing file",
            ("sparsify", "--export", "{tmp}/a_file.txt", "--out", "{tmp}/run"), "--export"),
    CliCase("sparsify --model a corrupt .keras",
            ("sparsify", "--model", "{tmp}/corrupt.keras", "--out", "{tmp}/run"), "--model"),
    CliCase("sparsify --model a non-Keras .h5",
            ("sparsify", "--model", "{tmp}/not_keras.h5", "--out", "{tmp}/run"), "--model"),
    CliCase("sparsify --model a text file", ("sparsify", "--model", "{tmp}/a_file.txt",
                                             "--out", "{tmp}/run"), "--model"),
    CliCase("sparsify --model a saved FIP ensemble",
            ("sparsify", "--model", "{tmp}/ensemble.keras", "--out", "{tmp}/run"), "ensemble"),
    CliCase("sparsify --model for another input shape",
            ("sparsify", "--model", "{tmp}/other_input.keras", "--out", "{tmp}/run"), "shape"),
    CliCase("sparsify --model with fewer classes than the labels",
            ("sparsify", "--model", "{tmp}/three_classes.keras", "--out", "{tmp}/run"), "label"),
    CliCase("sparsify --sparsity nan", ("sparsify", "--sparsity", "nan"), "--sparsity"),
    CliCase("sparsify --sparsity -0.1", ("sparsify", "--sparsity", "-0.1"), "--sparsity"),
    CliCase("sparsify --sparsity 1", ("sparsify", "--sparsity", "0.5,1"), "--sparsity"),
    CliCase("sparsify --steps 0", ("sparsify", "--steps", "0"), "--steps"),
    CliCase("sparsify --batch-size 0", ("sparsify", "--batch-size", "0"), "--batch-size"),
    CliCase("sparsify --min-density 1", ("sparsify", "--min-density", "1"), "--min-density"),
    CliCase("sparsify --min-density nan", ("sparsify", "--min-density", "nan"), "--min-density"),
    CliCase("sparsify --methods with a typo of gmp", ("sparsify", "--methods", "fip,gpm"),
            "gpm"),
    CliCase("sparsify --dataset with NaN",
            ("sparsify", "--dataset", "{tmp}/nan.npz", "--out", "{tmp}/run"), "NaN"),
    CliCase("sparsify --dataset with labels out of range",
            ("sparsify", "--dataset", "{tmp}/labels_out_of_range.npz", "--out", "{tmp}/run"),
            "label"),
    CliCase("sparsify --dataset with mismatched lengths",
            ("sparsify", "--dataset", "{tmp}/mismatched.npz", "--out", "{tmp}/run"), "mismatched"),
    CliCase("sparsify --dataset empty",
            ("sparsify", "--dataset", "{tmp}/empty.npz", "--out", "{tmp}/run"), "empty"),
]

ROBUST_CLI = [
    CliCase("robust --out an existing file", ("robust", "--out", "{tmp}/a_file.txt"), "--out"),
    CliCase("robust --eps 2 (L-inf, wider than the clip range)", ("robust", "--eps", "2"),
            "--eps"),
    CliCase("robust --eps nan", ("robust", "--eps", "0.1,nan"), "--eps"),
    CliCase("robust --eps inf (L2)", ("robust", "--attacks", "pgd_l2", "--eps", "inf"), "--eps"),
    CliCase("robust --clip-min >= --clip-max", ("robust", "--clip-min", "1", "--clip-max", "1"),
            "--clip-min"),
    CliCase("robust --members 0", ("robust", "--members", "0"), "--members"),
    CliCase("robust --members 1", ("robust", "--members", "1"), "--members"),
    CliCase("robust --nb-iter 0", ("robust", "--nb-iter", "0"), "--nb-iter"),
    CliCase("robust --step-length 0", ("robust", "--step-length", "0"), "--step-length"),
    CliCase("robust --step-length nan", ("robust", "--step-length", "nan"), "--step-length"),
    CliCase("robust --diversity-weight -1", ("robust", "--diversity-weight", "-1"),
            "--diversity-weight"),
    CliCase("robust --diversity-weight nan", ("robust", "--diversity-weight", "nan"),
            "--diversity-weight"),
    CliCase("robust --attack-samples 0", ("robust", "--attack-samples", "0"), "--attack-samples"),
    CliCase("robust --attacks nope", ("robust", "--attacks", "fgsm,nope"), "nope"),
    CliCase("robust --batch-size 0", ("robust", "--batch-size", "0"), "--batch-size"),
    CliCase("robust --learning-rate 0", ("robust", "--learning-rate", "0"), "--learning-rate"),
    CliCase("robust --learning-rate nan", ("robust", "--learning-rate", "nan"),
            "--learning-rate"),
    CliCase("robust --dataset with NaN",
            ("robust", "--dataset", "{tmp}/nan.npz", "--out", "{tmp}/run"), "NaN"),
    CliCase("robust --dataset with labels out of range",
            ("robust", "--dataset", "{tmp}/labels_out_of_range.npz", "--out", "{tmp}/run"),
            "label"),
    CliCase("robust --dataset with mismatched lengths",
            ("robust", "--dataset", "{tmp}/mismatched.npz", "--out", "{tmp}/run"), "mismatched"),
    CliCase("robust --methods unknown", ("robust", "--methods", "fip,magic"), "--methods"),
    CliCase("robust --attackers unknown", ("robust", "--attackers", "oracle"), "--attackers"),
    CliCase("robust --tolerance 2", ("robust", "--tolerance", "2"), "--tolerance"),
    CliCase("robust --validation-fraction 0", ("robust", "--validation-fraction", "0"),
            "--validation-fraction"),
    CliCase("robust --max-distance nan", ("robust", "--max-distance", "nan"), "--max-distance"),
    CliCase("robust --fge-lr-min above --fge-lr-max",
            ("robust", "--fge-lr-max", "0.001", "--fge-lr-min", "0.01"), "--fge-lr-min"),
    CliCase("robust --dataset empty",
            ("robust", "--dataset", "{tmp}/empty.npz", "--out", "{tmp}/run"), "empty"),
    CliCase("robust --dataset outside the clip range",
            ("robust", "--dataset", "{tmp}/pixels_255.npz", "--out", "{tmp}/run"), "clip"),
]

SPARSITY_ROBUSTNESS_API = [
    ApiCase("sparsify(): inputs with NaN", lambda tmp: _sparsify(x=_with_nan(_digits().x_train)),
            "NaN"),
    ApiCase("sparsify(): wrong input shape", lambda tmp: _sparsify(x=_digits().x_train[:, :4]),
            "shape"),
    ApiCase("sparsify(): labels out of range",
            lambda tmp: _sparsify(y=_digits().y_train + 10, finetune_steps=2), "label"),
    ApiCase("sparsify(): one-hot labels",
            lambda tmp: _sparsify(y=_one_hot(_digits().y_train), finetune_steps=2), "one-hot"),
    ApiCase("sparsify(): multi-output network", lambda tmp: _sparsify(network=_two_outputs()),
            "output"),
    ApiCase("sparsify(): a FIPEnsemble", lambda tmp: _sparsify(network=_ensemble()), "ensemble"),
    ApiCase("sparsify(): sparsity nan", lambda tmp: _sparsify(sparsity=float("nan")), "sparsity"),
    ApiCase("sparsify(): batch_size 0", lambda tmp: _sparsify(batch_size=0), "batch_size"),
    ApiCase("sparsify(): step_length inf", lambda tmp: _sparsify(step_length=float("inf")),
            "step_length"),
    ApiCase("finetune(): labels out of range", lambda tmp: _finetune(y=_digits().y_train + 10),
            "label"),
    ApiCase("one_shot(): no labels", lambda tmp: _baseline("one_shot", y=None), "label"),
    ApiCase("tfmot_polynomial(): steps 0", lambda tmp: _baseline("tfmot_polynomial", steps=0),
            "steps"),
    ApiCase("sparsify(): min_density 1.5", lambda tmp: _sparsify(min_density=1.5),
            "min_density"),
    ApiCase("one_shot(): min_density keeping more than the sparsity leaves",
            lambda tmp: _baseline("one_shot", sparsity=0.99, min_density=0.5), "min_density"),
    ApiCase("gradual_magnitude(): min_density nan",
            lambda tmp: _baseline("gradual_magnitude", min_density=float("nan")), "min_density"),
    ApiCase("tfmot_polynomial(): unknown allocation",
            lambda tmp: _baseline("tfmot_polynomial", allocation="layerwise"), "allocation"),
    ApiCase("export_sparse(): directory an existing file",
            lambda tmp: _export(tmp / "a_file.txt"), "a_file.txt"),
    ApiCase("export_sparse(): check_inputs with NaN",
            lambda tmp: _export(tmp / "export_nan", check_inputs=_with_nan(_digits().x_test)),
            "NaN"),
    ApiCase("grow_ensemble(): inputs with NaN", lambda tmp: _grow(x=_with_nan(_digits().x_train)),
            "NaN"),
    ApiCase("grow_ensemble(): wrong input shape", lambda tmp: _grow(x=_digits().x_train[:, :4]),
            "shape"),
    ApiCase("grow_ensemble(): multi-output network", lambda tmp: _grow(network=_two_outputs()),
            "output"),
    ApiCase("grow_ensemble(): step_length nan", lambda tmp: _grow(step_length=float("nan")),
            "step_length"),
    ApiCase("grow_ensemble(): unknown average (before the path)",
            lambda tmp: _grow(average="median"), "median"),
    ApiCase("grow_ensemble(): max_distance without validation",
            lambda tmp: _grow(max_distance=0.05), "validation"),
    ApiCase("grow_ensemble(): validation inputs with NaN",
            lambda tmp: _grow(validation=(_with_nan(_digits().x_test), _digits().y_test)), "NaN"),
    ApiCase("grow_ensemble(): validation labels out of range",
            lambda tmp: _grow(validation=(_digits().x_test, _digits().y_test + 10)), "label"),
    ApiCase("grow_ensemble(): tolerance above 1",
            lambda tmp: _grow(validation=(_digits().x_test, _digits().y_test), tolerance=5),
            "tolerance"),
    ApiCase("grow_ensemble(): unknown sampling", lambda tmp: _grow(sampling="walk"), "sampling"),
    ApiCase("fge_ensemble(): lr_min above lr_max",
            lambda tmp: _fast("fge", lr_max=0.001, lr_min=0.01), "lr_min"),
    ApiCase("fge_ensemble(): lr_max nan", lambda tmp: _fast("fge", lr_max=float("nan")),
            "lr_max"),
    ApiCase("snapshot_ensemble(): fewer steps than two per member",
            lambda tmp: _fast("snapshot", steps=3), "steps"),
    ApiCase("deep_ensemble(): labels out of range", lambda tmp: _deep(y=_digits().y_train + 10),
            "label"),
    ApiCase("deep_ensemble(): one-hot labels", lambda tmp: _deep(y=_one_hot(_digits().y_train)),
            "one-hot"),
    ApiCase("train_network(): learning_rate nan", lambda tmp: _train(learning_rate=float("nan")),
            "learning_rate"),
    ApiCase("FIPEnsemble: members with different input shapes",
            lambda tmp: _ensemble([_digits_network(), _other_input_network()]), "input"),
    ApiCase("attacks: inputs with NaN", lambda tmp: _attack(x=_with_nan(_digits().x_test[:8])),
            "NaN"),
    ApiCase("attacks: L-inf eps wider than the clip range", lambda tmp: _attack(eps=2.0), "eps"),
    ApiCase("attacks: labels out of range", lambda tmp: _attack(y=_digits().y_test[:8] + 10),
            "label"),
    ApiCase("SparsityObjective: weight nan", lambda tmp: _objective("SparsityObjective", 0.5,
                                                                    weight=float("nan")), "weight"),
    ApiCase("WeightDiversity: floor nan",
            lambda tmp: _objective("WeightDiversity", floor=float("nan")), "floor"),
]


# ------------------------------------------------- issue 22: silent failures
def _softmax_in_call(built=True):
    import keras
    from keras import ops

    class SoftmaxInCall(keras.Model):
        def __init__(self):
            super().__init__()
            self.flatten = keras.layers.Flatten()
            self.head = keras.layers.Dense(10)

        def call(self, x, training=None):
            return ops.softmax(self.head(self.flatten(x)), axis=-1)

    network = SoftmaxInCall()
    if built:
        network(_digits().x_train[:2])
    return network


def _softmax_op_network():
    import keras
    from keras import ops

    inputs = keras.Input((8, 8, 1))
    return keras.Model(inputs, ops.softmax(keras.layers.Dense(10)(keras.layers.Flatten()(inputs))))


def _logits_subclassed():
    import keras

    class Logits(keras.Model):
        def __init__(self):
            super().__init__()
            self.flatten = keras.layers.Flatten()
            self.head = keras.layers.Dense(10)

        def call(self, x, training=None):
            return self.head(self.flatten(x))

    network = Logits()
    network(_digits().x_train[:2])
    return network


def _protects_probabilities(network):
    from keras_fip import FIPModel

    model = FIPModel(network)
    assert model.from_logits is False, "probabilities taken for logits: FIP protects nothing"
    assert model.distance.from_logits is False, "the distance takes softmax of probabilities"
    return "from_logits found False from the outputs"


def _warns_on_wrong_from_logits(tmp):
    import warnings

    from keras_fip import FIPModel
    from keras_fip.engine.networks import OutputKindWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FIPModel(_softmax_op_network(), from_logits=True)
    found = [w for w in caught if issubclass(w.category, OutputKindWarning)]
    assert found, "from_logits=True on softmax outputs accepted without a word"
    return str(found[0].message)[:200]


def _fit_after_remember(tmp):
    import keras

    from keras_fip import FIPModel

    digits = _digits()
    model = FIPModel(_logits_subclassed())
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.remember(digits.x_train[:64], digits.y_train[:64], memory_per_class=2)
    model.fit(digits.x_train[:64], digits.y_train[:64] + 5, epochs=1, verbose=0)


def _export_interrupted(tmp):
    """An export interrupted after model.keras: nothing left, and the rerun succeeds."""
    import os

    from keras_fip.sparsity import export as export_lib

    target = tmp / "export_interrupted"
    real = export_lib._tflite_from_saved_model

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    export_lib._tflite_from_saved_model = interrupted
    try:
        export_lib.export_sparse(_digits_network(), target)
    except KeyboardInterrupt:
        pass
    finally:
        export_lib._tflite_from_saved_model = real
    left = [name for name in os.listdir(tmp) if name.startswith("export_interrupted")]
    if left:
        raise DataLoss(f"an interrupted export left {left}")
    export_lib.export_sparse(_digits_network(), target)
    return "nothing left; the rerun wrote " + ", ".join(sorted(os.listdir(target)))


def _export_overwrite_keeps_foreign_files(tmp):
    from keras_fip.sparsity import export_sparse

    target = tmp / "export_foreign"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    try:
        export_sparse(_digits_network(), target, overwrite=True)
    except ValueError as error:
        if not (target / "notes.txt").exists():
            raise DataLoss("overwrite deleted notes.txt, a file it did not write") from None
        return str(error)[:200]
    if not (target / "notes.txt").exists():
        raise DataLoss("overwrite deleted notes.txt, a file it did not write")
    raise AssertionError("overwrite accepted a folder holding other files")


RELIABILITY_CASES = [
    CheckCase("FIPModel: softmax in a subclassed call() is found to be probabilities",
              lambda tmp: _protects_probabilities(_softmax_in_call())),
    CheckCase("FIPModel: a functional ops.softmax output is found to be probabilities",
              lambda tmp: _protects_probabilities(_softmax_op_network())),
    CheckCase("FIPModel: from_logits=True on softmax outputs is warned about",
              _warns_on_wrong_from_logits),
    ApiCase("FIPModel: unbuilt subclassed network, output kind unknown",
            lambda tmp: _fip_model(network=_softmax_in_call(built=False)).from_logits,
            "from_logits"),
    ApiCase("FIPEnsemble: softmax and logits members",
            lambda tmp: _ensemble([_softmax_op_network(), _digits_network()]), "member 1"),
    ApiCase("FIPEnsemble: logits members and a softmax-in-call member",
            lambda tmp: _ensemble([_digits_network(), _digits_network(), _softmax_in_call()]),
            "member 2"),
    ApiCase("remember(): labels 20-29 on a subclassed model with 10 outputs",
            lambda tmp: _fip_model(network=_logits_subclassed()).remember(
                _digits().x_train, _digits().y_train + 20), "10 outputs"),
    ApiCase("fit(): labels out of range after remember (subclassed model)",
            _fit_after_remember, "label 14"),
    EnvCliCase("sparsify with KERAS_BACKEND=torch", ("sparsify",), "tensorflow or jax",
               env=(("KERAS_BACKEND", "torch"),)),
    EnvCliCase("continual with KERAS_BACKEND=numpy", ("continual",), "tensorflow or jax",
               env=(("KERAS_BACKEND", "numpy"),)),
    EnvCliCase("robust with a misspelt KERAS_BACKEND", ("robust",), "tensorflow or jax",
               env=(("KERAS_BACKEND", "tensorflw"),)),
    CliCase("sparsify --out holding another command's run",
            ("sparsify", "--out", "{tmp}/robust_run"), "already holds"),
    CliCase("continual --out holding another command's run",
            ("continual", "--out", "{tmp}/sparsify_run"), "already holds"),
    CliCase("robust --out holding a finished robust run",
            ("robust", "--out", "{tmp}/robust_run"), "already holds"),
    CliCase("sparsify --out holding an unfinished continual run",
            ("sparsify", "--out", "{tmp}/continual_run"), "unfinished"),
    CliCase("continual --resume into a finished run",
            ("continual", "--resume", "--out", "{tmp}/sparsify_run"), "already holds"),
    CheckCase("export_sparse(): interrupted after model.keras", _export_interrupted),
    CheckCase("export_sparse(): overwrite of a folder holding other files",
              _export_overwrite_keeps_foreign_files),
    InterruptCase("sparsify --export: SIGINT during the export",
                  ("sparsify", "--epochs", "1", "--steps", "4", "--sparsity", "0.5",
                   "--methods", "fip", "--batch-size", "64", "--export", "{tmp}/exp",
                   "--out", "{tmp}/out"),
                  wait_for="exp/sparsity_0.5.partial/model.keras", signal=2,
                  absent=("exp/sparsity_0.5", "out/report.json"),
                  env=(("KERAS_FIP_EXPORT_PAUSE", "120"),)),
]


# ------------------------------------------- issue 22, round two: items 3, 7, 8
def _before_training(argv, expect):
    """`keras-fip ARGV` must fail with `expect` before any network trains."""

    def check(tmp):
        import keras

        def trained(*args, **kwargs):
            raise AssertionError("a network trained before the options were checked")

        real, keras.Model.fit = keras.Model.fit, trained
        try:
            outcome, message = CliCase("", argv, expect).run(tmp)
        finally:
            keras.Model.fit = real
        assert outcome == "clear", f"{outcome}: {message}"
        return message

    return check


def _resume_old_folder(tmp):
    """A run folder without a data fingerprint resumes, with one warning line."""
    import warnings

    from keras_fip.cli.main import main

    argv = [a.replace("{tmp}", str(tmp)) for a in _resume_argv("old_folder")]
    err, out = io.StringIO(), io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(argv)
    lines = [line for line in err.getvalue().splitlines() if line.startswith("warning:")]
    assert code == 0, f"exit code {code}: {err.getvalue()[-300:]}"
    assert len(lines) == 1 and "cannot check" in lines[0], \
        f"resumed without a word that the data could not be checked: {err.getvalue()[-300:]}"
    return lines[0]


def _continual_api(resume=False, checkpoint_dir=None, **kwargs):
    from keras_fip.experiments import continual

    config = continual.ContinualRunConfig(**{"tasks": 2, "epochs": 1, "methods": ["finetune"],
                                            **kwargs})
    return continual.run(config, checkpoint_dir=checkpoint_dir, resume=resume, progress=False)


def _config(**kwargs):
    from keras_fip.continual import ContinualConfig

    return ContinualConfig(**kwargs)


def _load(spec, **kwargs):
    from keras_fip.data import load_dataset

    return load_dataset(spec, **kwargs)


ROUND_TWO_CASES = [
    # Item 3: resume checks the data and the files it reads.
    CliCase("continual --resume after the dataset file changed",
            _resume_argv("changed_data"), "resume_changed_data/data.npz changed"),
    CheckCase("continual --resume of a run folder from before the data fingerprint",
              _resume_old_folder),
    CliCase("continual --resume with a corrupt run.json",
            _resume_argv("bad_run_json"), "run.json is corrupt"),
    CliCase("continual --resume with a corrupt progress.json",
            _resume_argv("bad_progress"), "progress.json is corrupt"),
    CliCase("continual --resume with a truncated checkpoint model.keras",
            _resume_argv("bad_model"), "model.keras is corrupt"),
    ApiCase("continual.run(): resume without checkpoint_dir",
            lambda tmp: _continual_api(resume=True), "checkpoint_dir"),
    # Item 7: errors in our words.
    CliCase("continual --seed -1", ("continual", "--seed", "-1"), "--seed"),
    CliCase("continual --seed 2**32", ("continual", "--seed", str(2**32)), "--seed"),
    CliCase("robust --seed -1", ("robust", "--seed", "-1"), "--seed"),
    ApiCase("continual.run(): seed -1", lambda tmp: _continual_api(seed=-1), "seed"),
    ApiCase("load_dataset(): seed -1", lambda tmp: _load("digits", seed=-1), "seed must"),
    ApiCase("FIPModel: fip_weight '30'", lambda tmp: _fip_model(fip_weight="30"), "fip_weight"),
    ApiCase("FIPModel: memory_batch_size 'abc'",
            lambda tmp: _fip_model(memory_batch_size="abc"), "memory_batch_size"),
    ApiCase("FIPModel: memory_batch_size 2.5",
            lambda tmp: _fip_model(memory_batch_size=2.5), "memory_batch_size"),
    ApiCase("remember(): memory_per_class and num_samples both",
            lambda tmp: _remember(_digits().x_train, _digits().y_train, memory_per_class=2,
                                  num_samples=5), "not both"),
    ApiCase("remember(): num_samples 'abc'",
            lambda tmp: _remember(_digits().x_train, num_samples="abc"), "num_samples"),
    ApiCase("ContinualConfig: epochs '3'", lambda tmp: _config(epochs="3"), "epochs"),
    ApiCase("ContinualConfig: learning_rate '0.1'",
            lambda tmp: _config(learning_rate="0.1"), "learning_rate"),
    ApiCase("continual.run(): memory_batch_size 'abc'",
            lambda tmp: _continual_api(memory_batch_size="abc"), "memory_batch_size"),
    CliCase("continual --dataset IDX test labels holding 255",
            ("continual", "--dataset", "{tmp}/idx_255", "--out", "{tmp}/run"), "up to 255"),
    CliCase("robust --dataset IDX test labels holding 255",
            ("robust", "--dataset", "{tmp}/idx_255", "--out", "{tmp}/run"), "up to 255"),
    CliCase("continual --dataset labels 1..10",
            ("continual", "--dataset", "{tmp}/labels_1_to_10.npz", "--out", "{tmp}/run"),
            "subtract 1"),
    CliCase("sparsify --dataset labels 1..10",
            ("sparsify", "--dataset", "{tmp}/labels_1_to_10.npz", "--out", "{tmp}/run"),
            "subtract 1"),
    CliCase("robust --dataset labels 1..10",
            ("robust", "--dataset", "{tmp}/labels_1_to_10.npz", "--out", "{tmp}/run"),
            "subtract 1"),
    # Item 7: an option that does not apply is refused, never dropped.
    CliCase("continual --data-dir without a tfds dataset",
            ("continual", "--data-dir", "{tmp}", "--out", "{tmp}/run"), "--data-dir"),
    CliCase("continual --hidden with --architecture reference_cnn",
            ("continual", "--architecture", "reference_cnn", "--hidden", "32", "--out", "{tmp}/run"),
            "--hidden"),
    CliCase("continual --validation-fraction without --tune",
            ("continual", "--validation-fraction", "0.2", "--out", "{tmp}/run"),
            "--validation-fraction"),
    CliCase("continual --fip-weight without the method fip",
            ("continual", "--methods", "replay,ewc", "--fip-weight", "30", "--out", "{tmp}/run"),
            "--fip-weight"),
    CliCase("continual --class-order with --scenario domain",
            ("continual", "--scenario", "domain", "--class-order", "9,8,7,6,5,4,3,2,1,0",
             "--out", "{tmp}/run"), "--class-order"),
    CliCase("sparsify --epochs with --model",
            ("sparsify", "--model", "{tmp}/three_classes.keras", "--epochs", "5",
             "--out", "{tmp}/run"), "--epochs"),
    CliCase("sparsify --architecture with --model",
            ("sparsify", "--model", "{tmp}/three_classes.keras", "--architecture", "mlp",
             "--out", "{tmp}/run"), "--architecture"),
    CliCase("sparsify --data-dir without a tfds dataset",
            ("sparsify", "--data-dir", "{tmp}", "--out", "{tmp}/run"), "--data-dir"),
    CliCase("robust --data-dir without a tfds dataset",
            ("robust", "--data-dir", "{tmp}", "--out", "{tmp}/run"), "--data-dir"),
    CliCase("robust --cnn-filters with --architecture mlp",
            ("robust", "--architecture", "mlp", "--cnn-filters", "8,16", "--out", "{tmp}/run"),
            "--cnn-filters"),
    CliCase("robust --cnn-dense with --architecture mlp",
            ("robust", "--architecture", "mlp", "--cnn-dense", "32", "--out", "{tmp}/run"),
            "--cnn-dense"),
    CliCase("robust --hidden with no mlp to shape",
            ("robust", "--attackers", "start,surrogate", "--hidden", "32", "--out", "{tmp}/run"),
            "--hidden"),
    CliCase("robust --surrogate-model without the other attacker",
            ("robust", "--attackers", "start", "--surrogate-model", "lenet_300_100",
             "--out", "{tmp}/run"), "--surrogate-model"),
    CliCase("robust --whitebox-samples with --no-whitebox",
            ("robust", "--no-whitebox", "--whitebox-samples", "10", "--out", "{tmp}/run"),
            "--whitebox-samples"),
    CliCase("robust --fge-lr-max without fge",
            ("robust", "--methods", "fip,deep", "--fge-lr-max", "0.1", "--out", "{tmp}/run"),
            "--fge-lr-max"),
    CliCase("robust --snapshot-lr without snapshot",
            ("robust", "--methods", "fip,deep", "--snapshot-lr", "0.1", "--out", "{tmp}/run"),
            "--snapshot-lr"),
    # Item 8: what the options and the data decide is checked before any training.
    CheckCase("sparsify --sparsity 0.5,0.5 refused before training",
              _before_training(("sparsify", "--sparsity", "0.5,0.5", "--export", "{tmp}/dup",
                                "--out", "{tmp}/run"), "more than once")),
    CheckCase("sparsify --min-density above 1 - sparsity refused before training",
              _before_training(("sparsify", "--sparsity", "0.9", "--min-density", "0.5",
                                "--out", "{tmp}/run"), "--min-density")),
    CheckCase("robust --max-candidates below --members refused before training",
              _before_training(("robust", "--max-candidates", "1", "--out", "{tmp}/run"),
                               "--max-candidates")),
    CheckCase("continual --resume with a corrupt model.keras refused before training",
              _before_training(_resume_argv("bad_model"), "model.keras is corrupt")),
    CheckCase("continual --dataset labels 1..10 refused before training",
              _before_training(("continual", "--dataset", "{tmp}/labels_1_to_10.npz",
                                "--out", "{tmp}/run"), "subtract 1")),
    # Item 5, each phase: a continual run interrupted after a task resumes.
    InterruptCase("continual: SIGINT after the first task, resumed",
                  ("continual", "--tasks", "2", "--epochs", "10", "--methods", "finetune,replay",
                   "--hidden", "16", "--out", "{tmp}/out"),
                  wait_for="out/checkpoints/finetune/after_task_1", signal=2,
                  absent=("out/report.json",), rerun_extra=("--resume",)),
    InterruptCase("continual: SIGTERM in the second method, resumed",
                  ("continual", "--tasks", "2", "--epochs", "10", "--methods", "finetune,replay",
                   "--hidden", "16", "--out", "{tmp}/out"),
                  wait_for="out/checkpoints/replay/after_task_1", signal=15,
                  absent=("out/report.json",), rerun_extra=("--resume",)),
]


CASES = (CONTINUAL_CLI + ENGINE_API + SPARSIFY_CLI + ROBUST_CLI + SPARSITY_ROBUSTNESS_API
         + RELIABILITY_CASES + ROUND_TWO_CASES)
