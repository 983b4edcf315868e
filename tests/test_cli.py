"""The `keras-fip` command line, run the way a user types it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from keras_fip.cli.main import main


def test_continual_writes_report_and_plots(tmp_path, capsys):
    out = tmp_path / "run"
    code = main([
        "continual", "--tasks", "2", "--epochs", "1", "--methods", "der_l2,finetune,fip_l2,fip",
        "--memory-per-class", "5", "--hidden", "32", "--out", str(out),
    ])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report["results"]) == {"fip", "finetune", "fip_l2", "der_l2"}
    # Each method says what it protects; a FIP variant names its DER twin.
    kinds = {name: (r["family"], r["anchor"], r.get("twin")) for name, r in report["results"].items()}
    assert kinds == {"fip": ("fip", "path_start", None), "fip_l2": ("fip", "path_start", "der_l2"),
                     "der_l2": ("der", "stored", "fip_l2"), "finetune": ("baseline", "none", None)}
    fip = report["results"]["fip"]
    assert len(fip["accuracy_matrix"]) == 2
    for key in ("average_accuracy", "backward_transfer", "forgetting", "train_seconds"):
        assert key in fip
    assert report["config"]["memory_per_class"] == 5
    assert report["command"].startswith("keras-fip continual --tasks 2")
    assert (out / "accuracy_matrix.png").stat().st_size > 0
    assert (out / "accuracy_along_sequence.png").stat().st_size > 0
    printed = capsys.readouterr()
    assert "note: fip_l2 re-anchors at each task start" in printed.err  # its meaning changed
    table = printed.out.split("family/anchor")[1].splitlines()[2:6]
    # The FIP variants lead, each beside its DER twin.
    assert [line.split()[:2] for line in table] == [
        ["fip_l2", "fip/path_start"], ["der_l2", "der/stored"], ["fip", "fip/path_start"],
        ["finetune", "baseline/none"]]


def test_class_order_and_npz_dataset(tmp_path, digits):
    import numpy as np

    path = tmp_path / "digits.npz"
    np.savez(path, x_train=digits.x_train, y_train=digits.y_train,
             x_test=digits.x_test, y_test=digits.y_test)
    out = tmp_path / "run"
    code = main(["continual", "--dataset", str(path), "--tasks", "2", "--epochs", "1",
                 "--class-order", "9,8,7,6,5,4,3,2,1,0", "--methods", "replay",
                 "--hidden", "16", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["tasks"][0]["classes"] == [9, 8, 7, 6, 5]


def test_a_paper_architecture_on_the_digits(tmp_path):
    out = tmp_path / "cnn"
    code = main(["continual", "--model", "reference_cnn", "--tasks", "2", "--epochs", "1",
                 "--methods", "fip", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["model"] == {"kind": "reference_cnn"}


@pytest.mark.parametrize("args, message", [
    (["--dataset", "no/such/folder"], "no/such/folder"),
    (["--dataset", "tfds:mnist", "--data-dir", "/nonexistent/tfds"], "cannot download"),
    (["--methods", "fip,magic"], "unknown methods"),
    (["--class-order", "1,1,2"], "each of the 10 classes once"),
    (["--tasks", "3"], "evenly"),
    (["--epochs", "0"], "argument --epochs: must be at least 1"),
    (["--model", "vgg11"], "at least 32x32"),  # digits are 8x8
    (["--model", "alexnet"], "alexnet"),
])
def test_bad_arguments_give_one_clear_line(tmp_path, capsys, args, message):
    try:
        code = main(["continual", "--out", str(tmp_path / "x"), *args])
    except SystemExit as exit_:  # argparse's own checks
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_help_imports_no_keras_whatever_the_program_is_called():
    """`keras-fip --help` (and each command's) answers without Keras or TensorFlow,
    and `import keras_fip` alone imports neither: the exports are read lazily."""
    code = (
        "import sys\n"
        "import keras_fip\n"
        "assert 'keras' not in sys.modules, 'import keras_fip imported keras'\n"
        "from keras_fip.cli.main import main\n"
        "for argv in ([], ['continual'], ['sparsify'], ['robust']):\n"
        "    try:\n"
        "        main([*argv, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = [m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules]\n"
        "print(heavy, file=sys.stderr); sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.parametrize("order", ["import keras_fip\nimport keras\n",
                                   "import keras\nimport keras_fip\n",
                                   "import keras\nfrom keras_fip.sparsity import prune\n"])
def test_a_bare_import_keras_fip_lets_keras_load_its_saved_classes(order):
    """The registered classes of every job are found by `load_model` after `import
    keras_fip`, whether Keras is imported before or after it."""
    code = order + (
        "import sys\n"
        "names = ['FIPModel', 'FIPEnsemble', 'SparsityObjective', 'ContinualModel']\n"
        "missing = [n for n in names if keras.saving.get_registered_object(f'keras_fip>{n}') is None]\n"
        "print(missing, file=sys.stderr)\n"
        "sys.exit(1 if missing else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_every_module_that_registers_keras_classes_is_imported_by_the_package():
    import keras_fip

    root = Path(keras_fip.__file__).parent
    defining = {
        ".".join(("keras_fip", *path.relative_to(root).with_suffix("").parts))
        for path in root.rglob("*.py") if "@keras.saving.register_keras_serializable" in path.read_text()
    }
    assert defining == set(keras_fip._REGISTERING)


def test_importing_keras_fip_stays_light():
    code = (
        "import sys, keras_fip, keras_fip.continual, keras_fip.cli.main; "
        "heavy = [m for m in ('tensorflow_model_optimization', 'tf_keras', "
        "'cleverhans', 'tensorflow_datasets') if m in sys.modules]; "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_flag_message_turns_argument_names_into_options():
    from keras_fip.cli._flags import flag_message

    flags = {"step_length": "--step-length", "steps": "--steps", "model": "--model",
             "data_dir": "--data-dir", "seed": None}
    assert flag_message("step_length must be > 0, got -1.", flags) == \
        "--step-length must be > 0, got -1."
    # One-word names only in backquotes: bare, they may be plain words.
    assert flag_message("`steps` must be at least 2; the model has no steps", flags) == \
        "--steps must be at least 2; the model has no steps"
    # Whole words only, never part of a longer name, an attribute or a path.
    assert flag_message("initial_step_length, config.step_length, models/model.keras, "
                        "data_dir_2", flags) == \
        "initial_step_length, config.step_length, models/model.keras, data_dir_2"
    assert flag_message("`seed` is fine", flags) == "`seed` is fine"  # no option: kept
    assert flag_message("nothing to change", {}) == "nothing to change"


def test_a_library_error_reaches_the_user_with_the_commands_options(tmp_path, capsys):
    """The tfds loader names its argument `data_dir`; through `continual` the user
    reads the option that sets it."""
    empty = tmp_path / "no_data"
    empty.mkdir()
    code = main(["continual", "--dataset", "tfds:mnist", "--data-dir", str(empty),
                 "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "is not prepared" in err and "point --data-dir at the folder" in err
    assert "data_dir" not in err and "Traceback" not in err
