"""Sparsification along FIPs: the pull, the path, masks, and the baselines.

Tests marked `any_backend` run on JAX too (a subset, to keep that run short);
`tensorflow_only` marks tfmot.
"""

import numpy as np
import pytest
import keras

from conftest import TENSORFLOW, tensorflow_only
from keras_fip import FIPModel, PathStep
from keras_fip.engine.distances import DistanceLoss
from keras_fip.sparsity import (
    HoldMask, SparsityObjective, measured_sparsity, one_shot, sparsify, tfmot_polynomial,
)


def accuracy(model, x, y):
    return float(np.mean(np.argmax(model.predict(x, verbose=0), -1) == y))


@pytest.mark.any_backend
@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, float("nan"), "many"])
def test_sparsity_outside_zero_one_is_refused(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        SparsityObjective(bad)


@pytest.mark.any_backend
def test_objective_options_are_checked():
    with pytest.raises(ValueError, match="granularity"):
        SparsityObjective(0.5, granularity="per_neuron")
    with pytest.raises(ValueError, match="scope"):
        SparsityObjective(0.5, scope="everything")
    with pytest.raises(ValueError, match="2:4 means sparsity 0.5"):
        SparsityObjective(0.9, structure="2:4")
    with pytest.raises(ValueError, match="N:M"):
        SparsityObjective(structure="4:2")


@pytest.mark.any_backend
def test_ramp_reaches_the_target_gradually():
    pull = SparsityObjective(0.9, ramp_steps=100, initial_sparsity=0.0)
    targets = [float(pull.target_at(step)) for step in (0, 50, 100, 200)]
    assert targets[0] == 0.0 and 0.0 < targets[1] < 0.9
    assert targets[2] == pytest.approx(0.9) and targets[3] == pytest.approx(0.9)


@pytest.mark.any_backend
def test_a_schedule_is_a_small_serialisable_object():
    from keras_fip.sparsity import PolynomialSparsity

    pull = SparsityObjective(schedule=PolynomialSparsity(0.9, ramp_steps=100), weight=0.2)
    assert pull.sparsity == 0.9 and pull.ramp_steps == 100
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(pull))
    assert isinstance(restored.schedule, PolynomialSparsity)
    for step in (0, 50, 100):
        assert float(restored.target_at(step)) == pytest.approx(float(pull.target_at(step)))
    with pytest.raises(ValueError, match="differs from the schedule"):
        SparsityObjective(0.5, schedule=PolynomialSparsity(0.9, ramp_steps=10))


@pytest.mark.any_backend
def test_sparsify_walks_towards_the_target_and_reports_what_it_kept(trained, digits):
    validation = (digits.x_test, digits.y_test)
    dense = accuracy(trained, *validation)
    before = trained.get_weights()
    result = sparsify(trained, digits.x_train, sparsity=0.8, steps=300, step_length="auto",
                      validation_data=validation, verbose=0)
    assert result.sparsity == pytest.approx(0.8, abs=1e-3)
    # Every parameter counts, as in the reference: kernels and biases together.
    weights = [np.asarray(v) for v in result.network.weights]
    assert sum((w == 0).sum() for w in weights) / sum(w.size for w in weights) == pytest.approx(0.8, abs=1e-3)
    # The caller's network is untouched; the path is recorded with its progress.
    assert all(np.array_equal(a, b) for a, b in zip(before, trained.get_weights()))
    record = result.path[-1]
    assert {"loss", "distance", "sparse_gap", "sparse_gap_now", "val_accuracy"} <= set(record)
    assert result.path[-1]["sparse_gap_now"] < 0.9 * result.path[0]["sparse_gap_now"]
    # What the path kept, measured before the snap; the pull never grew (off by default).
    assert result.accuracy_at_start == pytest.approx(dense)
    assert result.accuracy_at_arrival == pytest.approx(record["val_accuracy"])
    assert result.kept == (result.accuracy_at_arrival >= dense - 0.01)
    assert result.accuracy_at_snap == pytest.approx(accuracy(result.network, *validation))
    assert result.distance_at_arrival > 0.0
    assert result.max_pull == pytest.approx(0.1) and result.pull_growth_steps == 0
    assert result.reached == (result.gap < 0.01)


