"""The reference's path, the per-layer floor, and the peers FIP is compared with."""

import numpy as np
import pytest
import keras

from keras_fip.sparsity import (
    SparsityObjective, gradual_magnitude, measured_sparsity, one_shot, sparsify, tfmot_polynomial,
)
from keras_fip.sparsity.peers import layer_targets
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
    for a, b in zip(summed.network.get_weights(), mean.network.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_batch_norm_stays_as_the_anchors_measured_it(with_batch_norm, digits):
    before = {v.path: np.asarray(v) for v in with_batch_norm.weights if "bn/" in v.path}
    result = sparsify(with_batch_norm, digits.x_train, sparsity=0.7, steps=20, verbose=0)
    after = {v.path: np.asarray(v) for v in result.network.weights if "bn/" in v.path}
    for path, value in before.items():  # statistics and scale/offset untouched
        np.testing.assert_array_equal(value, after[path])
    assert not any("bn/" in path for path in result.masks)
    assert result.network.get_layer("bn").trainable  # the user's network trains as before


def test_min_density_keeps_every_layer_alive_at_the_same_overall_sparsity(trained, digits):
    plain = one_shot(trained, digits.x_train, digits.y_train, sparsity=0.98, steps=0)
    floored = one_shot(trained, digits.x_train, digits.y_train, sparsity=0.98, steps=0,
                       min_density=0.015)
    assert floored.sparsity == pytest.approx(plain.sparsity, abs=1e-3)
    densities = [1 - s for s in layer_sparsity(floored.network).values()]
    assert min(densities) >= 0.015
    assert min(densities) > min(1 - s for s in layer_sparsity(plain.network).values())


def test_the_path_honours_min_density(trained, digits):
    result = sparsify(trained, digits.x_train, sparsity=0.95, steps=40, scope="kernels",
                      min_density=0.03, verbose=0)
    assert min(1 - s for s in layer_sparsity(result.network).values()) >= 0.03
    assert result.sparsity == pytest.approx(0.95, abs=2e-3)
    assert SparsityObjective(0.9, min_density=0.05).get_config()["min_density"] == 0.05


def test_gradual_magnitude_pruning_prunes_by_one_global_threshold(trained, digits):
    result = gradual_magnitude(trained, digits.x_train, digits.y_train, sparsity=0.9, steps=40,
                               scope="kernels")
    assert result.sparsity == pytest.approx(0.9, abs=1e-3)
    per_layer = layer_sparsity(result.network)
    assert per_layer["hidden"] != pytest.approx(per_layer["logits"], abs=0.02)  # not uniform
    kept = [np.abs(np.asarray(v))[np.asarray(v) != 0].min() for v in result.network.weights
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
    assert measured_sparsity(pruned.network)[0] == pytest.approx(0.9, abs=0.01)
    # tfmot lands near each layer's share (its schedule rounds), far from the uniform target.
    assert layer_sparsity(pruned.network)["logits"] == pytest.approx(shared["logits"], abs=0.04)


def test_the_path_runs_dropout_off_and_returns_the_users_architecture(digits):
    from keras_fip import models

    keras.utils.set_random_seed(0)
    network = models.reference_cnn((8, 8, 1), 10)  # the notebook's: Dropout 0.25 after fc1
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=2, verbose=0)
    # Dropout off, the starting point is the anchor: the first distances are ~0.
    result = sparsify(network, digits.x_train, sparsity=0.5, steps=3, verbose=0)
    assert result.path[0]["distance"] < 1e-3
    assert result.network.get_layer("dropout").rate == 0.25


# ------------------------------------------------- fip_ramp, label-free, the _kd peers
def test_the_ramped_path_arrives_at_the_exact_target_with_each_stage_held(trained, digits):
    from keras_fip.sparsity import sparsify_ramp

    result = sparsify_ramp(trained, digits.x_train, sparsity=0.9, steps=40,
                           validation_data=(digits.x_test, digits.y_test))
    zeros, _ = measured_sparsity(result.network, "kernels_and_biases")
    assert zeros == pytest.approx(0.9, abs=1e-3) and result.sparsity == pytest.approx(zeros)
    assert result.reached and result.gap == 0.0 and result.path_steps == 40
    path = result.path
    assert path[0]["step"] == 0 and path[0]["val_distance"] == 0.0 and path[-1]["step"] == 40
    targets = [p["target_sparsity"] for p in path]
    assert targets == sorted(targets) and targets[-1] == pytest.approx(0.9)
    # Each recorded point sits on its stage's sparse set (the mask held since the last cut).
    assert all(p["sparsity"] >= p["target_sparsity"] - 0.1 for p in path)
    assert path[-1]["sparsity"] == pytest.approx(0.9, abs=1e-3)
    lowest = min(p["val_accuracy"] for p in path)
    assert result.lowest_accuracy_on_path == lowest
    assert result.kept == (lowest >= path[0]["val_accuracy"] - 0.02)
    assert "every recorded point" in result.kept_rule


@pytest.mark.parametrize("method", ["fip_ramp", "fip", "oneshot", "oneshot_kd", "gmp_kd", "obs"])
def test_label_free_methods_read_no_label(trained, digits, method):
    from keras_fip.sparsity import prune

    garbage = (digits.y_train + 3) % 10
    runs = [prune(method, trained, digits.x_train, labels, sparsity=0.8, steps=10,
                  label_free=True).network for labels in (digits.y_train, garbage)]
    for a, b in zip(*(model.get_weights() for model in runs)):
        np.testing.assert_array_equal(a, b)


def test_with_labels_the_kd_peers_add_the_cross_entropy(trained, digits):
    from keras_fip.sparsity.distill import DistillationLoss

    logits = keras.ops.convert_to_tensor(np.array([[2.0, 0.0, -1.0]], np.float32))
    kd = DistillationLoss(temperature=2.0)
    assert float(kd(logits, logits)) == pytest.approx(0.0, abs=1e-6)  # its own outputs: 0
    with_label = DistillationLoss(labels=True)(
        np.array([[2.0, 0.0, -1.0, 1.0]], np.float32), logits)  # label 1 appended
    expected = -float(keras.ops.log_softmax(logits)[0, 1])
    assert float(with_label) == pytest.approx(expected, rel=1e-5)
    from keras_fip.sparsity import gradual_magnitude_kd

    free = gradual_magnitude_kd(trained, digits.x_train, sparsity=0.8, steps=10)
    labelled = gradual_magnitude_kd(trained, digits.x_train, digits.y_train, sparsity=0.8,
                                    steps=10)
    assert free.sparsity == pytest.approx(0.8, abs=1e-3)
    assert labelled.sparsity == pytest.approx(0.8, abs=1e-3)
    assert any(not np.array_equal(a, b) for a, b in
               zip(free.network.get_weights(), labelled.network.get_weights()))


def test_obs_cuts_the_weights_whose_removal_the_fisher_says_costs_least(trained, digits):
    from keras_fip.sparsity.peers import fisher_diagonal, fisher_pruning

    result = fisher_pruning(trained, digits.x_train, digits.y_train, sparsity=0.8, steps=0,
                            samples=200)
    assert result.sparsity == pytest.approx(0.8, abs=1e-3)
    fisher = fisher_diagonal(trained, digits.x_train, digits.y_train, samples=200)
    weights = [np.asarray(v) for v in trained.weights if v.name == "kernel"]
    scores = np.concatenate([(w ** 2 * (f + 1e-8)).ravel() for w, f in zip(weights, fisher)])
    kept = np.concatenate([m.ravel() for m in result.masks.values()]).astype(bool)
    assert scores[kept].min() >= scores[~kept].max()
    magnitude = one_shot(trained, digits.x_train, digits.y_train, sparsity=0.8, steps=0)
    assert any(not np.array_equal(a, b) for a, b in
               zip(result.masks.values(), magnitude.masks.values()))  # not a magnitude cut


def test_every_method_is_one_registry_entry_with_its_grid_and_defaults():
    from keras_fip.cli import sparsify as command
    from keras_fip.experiments.sparsify_tuning import DEFAULTS, GRIDS
    from keras_fip.sparsity.registry import DEFAULT_METHODS, METHODS, label

    assert set(GRIDS) == set(DEFAULTS) == set(METHODS) and set(DEFAULT_METHODS) <= set(METHODS)
    assert command.METHOD_NAMES == METHODS.names()
    for name in METHODS:
        method = METHODS.get(name)
        assert callable(method.resolve()) and set(method.defaults) <= set(method.settings)
    assert label("gmp", label_free=True) == "gmp (labels)"
    assert label("oneshot", label_free=True) == "oneshot (no fine-tuning)"
    assert label("fip", label_free=True) == "fip" == label("fip")


def test_prune_refuses_a_setting_the_method_does_not_take(trained, digits):
    from keras_fip.sparsity import prune

    with pytest.raises(ValueError, match="takes no setting learning_rate; its settings: "
                                         "step_length"):
        prune("fip_ramp", trained, digits.x_train, sparsity=0.5, steps=4, learning_rate=1e-3)
    with pytest.raises(ValueError, match="Unknown pruning method 'magic'"):
        prune("magic", trained, digits.x_train, sparsity=0.5, steps=4)
    with pytest.raises(ValueError, match="validation_data"):
        prune("gmp", trained, digits.x_train, digits.y_train, sparsity=0.5, steps=4,
              validation_data=(digits.x_test, digits.y_test))


def test_the_old_names_still_work_for_one_release_with_a_warning(trained, digits):
    from keras_fip.sparsity import prune

    with pytest.warns(DeprecationWarning, match="keras_fip.experiments.sparsify"):
        from keras_fip.sparsity.experiment import run_sparsify_experiment  # noqa: F401
    with pytest.warns(DeprecationWarning, match="keras_fip.sparsity.peers"):
        from keras_fip.sparsity.baselines import one_shot as old_one_shot
    assert old_one_shot is one_shot
    with pytest.warns(DeprecationWarning, match="keras_fip.experiments.compose"):
        from keras_fip.compose import sparsify_after_tasks  # noqa: F401
    from keras_fip.sparsity.pruning import run_method

    with pytest.warns(DeprecationWarning, match="keras_fip.sparsity.prune"):
        old = run_method("oneshot", trained, digits.x_train, digits.y_train, sparsity=0.5,
                         steps=4)
    new = prune("oneshot", trained, digits.x_train, digits.y_train, sparsity=0.5, steps=4)
    with pytest.warns(DeprecationWarning, match=r"\.network"):
        assert old.model is old.network
    for a, b in zip(old.network.get_weights(), new.network.get_weights()):
        np.testing.assert_array_equal(a, b)
