"""The path driver: a path of exactly its budget, and a killed path resumed exactly."""

import itertools

import keras
import numpy as np
import pytest

from keras_fip import traverse
from keras_fip.engine.batches import path_batches
from keras_fip.robustness import grow_ensemble
from keras_fip.sparsity import SparsityObjective, sparsify


def trained_network(digits, seed=0):
    keras.utils.set_random_seed(seed)
    network = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10),
    ])
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=3, verbose=0)
    return network


class KillAtEpoch(keras.callbacks.Callback):
    """Stands for a kill: the run dies at the end of an epoch."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def weights(network):
    return [np.asarray(w) for w in network.get_weights()]


def _first(batches, count):
    # A tf.data.Dataset on TensorFlow, a generator of NumPy batches elsewhere.
    return [np.asarray(b).tolist() for _, b in itertools.islice(iter(batches), count)]


@pytest.mark.any_backend
def test_the_batch_stream_starts_anywhere_and_agrees():
    x, y = np.arange(10.0)[:, None], np.arange(10)
    whole = _first(path_batches(x, y, 3, seed=1), 8)
    later = _first(path_batches(x, y, 3, seed=1, start_step=5), 3)
    assert later == whole[5:8]
    assert sorted(sum(whole[:3], [])) == sorted(set(sum(whole[:3], [])))  # a pass: no repeats


@pytest.mark.any_backend
def test_a_path_takes_its_budget_and_leaves_the_network_alone(digits):
    network = trained_network(digits)
    before = weights(network)
    pull = SparsityObjective(0.5, weight=0.1)
    result = traverse(network, digits.x_train, steps=60, objectives=[pull],
                      step_length=0.01, batch_size=64, epoch_steps=20)
    assert result.steps == 60 and [r["epoch"] for r in result.records] == [1, 2, 3]
    assert all(r["distance"] >= 0 for r in result.records)
    assert result.records[-1]["weight_distance"] > 0
    for a, b in zip(weights(network), before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.any_backend
def test_a_killed_sparsification_path_resumes_exactly(digits, tmp_path):
    network = trained_network(digits)
    settings = dict(sparsity=0.8, steps=300, batch_size=64, step_length=0.01,
                    finetune_steps=0, tolerance=1e-6, verbose=0)
    whole = sparsify(network, digits.x_train, digits.y_train, **settings)
    with pytest.raises(KeyboardInterrupt):
        sparsify(network, digits.x_train, digits.y_train, checkpoint_dir=tmp_path,
                 callbacks=[KillAtEpoch(1)], **settings)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["after_step_100"]
    resumed = sparsify(network, digits.x_train, digits.y_train, checkpoint_dir=tmp_path,
                       **settings)
    for a, b in zip(weights(resumed.network), weights(whole.network)):
        np.testing.assert_array_equal(a, b)
    assert [r["epoch"] for r in resumed.path] == [r["epoch"] for r in whole.path]
    assert resumed.path_steps == whole.path_steps == 300


@pytest.mark.any_backend
def test_a_killed_ensemble_path_resumes_with_its_members(digits, tmp_path):
    network = trained_network(digits)
    settings = dict(members=3, steps_between=10, burn_in=10, batch_size=64, step_length=0.05)
    whole = grow_ensemble(network, digits.x_train, **settings)
    with pytest.raises(KeyboardInterrupt):
        grow_ensemble(network, digits.x_train, checkpoint_dir=tmp_path,
                      callbacks=[KillAtEpoch(2)], **settings)
    resumed = grow_ensemble(network, digits.x_train, checkpoint_dir=tmp_path, **settings)
    assert len(resumed.members) == len(whole.members) == 3
    for mine, theirs in zip(resumed.members, whole.members):
        for a, b in zip(weights(mine), weights(theirs)):
            np.testing.assert_array_equal(a, b)
    assert [r["step"] for r in resumed.records] == [20, 30, 40]


def test_resuming_with_other_settings_is_refused(digits, tmp_path):
    network = trained_network(digits)
    with pytest.raises(KeyboardInterrupt):
        sparsify(network, digits.x_train, sparsity=0.8, steps=200, batch_size=64,
                 checkpoint_dir=tmp_path, callbacks=[KillAtEpoch(1)], verbose=0)
    with pytest.raises(ValueError, match="other settings.*objectives"):
        sparsify(network, digits.x_train, sparsity=0.9, steps=200, batch_size=64,
                 checkpoint_dir=tmp_path, verbose=0)


def test_a_diverging_path_stops_with_a_clear_error(digits):
    network = trained_network(digits)
    with pytest.raises(FloatingPointError, match="path's loss became NaN or infinite"):
        traverse(network, digits.x_train, steps=40, step_length=1e30, batch_size=64,
                 epoch_steps=20)


def test_a_network_of_any_image_size_walks_a_path_and_its_output_kind_is_read_from_the_data(digits):
    # Unknown height and width: no probe input can be made from the shape, so the
    # output kind is told from the path's own inputs.
    keras.utils.set_random_seed(0)
    network = keras.Sequential([
        keras.Input((None, None, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10, activation="softmax")])
    network.compile("adam", "sparse_categorical_crossentropy")
    network.fit(digits.x_train, digits.y_train, epochs=2, verbose=0)
    result = sparsify(network, digits.x_train, sparsity=0.5, steps=20, batch_size=64, verbose=0)
    assert result.sparsity == pytest.approx(0.5, abs=0.01)
    assert result.distance_at_arrival >= 0.0