@pytest.mark.any_backend
def test_a_growing_pull_forces_the_arrival_and_says_so(trained, digits):
    validation = (digits.x_test, digits.y_test)
    steady = sparsify(trained, digits.x_train, sparsity=0.9, steps=100, step_length="auto",
                      validation_data=validation, verbose=0)
    forced = sparsify(trained, digits.x_train, sparsity=0.9, steps=100, step_length="auto",
                      pull_growth=1.5, validation_data=validation, verbose=0)
    assert forced.reached and forced.gap < 0.01 < steady.gap
    assert forced.pull_growth_steps > 0 and forced.max_pull > 1e3 * 0.1
    # It gets there by moving the function further from the start.
    assert forced.distance_at_arrival > steady.distance_at_arrival


def test_the_reference_path_takes_every_step_at_its_fixed_length(trained, digits):
    from keras_fip.sparsity import prune

    result = prune("fip_reference", trained, digits.x_train, digits.y_train,
                   sparsity=0.9, steps=20, validation_data=(digits.x_test, digits.y_test))
    # No fine-tuning, no early stop at this distance, and 20 steps of exactly 0.01.
    assert (result.path_steps, result.finetune_steps, result.reached) == (20, 0, False)
    travelled = result.path[-1]["weight_distance"]
    assert 0.9 * 20 * 0.01 < travelled <= 20 * 0.01 + 1e-6
    assert result.max_pull == pytest.approx(0.1) and result.kept is not None


def short(paths):
    return {"/".join(p.split("/")[-2:]) for p in paths}


def test_every_parameter_counts_unless_the_scope_is_narrowed(trained, digits):
    wide = sparsify(trained, digits.x_train, sparsity=0.5, steps=20, verbose=0)
    assert short(wide.masks) == {"hidden/kernel", "hidden/bias", "logits/kernel", "logits/bias"}
    result = sparsify(trained, digits.x_train, sparsity=0.5, steps=20, scope="kernels", verbose=0)
    assert short(result.masks) == {"hidden/kernel", "logits/kernel"}
    biases = [np.asarray(v) for v in result.network.weights if v.name == "bias"]
    assert all(np.count_nonzero(b) == np.count_nonzero(np.asarray(o))
               for b, o in zip(biases, [v for v in trained.weights if v.name == "bias"]))


@pytest.mark.any_backend
def test_per_layer_granularity_prunes_every_layer_to_the_target(trained, digits):
    result = sparsify(trained, digits.x_train, sparsity=0.7, steps=20, granularity="per_layer",
                      verbose=0)
    _, per_layer = measured_sparsity(result.network)
    assert all(value == pytest.approx(0.7, abs=0.01) for value in per_layer.values())


@pytest.mark.any_backend
def test_two_four_structure_keeps_two_of_every_four(trained, digits):
    result = sparsify(trained, digits.x_train, structure="2:4", steps=20, verbose=0)
    hidden = np.asarray(result.network.get_layer("hidden").kernel)  # (64 inputs, 64 units)
    groups = np.moveaxis(hidden, 0, -1).reshape(64, 16, 4)
    assert np.all((groups != 0).sum(-1) <= 2)
    # 10 outputs' input axis is 64: divisible by 4, so the logits are structured too.
    assert short(result.masks) == {"hidden/kernel", "logits/kernel"}


@pytest.mark.any_backend
def test_fine_tuning_holds_the_mask(trained, digits):
    result = sparsify(trained, digits.x_train, digits.y_train, sparsity=0.9, steps=50,
                      finetune_steps=100, step_length="auto", verbose=0)
    assert result.finetune_steps >= 100
    for path, mask in result.masks.items():
        variable = next(v for v in result.network.weights if v.path == path)
        assert np.all(np.asarray(variable)[mask == 0] == 0)
    assert result.sparsity == pytest.approx(0.9, abs=1e-3)


