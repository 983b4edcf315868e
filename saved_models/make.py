"""Writes the small models the tutorials and README use, reproducibly.

    python saved_models/make.py

On the embedded digits (scikit-learn's 8x8 images, split 80/20 stratified with
seed 0), seed 0, op determinism on:

- `digits_cnn.keras`: the reference CNN, 20 epochs of Adam.
- `digits_cnn_sparse95.keras`, `digits_cnn_sparse95_saved_model/`,
  `digits_cnn_sparse95.tflite`: that CNN sparsified to 95% zero kernel weights
  along a FIP (300 path steps + 300 fine-tuning steps with the mask held),
  exported through tfmot.
- `digits_fip_ensemble.keras`: a 3-member FIP ensemble grown from the CNN.

Models are saved without optimizer state, to keep the files small.

`manifest.json` records each file's test accuracy; `tests/test_saved_models.py`
loads every file and checks it.
"""

import json
import os
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

from keras_fip import models  # noqa: E402
from keras_fip.data import load_digits  # noqa: E402
from keras_fip.robustness import grow_ensemble  # noqa: E402
from keras_fip.sparsity import export_sparse, sparsify  # noqa: E402

SEED = 0


def accuracy(outputs, labels):
    return round(float(np.mean(np.argmax(outputs, -1) == labels)), 4)


def main():
    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    data = load_digits(seed=SEED)
    manifest = {"command": "python saved_models/make.py", "seed": SEED,
                "data": data.split, "models": {}}

    cnn = models.reference_cnn(input_shape=data.x_train.shape[1:], num_classes=10)
    cnn.compile(keras.optimizers.Adam(1e-3),
                keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    cnn.fit(data.x_train, data.y_train, epochs=20, batch_size=32, verbose=0)
    models.fresh_copy(cnn).save(os.path.join(HERE, "digits_cnn.keras"))
    manifest["models"]["digits_cnn.keras"] = {
        "kind": "keras", "how": "reference_cnn, Adam 1e-3, 20 epochs, batch 32",
        "test_accuracy": accuracy(cnn.predict(data.x_test, verbose=0), data.y_test)}

    result = sparsify(cnn, data.x_train, data.y_train, sparsity=0.95, steps=300,
                      step_length="auto", finetune_steps=300, seed=SEED, verbose=0)
    with tempfile.TemporaryDirectory() as folder:
        report = export_sparse(result.model, os.path.join(folder, "out"), check_inputs=data.x_test)
        targets = {"keras": "digits_cnn_sparse95.keras",
                   "saved_model": "digits_cnn_sparse95_saved_model",
                   "tflite": "digits_cnn_sparse95.tflite"}
        for kind, name in targets.items():
            destination = os.path.join(HERE, name)
            if os.path.isdir(destination):
                shutil.rmtree(destination)
            (shutil.copytree if kind == "saved_model" else shutil.copy)(
                report.files[kind]["path"], destination)
    sparse_accuracy = accuracy(result.model.predict(data.x_test, verbose=0), data.y_test)
    for kind, name in targets.items():
        manifest["models"][name] = {
            "kind": kind, "test_accuracy": sparse_accuracy,
            "how": "digits_cnn sparsified to 95% along a FIP (sparsify, 300 path + 300 "
                   "fine-tune steps, step_length='auto'), exported with export_sparse",
            "measured_sparsity": round(result.sparsity, 4),
            "gzip_bytes": report.files[kind]["gzip_bytes"],
            "argmax_agreement_with_keras": report.agreement[kind]["argmax_agreement"]}

    growth = grow_ensemble(cnn, data.x_train, members=3, steps_between=40, seed=SEED)
    growth.ensemble.save(os.path.join(HERE, "digits_fip_ensemble.keras"))
    manifest["models"]["digits_fip_ensemble.keras"] = {
        "kind": "keras", "how": "3 members sampled every 40 steps along a weight-diversifying "
                                "FIP from digits_cnn (grow_ensemble defaults otherwise)",
        "test_accuracy": accuracy(growth.ensemble.predict(data.x_test, verbose=0), data.y_test)}

    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for name, entry in manifest["models"].items():
        print(f"{name:36s} test accuracy {entry['test_accuracy']:.4f}")


if __name__ == "__main__":
    main()
