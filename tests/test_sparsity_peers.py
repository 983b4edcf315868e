"""The reference's path, the per-layer floor, and the peers FIP is compared with."""

import numpy as np
import pytest
import keras

from keras_fip.sparsity import (
    SparsityObjective, gradual_magnitude, measured_sparsity, one_shot, sparsify, tfmot_polynomial,
)
from keras_fip.sparsity.baselines import layer_targets
from keras_fip.sparsity.prunable import layer_sparsity


@pytest.fixture(scope="module")
def with_batch_norm(digits):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(8, 3, name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    x = keras.layers.ReLU()(keras.layers.Flatten()(x))
    network = keras.Model(inputs, keras.layers.Dense(10, name="logits")(x))
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=3, batch_size=64, verbose=0)
    return network


def test_a_grown_pull_arrives_and_says_so(trained, digits):
    result = sparsify(trained, digits.x_train, sparsity=0.9, steps=100, step_length="auto",
                      pull_growth=1.5, validation_data=(digits.x_test, digits.y_test), verbose=0)
    assert result.reached and result.gap < 0.01
    assert result.pull_growth_steps > 0 and result.max_pull > 0.1
    assert 0 < result.path_steps <= 100
    # The path's own record: distance, gap, lambda and accuracy along it.
    assert {"distance", "sparse_gap_now", "pull", "val_accuracy"} <= set(result.path[-1])


def test_a_summed_distance_is_a_mean_with_lambda_divided_by_the_batch(trained, digits):
    # The reference sums the distance over its batch of 200; the same path with a
    # batch mean has lambda / 200 (the step is the normalised sum of the two terms).
    common = dict(sparsity=0.8, steps=5, step_length=0.01, decay=False, pull_growth=1.0,
                  batch_size=200, verbose=0)
    summed = sparsify(trained, digits.x_train, weight=0.1, **common)
    mean = sparsify(trained, digits.x_train, weight=0.1 / 200, distance_reduction="mean", **common)
    for a, b in zip(summed.model.get_weights(), mean.model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_batch_norm_stays_as_the_anchors_measured_it(with_batch_norm, digits):
    before = {v.path: np.asarray(v) for v in with_batch_norm.weights if "bn/" in v.path}
    result = sparsify(with_batch_norm, digits.x_train, sparsity=0.7, steps=20, verbose=0)
    after = {v.path: np.asarray(v) for v in result.model.weights if "bn/" in v.path}
    for path, value in before.items():  # statistics and scale/offset untouched
        np.testing.assert_array_equal(value, after[path])
    assert not any("bn/" in path for path in result.masks)
    assert result.model.get_layer("bn").trainable  # the user's network trains as before


def test_min_density_keeps_every_layer_alive_at_the_same_overall_sparsity(trained, digits):
    plain = one_shot(trained, digits.x_train, digits.y_train, sparsity=0.98, steps=0)
    floored = one_shot(trained, digits.x_train, digits.y_train, sparsity=0.98, steps=0,
                       min_density=0.015)
    assert floored.sparsity == pytest.approx(plain.sparsity, abs=1e-3)
    densities = [1 - s for s in layer_sparsity(floored.model).values()]
    assert min(densities) >= 0.015
    assert min(densities) > min(1 - s for s in layer_sparsity(plain.model).values())


def test_the_path_honours_min_density(trained, digits):
    result = sparsify(trained, digits.x_train, sparsity=0.95, steps=40, scope="kernels",
                      min_density=0.03, verbose=0)
    assert min(1 - s for s in layer_sparsity(result.model).values()) >= 0.03
    assert result.sparsity == pytest.approx(0.95, abs=2e-3)
    assert SparsityObjective(0.9, min_density=0.05).get_config()["min_density"] == 0.05


def test_gradual_magnitude_pruning_prunes_by_one_global_threshold(trained, digits):
    result = gradual_magnitude(trained, digits.x_train, digits.y_train, sparsity=0.9, steps=40,
                               scope="kernels")
    assert result.sparsity == pytest.approx(0.9, abs=1e-3)
    per_layer = layer_sparsity(result.model)
    assert per_layer["hidden"] != pytest.approx(per_layer["logits"], abs=0.02)  # not uniform
    kept = [np.abs(np.asarray(v))[np.asarray(v) != 0].min() for v in result.model.weights
            if v.name == "kernel"]
    assert all(k > 0 for k in kept)


def test_tfmot_targets_leave_as_many_nonzeros_as_a_global_cut(trained, digits):
    uniform = layer_targets(trained, 0.9, scope="kernels_and_biases")
    shared = layer_targets(trained, 0.9, scope="kernels_and_biases", allocation="global")
    assert set(uniform) == set(shared) == {"hidden", "logits"}
    assert uniform["hidden"] == uniform["logits"] and shared["hidden"] != shared["logits"]
    sizes = {"hidden": 64 * 64, "logits": 64 * 10}
    for targets in (uniform, shared):  # biases (74) stay dense inside the same budget
        nonzero = sum(round((1 - t) * sizes[name]) for name, t in targets.items()) + 74
        assert nonzero == pytest.approx(0.1 * (4096 + 640 + 74), abs=3)

    pruned = tfmot_polynomial(trained, digits.x_train, digits.y_train, sparsity=0.9, steps=30,
                              allocation="global")
    assert measured_sparsity(pruned.model)[0] == pytest.approx(0.9, abs=0.01)
    # tfmot lands near each layer's share (its schedule rounds), far from the uniform target.
    assert layer_sparsity(pruned.model)["logits"] == pytest.approx(shared["logits"], abs=0.04)


def test_the_path_runs_dropout_off_and_returns_the_users_architecture(digits):
    from keras_fip import models

    keras.utils.set_random_seed(0)
    network = models.reference_cnn((8, 8, 1), 10)  # the notebook's: Dropout 0.25 after fc1
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=2, verbose=0)
    # Dropout off, the starting point is the anchor: the first distances are ~0.
    result = sparsify(network, digits.x_train, sparsity=0.5, steps=3, verbose=0)
    assert result.path[0]["distance"] < 1e-3
    assert result.model.get_layer("dropout").rate == 0.25