@pytest.mark.any_backend
def test_hold_mask_rejects_a_mask_that_does_not_fit(trained, digits):
    network = keras.models.clone_model(trained)
    network.compile("adam", "mse")
    with pytest.raises(ValueError, match="shape"):
        network.fit(digits.x_train[:8], np.zeros((8, 10)), verbose=0,
                    callbacks=[HoldMask({"hidden/kernel": np.ones((3, 3))})])


def test_exact_threshold_every_step_gives_the_same_kind_of_path(trained, digits):
    every = sparsify(trained, digits.x_train, sparsity=0.8, steps=40, threshold_every=1, verbose=0)
    held = sparsify(trained, digits.x_train, sparsity=0.8, steps=40, threshold_every=20, verbose=0)
    assert every.sparsity == pytest.approx(held.sparsity, abs=1e-3)
    assert every.path_steps == held.path_steps == 40


@pytest.mark.any_backend
def test_a_fip_model_with_the_objective_saves_and_resumes(trained, digits, tmp_path):
    pull = SparsityObjective(0.75, threshold_every=5)
    model = FIPModel.from_model(keras.models.clone_model(trained), objectives=[pull])
    model.network.set_weights(trained.get_weights())
    model.compile(PathStep(0.01), loss=DistanceLoss())
    model.fit(digits.x_train, trained.predict(digits.x_train, verbose=0), epochs=1, verbose=0)
    path = tmp_path / "path.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    (restored,) = loaded.objectives
    assert restored.get_config() == pull.get_config()
    assert int(restored.step.numpy()) == int(pull.step.numpy()) > 0
    np.testing.assert_array_equal(restored.thresholds.numpy(), pull.thresholds.numpy())


def test_sparsify_checks_its_input(trained, digits):
    with pytest.raises(ValueError, match="samples of shape"):
        sparsify(trained, np.zeros((10, 5)), sparsity=0.5, steps=5)
    with pytest.raises(ValueError, match="empty"):
        sparsify(trained, np.zeros((0, 8, 8, 1)), sparsity=0.5, steps=5)
    with pytest.raises(ValueError, match="labels"):
        sparsify(trained, digits.x_train, digits.y_train[:5], sparsity=0.5, steps=5)
    with pytest.raises(ValueError, match="needs labels"):
        sparsify(trained, digits.x_train, sparsity=0.5, steps=5, finetune_steps=5)
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="no weights"):
        sparsify(unbuilt, digits.x_train, sparsity=0.5, steps=5)


def _with_nan(x):
    x = np.array(x, np.float32)
    x[5, 1, 1, 0] = np.nan
    return x


@pytest.mark.parametrize("case, message", [
    ("nan inputs", "x has 1 NaN"),
    ("one-hot labels", "one-hot"),
    ("labels out of range", r"labels up to 19 but the network has 10 outputs"),
    ("an ensemble", "FIPEnsemble of 2 members"),
    ("not a model", "must be a keras.Model"),
    ("two outputs", "2 output tensors"),
    ("inf step length", "step_length must be a finite number"),
    ("batch size 0", "batch_size must be at least 1"),
    ("nan weight", "weight must be a finite number"),
    ("nan validation inputs", "validation_data x has 1 NaN"),
])
def test_sparsify_refuses_bad_input_before_any_work(trained, digits, case, message,
                                                    monkeypatch):
    from keras_fip import FIPEnsemble

    def refuse(*args, **kwargs):
        raise AssertionError("ran the network on bad input")

    monkeypatch.setattr(keras.Model, "fit", refuse)
    monkeypatch.setattr(keras.Model, "predict", refuse)
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Flatten()(inputs)
    two = keras.Model(inputs, [keras.layers.Dense(10)(hidden), keras.layers.Dense(3)(hidden)])
    x, y = digits.x_train, digits.y_train
    network, kwargs = trained, dict(sparsity=0.5, steps=5, finetune_steps=5, verbose=0)
    if case == "nan inputs":
        x = _with_nan(x)
    elif case == "one-hot labels":
        y = np.eye(10)[y]
    elif case == "labels out of range":
        y = y + 10
    elif case == "an ensemble":
        network = FIPEnsemble([trained, trained])
    elif case == "not a model":
        network = "trained.keras"
    elif case == "two outputs":
        network = two
    elif case == "inf step length":
        kwargs["step_length"] = float("inf")
    elif case == "batch size 0":
        kwargs["batch_size"] = 0
    elif case == "nan weight":
        kwargs["weight"] = float("nan")
    else:
        kwargs["validation_data"] = (_with_nan(digits.x_test), digits.y_test)
    with pytest.raises((ValueError, TypeError), match=message):
        sparsify(network, x, y, **kwargs)


