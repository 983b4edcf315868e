"""`keras-fip sparsify`, run the way a user types it."""

import json

import keras
import pytest

from keras_fip.cli.main import main


def test_sparsify_compares_methods_and_exports(tmp_path, capsys):
    out, export = tmp_path / "run", tmp_path / "export"
    code = main(["sparsify", "--epochs", "2", "--steps", "20", "--sparsity", "0.5,0.8",
                 "--export", str(export), "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["command"].startswith("keras-fip sparsify --epochs 2")
    rows = report["results"]
    assert {(r["method"], r["target_sparsity"]) for r in rows} == {
        (m, s) for m in ("fip", "tfmot", "oneshot") for s in (0.5, 0.8)}
    for r in rows:
        assert r["measured_sparsity"] == pytest.approx(r["target_sparsity"], abs=0.01)
        assert 0.0 <= r["accuracy"] <= 1.0
        # The same budget for all: exactly 20 steps (FIP may stop its path early).
        used = r["path_steps"] + r["finetune_steps"]
        assert used == 20 if r["method"] != "fip" else 10 <= used <= 20
    assert (out / "accuracy_vs_sparsity.png").stat().st_size > 0
    exported = report["exports"]["0.8"]
    assert exported["agreement"]["tflite"]["argmax_agreement"] >= 0.999
    assert (export / "sparsity_0.8" / "model.tflite").exists()
    assert (export / "sparsity_0.5" / "saved_model" / "saved_model.pb").exists()
    assert "oneshot" in capsys.readouterr().out


def test_sparsify_starts_from_a_keras_file(tmp_path, digits):
    network = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=3, verbose=0)
    path = tmp_path / "trained.keras"
    network.save(path)
    out = tmp_path / "run"
    assert main(["sparsify", "--model", str(path), "--methods", "fip", "--sparsity", "0.9",
                 "--steps", "10", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["model"] == str(path)
    assert report["dense_accuracy"] > 0.8


@pytest.mark.parametrize("args, message", [
    (["--sparsity", "1.0"], "[0, 1)"),
    (["--sparsity", "-0.5"], "[0, 1)"),
    (["--sparsity", "lots"], "comma-separated numbers"),
    (["--methods", "fip,magic"], "unknown methods"),
    (["--model", "no/such/model.keras"], "no model file"),
    (["--steps", "1"], "--steps"),
])
def test_bad_arguments_get_one_clear_line(args, message, capsys):
    assert main(["sparsify", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_existing_export_folder_is_not_overwritten(tmp_path, capsys):
    export = tmp_path / "export"
    export.mkdir()
    (export / "precious.txt").write_text("keep me")
    assert main(["sparsify", "--export", str(export), "--out", str(tmp_path / "o")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (export / "precious.txt").read_text() == "keep me"
