"""`keras-fip sparsify`, run the way a user types it."""

import json

import keras
import pytest

from keras_fip.cli.main import main


def exit_code(argv):
    """`main(argv)`'s exit code; argparse's own errors exit with 2 while parsing."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def test_sparsify_compares_methods_and_exports(tmp_path, capsys):
    out, export = tmp_path / "run", tmp_path / "export"
    code = main(["sparsify", "--epochs", "2", "--steps", "20", "--sparsity", "0.5,0.8",
                 "--methods", "fip,oneshot,gmp,tfmot", "--export", str(export), "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["command"].startswith("keras-fip sparsify --epochs 2")
    rows = report["results"]
    assert {(r["method"], r["target_sparsity"]) for r in rows} == {
        (m, s) for m in ("fip", "oneshot", "gmp", "tfmot") for s in (0.5, 0.8)}
    for r in rows:
        assert r["measured_sparsity"] == pytest.approx(r["target_sparsity"], abs=0.01)
        # The same budget for all: exactly 20 steps; what FIP's path leaves fine-tunes.
        assert r["path_steps"] + r["finetune_steps"] == 20
        if r["target_sparsity"] == 0.5:
            # Half the weights of a trained network (dense ~0.88 after 2 epochs) go in 20
            # steps: every method keeps far above chance (0.1); a broken mask does not.
            assert r["accuracy"] >= 0.5
    fip = [r for r in rows if r["method"] == "fip"]
    # Where the path arrived, and what it kept on the held-out validation split.
    assert "held out" in report["config"]["validation"]
    for r in fip:
        assert r["kept"] == (r["accuracy_at_arrival"] >= r["accuracy_at_start"] - 0.01)
        assert r["reached"] == (r["gap"] < 0.01) and r["pull_growth_steps"] == 0
        assert r["distance_at_arrival"] >= 0.0 and len(r["path"]) >= 1
    assert (out / "accuracy_vs_sparsity.png").stat().st_size > 0
    exported = report["exports"]["0.8"]
    assert exported["agreement"]["tflite"]["argmax_agreement"] >= 0.999
    assert (export / "sparsity_0.8" / "model.tflite").exists()
    assert (export / "sparsity_0.5" / "saved_model" / "saved_model.pb").exists()
    assert "oneshot" in capsys.readouterr().out


def test_sparsify_starts_from_a_keras_file(tmp_path, digits):
    keras.utils.set_random_seed(0)  # unseeded, 3 epochs ended anywhere in 0.75..0.9
    network = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=8, verbose=0)
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
    (["--sparsity", "nan"], "--sparsity: expected finite numbers"),
    (["--methods", "fip,magic"], "unknown methods"),
    (["--model", "no/such/model.keras"], "no model file"),
    (["--model", "."], "is a folder"),
    (["--model", __file__], "not a file Keras saves models in"),
    (["--steps", "1"], "--steps"),
    (["--batch-size", "0"], "--batch-size: must be at least 1"),
    (["--seed", "-1"], "--seed: must be in [0, 2**32 - 1]"),
    (["--out", __file__], "--out"),
    (["--export", __file__], "--export"),
    (["--int8"], "give --export too"),
    (["--min-density", "1"], "--min-density"),
    (["--min-density", "-0.1"], "--min-density"),
])
def test_bad_arguments_get_one_clear_line(args, message, capsys):
    assert exit_code(["sparsify", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1] and "Traceback" not in "\n".join(err)


@pytest.mark.parametrize("content", [b"PK\x03\x04 not a zip", b"hello\n"])
def test_a_corrupt_model_file_is_named(tmp_path, capsys, content):
    path = tmp_path / "broken.keras"
    path.write_bytes(content)
    assert main(["sparsify", "--model", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"--model {path} is not a readable .keras file" in err
    assert "File not found" not in err


def test_a_saved_ensemble_is_refused_with_the_way_to_a_member(tmp_path, capsys):
    from keras_fip import FIPEnsemble

    def member():
        return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                 keras.layers.Dense(10)])

    path = tmp_path / "ensemble.keras"
    FIPEnsemble([member(), member()]).save(path)
    assert main(["sparsify", "--model", str(path), "--out", str(tmp_path / "o")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "FIPEnsemble of 2 members, not one network" in line and ".members[i]" in line
    assert len(line) < 400


def test_a_model_that_does_not_fit_the_data_is_refused(tmp_path, capsys):
    path = tmp_path / "flat.keras"
    keras.Sequential([keras.Input((4,)), keras.layers.Dense(10)]).save(path)
    assert main(["sparsify", "--model", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "takes inputs of shape (4,), but the data's inputs are (8, 8, 1)" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_an_existing_export_folder_is_not_overwritten(tmp_path, capsys):
    export = tmp_path / "export"
    export.mkdir()
    (export / "precious.txt").write_text("keep me")
    assert main(["sparsify", "--export", str(export), "--out", str(tmp_path / "o")]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (export / "precious.txt").read_text() == "keep me"


def test_label_free_names_the_methods_that_still_read_labels(tmp_path):
    out = tmp_path / "run"
    code = main(["sparsify", "--epochs", "2", "--steps", "20", "--sparsity", "0.8", "--label-free",
                 "--methods", "fip_ramp,oneshot,gmp_kd,gmp", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["label_free"] is True
    rows = {r["method"]: r for r in report["results"]}
    assert {m: (r["label"], r["labels"]) for m, r in rows.items()} == {
        "fip_ramp": ("fip_ramp", False), "oneshot": ("oneshot (no fine-tuning)", False),
        "gmp_kd": ("gmp_kd", False), "gmp": ("gmp (labels)", True)}
    assert rows["oneshot"]["finetune_steps"] == 0
    ramp = rows["fip_ramp"]
    assert ramp["path_steps"] == 20 and ramp["reached"]
    assert ramp["measured_sparsity"] == pytest.approx(0.8, abs=0.01)
    assert "every recorded point" in ramp["kept_rule"] and len(ramp["path"]) >= 2
