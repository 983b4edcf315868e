"""The committed models in saved_models/ load and reproduce their recorded accuracy."""

import json
import pathlib

import numpy as np
import pytest
import keras

FOLDER = pathlib.Path(__file__).parent.parent / "saved_models"
MANIFEST = json.loads((FOLDER / "manifest.json").read_text())["models"]


def predict(kind, path, x):
    if kind == "keras":
        return keras.models.load_model(path).predict(x, verbose=0)
    from keras_fip.sparsity import saved_model_predict, tflite_predict

    return (saved_model_predict if kind == "saved_model" else tflite_predict)(str(path), x)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_saved_model_reproduces_its_accuracy(name, digits):
    entry = MANIFEST[name]
    outputs = predict(entry["kind"], FOLDER / name, digits.x_test)
    accuracy = float(np.mean(np.argmax(outputs, -1) == digits.y_test))
    assert accuracy == pytest.approx(entry["test_accuracy"], abs=0.005)


def test_the_sparse_model_is_sparse():
    from keras_fip.sparsity import measured_sparsity

    model = keras.models.load_model(FOLDER / "digits_cnn_sparse95.keras")
    overall, _ = measured_sparsity(model)
    assert overall == pytest.approx(0.95, abs=1e-3)


def test_every_model_says_how_it_was_made():
    """The manifest's recipe is the one `make.py` writes, and the README's table gives
    each file with the manifest's accuracy."""
    import ast

    written = {node.value for node in ast.walk(ast.parse((FOLDER / "make.py").read_text()))
               if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    rows = [line for line in (FOLDER / "README.md").read_text().splitlines()
            if line.startswith("| `")]
    for name, entry in MANIFEST.items():
        assert entry["how"] in written, f"{name}: the manifest's 'how' is not make.py's"
        row = [line for line in rows if line.startswith(f"| `{name}")]
        assert len(row) == 1, f"saved_models/README.md has no row for {name}"
        assert f"| {entry['test_accuracy']:.4f} |" in row[0], \
            f"{name}: the README's accuracy is not the manifest's {entry['test_accuracy']}"


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if "gzip_bytes" in e))
def test_the_exported_files_are_the_ones_the_manifest_measured(name):
    from keras_fip.sparsity.export import gzip_size

    entry = MANIFEST[name]
    assert entry["argmax_agreement_with_keras"] >= 0.99
    if entry["kind"] == "saved_model":  # a .tar.gz of a folder: its headers vary by checkout
        assert gzip_size(FOLDER / name) == pytest.approx(entry["gzip_bytes"], rel=0.01)
    else:  # the very bytes export_sparse wrote
        assert gzip_size(FOLDER / name) == entry["gzip_bytes"]
