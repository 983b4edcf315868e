"""Keras 3 <-> tf_keras conversion and export through tfmot to SavedModel and TFLite."""

import os
import subprocess
import sys

import numpy as np
import pytest
import keras

from keras_fip import models
from keras_fip.sparsity import (
    UnsupportedModelError, export_sparse, from_tf_keras, one_shot, to_tf_keras,
)


@pytest.fixture(scope="module")
def sparse_cnn(digits):
    keras.utils.set_random_seed(0)
    # The notebook's CNN shrinks 8x8 digits to one pixel; this one keeps 2x2.
    network = models.compact_cnn(input_shape=(8, 8, 1), num_classes=10, filters=(32, 64),
                                 dense=(600, 120))
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=2, verbose=0)
    return one_shot(network, digits.x_train, digits.y_train, sparsity=0.9, steps=20).network


@pytest.mark.parametrize("build", [
    lambda: models.lenet_300_100(input_shape=(8, 8, 1)),
    lambda: models.reference_cnn(input_shape=(8, 8, 1)),
    lambda: models.compact_cnn(input_shape=(8, 8, 1)),
    lambda: models.resnet20(input_shape=(8, 8, 1), width=0.25),
    lambda: keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(5, kernel_regularizer="l2"),
                              keras.layers.Dropout(0.1), keras.layers.Dense(3)]),
], ids=["lenet", "reference_cnn", "compact_cnn", "resnet20", "sequential"])
def test_round_trip_through_tf_keras_is_exact(build, digits):
    import tf_keras

    model = build()
    x = digits.x_test[:16]
    legacy = to_tf_keras(model)
    assert isinstance(legacy, tf_keras.Model)
    back = from_tf_keras(legacy)
    assert isinstance(back, keras.Model) and type(back) is type(model)
    for layer in model.layers:
        for a, b, c in zip(layer.get_weights(), legacy.get_layer(layer.name).get_weights(),
                           back.get_layer(layer.name).get_weights()):
            np.testing.assert_array_equal(a, b)
            np.testing.assert_array_equal(a, c)
    reference = model.predict(x, verbose=0)
    np.testing.assert_allclose(legacy.predict(x, verbose=0), reference, atol=1e-6)
    np.testing.assert_allclose(back.predict(x, verbose=0), reference, atol=1e-6)


class Doubler(keras.layers.Layer):
    def call(self, x):
        return 2 * x


class Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = keras.layers.Dense(2)

    def call(self, x):
        return self.dense(x)


def test_the_converter_names_what_it_cannot_take():
    inputs = keras.Input((4,))
    custom = keras.Model(inputs, keras.layers.Dense(2)(Doubler(name="doubler")(inputs)))
    with pytest.raises(UnsupportedModelError, match=r"layers \['Doubler'\]"):
        to_tf_keras(custom)
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)], name="inner")
    nested = keras.Sequential([keras.Input((4,)), inner, keras.layers.Dense(2)])
    with pytest.raises(UnsupportedModelError, match=r"nested models \['inner'\]"):
        to_tf_keras(nested)
    subclassed = Subclassed()
    subclassed(np.zeros((1, 4)))
    with pytest.raises(UnsupportedModelError, match="subclassed"):
        to_tf_keras(subclassed)
    with pytest.raises(UnsupportedModelError, match="no weights"):
        to_tf_keras(keras.Sequential([keras.layers.Dense(2)]))


def test_export_writes_files_that_load_agree_and_hold_the_zeros(sparse_cnn, digits, tmp_path):
    from keras_fip.sparsity import saved_model_predict, tflite_predict

    report = export_sparse(sparse_cnn, tmp_path / "out", check_inputs=digits.x_test)
    files = report.files
    assert set(files) == {"keras", "saved_model", "tflite"}
    for entry in files.values():
        assert os.path.exists(entry["path"]) and 0 < entry["gzip_bytes"] < entry["bytes"]
    for kind in ("keras", "saved_model", "tflite"):
        assert report.agreement[kind]["argmax_agreement"] >= 0.999
        assert report.agreement[kind]["max_abs_diff"] < 1e-4
    # The zeros are in what was written, layer by layer, as in the Keras model.
    expected = sorted(v for v in report.layer_sparsity.values())
    for kind in ("keras", "saved_model", "tflite"):
        written = sorted(report.zeros[kind].values())
        np.testing.assert_allclose(written, expected, atol=1e-6)
    assert sum(report.layer_sparsity.values()) > 2.5  # really sparse, not dense
    # And a user can run them directly.
    reference = sparse_cnn.predict(digits.x_test[:20], verbose=0)
    np.testing.assert_allclose(saved_model_predict(files["saved_model"]["path"], digits.x_test[:20]),
                               reference, atol=1e-4)
    np.testing.assert_allclose(tflite_predict(files["tflite"]["path"], digits.x_test[:20]),
                               reference, atol=1e-4)
    loaded = keras.models.load_model(files["keras"]["path"])
    np.testing.assert_allclose(loaded.predict(digits.x_test[:20], verbose=0), reference, atol=1e-5)


