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
    readme = (FOLDER / "README.md").read_text()
    for name, entry in MANIFEST.items():
        assert name in readme and entry["how"]
