"""Saves a `FIPModel` (memory, objective state) on this backend, or loads one saved
on another and checks it predicts the same and trains on.

`tests/test_backends.py` saves on each backend and loads on the other.

    KERAS_BACKEND=jax python tests/cross_backend_files.py save|load FILE.keras
"""

import sys

import keras
import numpy as np

from keras_fip import FIPModel, PathStep, SparsityObjective


def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(96, 6)).astype("float32"), rng.integers(0, 4, 96)


def save(path):
    x, y = data()
    keras.utils.set_random_seed(0)
    network = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                                keras.layers.Dense(4)])
    model = FIPModel.from_model(network, objectives=[SparsityObjective(0.5)], seed=0)
    model.compile(PathStep(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.remember(x[:32], y[:32])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(path)
    np.save(f"{path}.outputs.npy", model.predict(x, verbose=0))


def load(path):
    x, y = data()
    model = keras.models.load_model(path)
    assert len(model.memory) == 32, len(model.memory)
    assert int(np.asarray(model.objectives[0].step)) == 3  # 96 samples in batches of 32
    np.testing.assert_allclose(model.predict(x, verbose=0), np.load(f"{path}.outputs.npy"),
                               atol=1e-5)
    history = model.fit(x, y, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][-1]) and history["fip_distance"][-1] >= 0


if __name__ == "__main__":
    {"save": save, "load": load}[sys.argv[1]](sys.argv[2])