def test_int8_export_by_quantisation_aware_training_keeps_the_zeros(sparse_cnn, digits, tmp_path):
    report = export_sparse(sparse_cnn, tmp_path / "q", int8=True, check_inputs=digits.x_test,
                           train_data=(digits.x_train, digits.y_train))
    assert report.files["tflite_int8"]["bytes"] < 0.5 * report.files["tflite"]["bytes"]
    assert report.agreement["tflite_int8"]["argmax_agreement"] >= 0.9
    kernel_zeros = sorted(report.zeros["tflite_int8"].values())[-3:]
    assert min(kernel_zeros) > 0.8


def test_export_refuses_to_overwrite_and_bad_models(sparse_cnn, tmp_path):
    target = tmp_path / "taken"
    target.mkdir()
    (target / "keep.txt").write_text("user data")
    with pytest.raises(FileExistsError, match="overwrite"):
        export_sparse(sparse_cnn, target)
    assert (target / "keep.txt").read_text() == "user data"
    # overwrite replaces an earlier export, never files it did not write (issue 22).
    with pytest.raises(FileExistsError, match="keep.txt"):
        export_sparse(sparse_cnn, target, overwrite=True)
    assert (target / "keep.txt").read_text() == "user data"
    (target / "keep.txt").unlink()
    export_sparse(sparse_cnn, target)
    export_sparse(sparse_cnn, target, overwrite=True)
    assert (target / "model.tflite").exists()
    with pytest.raises(ValueError, match="no weights"):
        export_sparse(keras.Sequential([keras.layers.Dense(2)]), tmp_path / "x")
    with pytest.raises(ValueError, match="train_data"):
        export_sparse(sparse_cnn, tmp_path / "y", int8=True)
    inputs = keras.Input((4,))
    custom = keras.Model(inputs, Doubler()(keras.layers.Dense(2)(inputs)))
    with pytest.raises(UnsupportedModelError, match="Doubler"):
        export_sparse(custom, tmp_path / "z")
    assert not (tmp_path / "z").exists()  # nothing written for a refused model


def test_export_refuses_bad_targets_and_inputs_before_writing(tmp_path, digits):
    from keras_fip.sparsity import ExportFolderError

    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("not a folder")
    with pytest.raises(ValueError, match="exists and is not a folder") as caught:
        export_sparse(model, a_file)
    assert isinstance(caught.value, ExportFolderError) and isinstance(caught.value, FileExistsError)
    with pytest.raises(ExportFolderError, match="which is a file"):
        export_sparse(model, a_file / "inside")
    bad = digits.x_test.copy()
    bad[2, 0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="check_inputs has 1 NaN"):
        export_sparse(model, tmp_path / "nan", check_inputs=bad)
    with pytest.raises(ValueError, match=r"shape \(4, 8, 1\)"):
        export_sparse(model, tmp_path / "shape", check_inputs=digits.x_test[:, :4])
    with pytest.raises(ValueError, match="one-hot"):
        export_sparse(model, tmp_path / "int8", int8=True,
                      train_data=(digits.x_train, np.eye(10)[digits.y_train]))
    assert not any((tmp_path / name).exists() for name in ("nan", "shape", "int8"))


def test_exporting_does_not_switch_keras_for_the_caller(tmp_path):
    script = f"""
import os
import numpy as np, keras, tensorflow as tf
from keras_fip.sparsity import export_sparse
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8), keras.layers.Dense(2)])
export_sparse(model, {str(tmp_path / 'e')!r})
assert os.environ.get("TF_USE_LEGACY_KERAS") is None, os.environ.get("TF_USE_LEGACY_KERAS")
assert tf.keras.layers.Dense is keras.layers.Dense, tf.keras.layers.Dense
assert keras.__version__.startswith("3.")
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")