def test_baselines_refuse_bad_input_before_training(trained, digits):
    from keras_fip.sparsity import finetune, masks_of

    with pytest.raises(ValueError, match="needs labels"):
        one_shot(trained, digits.x_train, None, sparsity=0.5, steps=5)
    with pytest.raises(ValueError, match="x has 1 NaN"):
        one_shot(trained, _with_nan(digits.x_train), digits.y_train, sparsity=0.5, steps=5)
    with pytest.raises(ValueError, match="learning_rate must be a finite number"):
        finetune(trained, digits.x_train, digits.y_train, masks_of(trained), steps=5,
                 learning_rate=float("nan"))


@tensorflow_only
def test_the_tfmot_baseline_refuses_bad_input_before_training(trained, digits):
    with pytest.raises(ValueError, match="steps must be at least 1"):
        tfmot_polynomial(trained, digits.x_train, digits.y_train, sparsity=0.5, steps=0)
    with pytest.raises(ValueError, match="end_fraction"):
        tfmot_polynomial(trained, digits.x_train, digits.y_train, sparsity=0.5, steps=5,
                         end_fraction=0)


@pytest.mark.any_backend
@pytest.mark.skipif(TENSORFLOW, reason="what another backend says about TensorFlow-only tools")
def test_tfmot_and_the_export_say_in_one_line_that_they_need_tensorflow(trained, digits, tmp_path):
    from keras_fip.sparsity import export_sparse, to_tf_keras

    calls = [lambda: tfmot_polynomial(trained, digits.x_train, digits.y_train, sparsity=0.5),
             lambda: export_sparse(trained, tmp_path / "export"),
             lambda: to_tf_keras(trained)]
    for call in calls:
        with pytest.raises(RuntimeError, match="needs Keras' TensorFlow backend") as error:
            call()
        assert "\n" not in str(error.value)
    assert not (tmp_path / "export").exists()


def test_a_diverging_path_stops_with_a_clear_error(trained, digits):
    # Steps this long overflow the outputs to infinity: the loss turns NaN/inf in
    # ops no CPU kernel can hide it in.
    with pytest.raises(FloatingPointError, match="NaN"):
        sparsify(trained, digits.x_train, sparsity=0.5, steps=20, step_length=1e30, verbose=0)


@pytest.mark.any_backend
def test_baselines_reach_the_target(trained, digits):
    shot = one_shot(trained, digits.x_train, digits.y_train, sparsity=0.9, steps=30)
    assert shot.sparsity == pytest.approx(0.9, abs=1e-3)


@tensorflow_only
def test_the_tfmot_baseline_reaches_the_target(trained, digits):
    pruned = tfmot_polynomial(trained, digits.x_train, digits.y_train, sparsity=0.9, steps=30)
    # tfmot prunes each layer to the target.
    _, per_layer = measured_sparsity(pruned.network)
    assert all(value == pytest.approx(0.9, abs=0.01) for value in per_layer.values())
    assert isinstance(pruned.network, keras.Model)  # back in Keras 3
