"""Ensembles that keep the function (trust region, acceptance), the paper's sampling, FGE and snapshot."""

import numpy as np
import pytest
import keras

from keras_fip import FIPModel
from keras_fip.robustness import (
    AcceptanceSettings, FunctionalTrustRegion, RandomDirection, TriangularCycle, WeightDiversity,
    accuracy, fge_ensemble, grow_ensemble, snapshot_ensemble, weight_distance,
)
from keras_fip.engine.networks import probabilities
from keras_fip.experiments.robust import split_validation

# The whole module runs on JAX too: nothing here needs TensorFlow.
pytestmark = pytest.mark.any_backend


def _mlp(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10),
    ])


@pytest.fixture(scope="module")
def split(digits):
    return split_validation(digits.x_train, digits.y_train, 0.2, seed=0)


@pytest.fixture(scope="module")
def start(split):
    x_fit, y_fit, _, _ = split
    network = _mlp()
    network.compile(keras.optimizers.Adam(3e-3),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(x_fit, y_fit, epochs=15, batch_size=32, verbose=0)
    return network


def test_validation_split_is_stratified_and_disjoint(digits, split):
    x_fit, y_fit, x_val, y_val = split
    assert len(x_fit) + len(x_val) == len(digits.x_train)
    assert set(np.unique(y_val)) == set(np.unique(digits.y_train))
    assert abs(len(x_val) / len(digits.x_train) - 0.2) < 0.02


@pytest.mark.parametrize("sampling", ["diversity", "random_direction"])
def test_members_keep_the_start_accuracy_on_validation(start, split, sampling):
    x_fit, _, x_val, y_val = split
    result = grow_ensemble(start, x_fit, members=3, steps_between=10, burn_in=10,
                           step_length=0.2, sampling=sampling, seed=0,
                           acceptance=AcceptanceSettings((x_val, y_val), tolerance=0.01,
                                                         max_distance=0.05, check_every=5))
    start_val = result.config["start_val_accuracy"]
    assert len(result.members) == 3 and result.config["accepted"] == 3
    for member, record in zip(result.members, result.records):
        assert record["val_accuracy"] >= start_val - 0.01 - 1e-9
        assert accuracy(member, x_val, y_val) == pytest.approx(record["val_accuracy"])
        assert record["val_distance"] <= record["max_distance"] + 1e-9
    for rejected in result.rejected:       # listed with why they were refused
        assert rejected["reason"] and "step" in rejected
    assert result.steps <= 10 + 6 * 10    # stops once 3 are accepted, at most 2x candidates
    a, b = result.members[0].get_weights(), result.members[-1].get_weights()
    assert weight_distance(a, b) > 0.1    # the members are different networks


def test_a_path_counts_its_examples_validation_passes_included(start, split):
    x_fit, _, x_val, y_val = split
    result = grow_ensemble(start, x_fit, members=2, steps_between=10, burn_in=10,
                           step_length=0.2, batch_size=32, seed=0,
                           acceptance=AcceptanceSettings((x_val, y_val), max_distance=0.05,
                                                         check_every=5))
    cost = result.cost()
    assert cost["steps"] == result.steps and cost["examples"] == result.steps * 32
    assert cost["anchor_examples"] == len(x_fit)  # the start's outputs, cached once
    n = len(x_val)
    tests = len(result.records) + sum(r["reason"] != "outside the trust region"
                                      for r in result.rejected)
    # The start's accuracy and outputs on the split, a trust-region check every
    # 5 steps (one more after each undo), an acceptance test per candidate.
    low = n * (2 + result.steps // 5 + tests)
    undone = result.config["trust_region_undone_epochs"]
    assert cost["validation_examples"] % n == 0
    assert low <= cost["validation_examples"] <= low + n * undone
    assert cost["total_examples"] == (cost["examples"] + cost["validation_examples"]
                                      + cost["anchor_examples"])
    plain = grow_ensemble(start, x_fit, members=2, steps_between=10, batch_size=16, seed=0)
    assert plain.cost()["validation_examples"] == 0 and plain.examples == plain.steps * 16


def test_a_candidate_below_the_tolerance_is_rejected_and_listed(start, split):
    x_fit, _, x_val, y_val = split
    # Long steps without a trust region lose accuracy: every candidate is refused.
    with pytest.raises(ValueError, match="No candidate of the path was accepted"):
        grow_ensemble(start, x_fit, members=2, steps_between=10, step_length=2.0,
                      diversity_weight=10.0, max_candidates=2,
                      acceptance=AcceptanceSettings((x_val, y_val), tolerance=0.0))


def test_trust_region_holds_the_distance_and_shrinks_the_steps(start, split):
    x_fit, _, x_val, _ = split
    diversity = WeightDiversity(weight=1.0, max_references=2, adaptive=True)
    diversity.add_reference(start)
    region = FunctionalTrustRegion(x_val, probabilities(start, x_val), max_distance=0.002,
                                   objective=diversity)
    from keras_fip.engine.traverse import traverse

    path = traverse(start, x_fit, steps=40, epoch_steps=5, step_length=0.3, batch_size=64,
                    objectives=[diversity], callbacks=[region])
    assert region.rejected_epochs > 0
    assert all(r["val_distance"] <= 0.002 + 1e-9 for r in path.records)
    assert path.records[-1]["step_length"] < 0.3 and diversity.scale < 1.0
    assert region.distance() <= 0.002 + 1e-9


def test_adaptive_objectives_save_their_scale_and_direction(start, tmp_path):
    network = keras.models.clone_model(start)
    network.set_weights(start.get_weights())
    direction = RandomDirection(weight=0.5, seed=3)
    model = FIPModel.from_model(network, objectives=[direction])
    model.compile("sgd", "mse")
    direction.bind(model)  # what the first step does: draws the direction
    direction.set_scale(0.25)
    value = float(direction(model))
    model.save(tmp_path / "walker.keras")
    restored = keras.models.load_model(tmp_path / "walker.keras").objectives[0]
    assert isinstance(restored, RandomDirection) and restored.seed == 3
    assert restored.scale == pytest.approx(0.25)
    assert float(restored(model)) == pytest.approx(value, rel=1e-5)
    fixed = WeightDiversity(weight=1.0)
    with pytest.raises(ValueError, match="adaptive=False"):
        fixed.set_scale(0.5)


def test_triangular_cycle_is_lowest_mid_cycle_and_serialises():
    schedule = TriangularCycle(0.05, 0.0005, 10)
    rates = [float(schedule(step)) for step in range(20)]
    assert rates[4] == pytest.approx(0.0005) and rates[14] == pytest.approx(0.0005)
    assert max(rates) == pytest.approx(0.05)
    again = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(schedule))
    assert float(again(7)) == pytest.approx(rates[7])


def test_fge_collects_a_member_per_cycle_from_the_start(start, split):
    x_fit, y_fit, x_val, y_val = split
    before = start.get_weights()
    ensemble, cost = fge_ensemble(start, x_fit, y_fit, members=3, cycle_steps=10,
                                  lr_max=0.02, lr_min=0.001)
    assert len(ensemble) == 3 and cost["steps"] == 30 and cost["examples"] == 30 * 32
    assert cost["validation_examples"] == 0 and cost["total_examples"] == 30 * 32
    assert accuracy(ensemble, x_val, y_val) > 0.8
    for a, b in zip(before, start.get_weights()):
        np.testing.assert_array_equal(a, b)        # the start is not modified


def test_snapshot_ensemble_trains_from_scratch_in_cycles(split):
    x_fit, y_fit, x_val, y_val = split
    ensemble, cost = snapshot_ensemble(_mlp, x_fit, y_fit, members=2, steps=200, lr_max=0.1)
    assert len(ensemble) == 2 and cost["steps"] == 200
    assert accuracy(ensemble, x_val, y_val) > 0.7


@pytest.mark.parametrize("call, message", [
    (lambda s, x, y: grow_ensemble(s, x, acceptance=AcceptanceSettings(max_distance=0.1)),
     "needs validation"),
    (lambda s, x, y: grow_ensemble(s, x, sampling="walk"), "Unknown sampling"),
    (lambda s, x, y: grow_ensemble(s, x, acceptance=AcceptanceSettings((x, y), tolerance=2)),
     "tolerance must be <= 1"),
    (lambda s, x, y: grow_ensemble(s, x, members=3, max_candidates=2), "at least members"),
    (lambda s, x, y: fge_ensemble(s, x, y, lr_max=0.001, lr_min=0.01), "must not exceed"),
    (lambda s, x, y: fge_ensemble(s, x, y, cycle_steps=1), "cycle_steps must be at least 2"),
    (lambda s, x, y: snapshot_ensemble(_mlp, x, y, members=4, steps=5), "steps must be at least 8"),
])
def test_bad_arguments_stop_before_any_training(start, split, call, message, monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("trained on bad input")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    x_fit, y_fit, _, _ = split
    with pytest.raises(ValueError, match=message):
        call(start, x_fit[:100], y_fit[:100])


def test_the_shared_validation_split_holds_out_the_images_each_job_held_out_before(digits):
    from keras_fip.data.splits import validation_split
    from keras_fip.experiments.sparsify_tuning import split_validation as sparsity_split

    def before(x, y, fraction, seed):  # each job's own copy, before the split was shared
        rng = np.random.default_rng(seed)
        held = np.zeros(len(y), bool)
        for label in np.unique(y):
            where = np.flatnonzero(y == label)
            held[rng.permutation(where)[:max(1, int(round(fraction * len(where))))]] = True
        return held

    x, y = digits.x_train, digits.y_train
    for seed in (0, 1):
        robust = split_validation(x, y, 0.1, seed)
        (fit, fit_y), (val, val_y) = sparsity_split(x, y, 0.1, seed)
        np.testing.assert_array_equal(robust[2], x[before(x, y, 0.1, 10_000 + seed)])
        np.testing.assert_array_equal(val, x[before(x, y, 0.1, 20_000 + seed)])
        shared = validation_split(x, y, 0.1, seed, offset=20_000)
        np.testing.assert_array_equal(shared[2], val)
        np.testing.assert_array_equal(shared[0], fit)
    # Each seed holds out its own images.
    assert not np.array_equal(split_validation(x, y, 0.1, 0)[2], split_validation(x, y, 0.1, 1)[2])


def test_grow_ensemble_old_keywords_warn_and_walk_the_same_path(start, split):
    from keras_fip.robustness import AcceptanceSettings, PathSettings

    x_fit, _, x_val, y_val = split
    common = dict(members=2, steps_between=4, burn_in=4, step_length=0.2, seed=0)
    grouped = grow_ensemble(start, x_fit[:300], **common,
                            acceptance=AcceptanceSettings((x_val, y_val), tolerance=1.0,
                                                          max_distance=0.05, check_every=2),
                            path=PathSettings(initial_kick=0.1))
    with pytest.warns(DeprecationWarning, match="are now fields of acceptance=Acceptance"):
        old = grow_ensemble(start, x_fit[:300], **common, validation=(x_val, y_val),
                            tolerance=1.0, max_distance=0.05, check_every=2, initial_kick=0.1)
    assert grouped.records == old.records and grouped.config == old.config
    for a, b in zip(grouped.members, old.members):
        for wa, wb in zip(a.get_weights(), b.get_weights()):
            np.testing.assert_array_equal(wa, wb)
    assert grouped.config["freeze_batch_norm"] is True
    with pytest.raises(TypeError, match="unexpected keyword argument 'validaton'"):
        grow_ensemble(start, x_fit, validaton=(x_val, y_val))
    with pytest.raises(ValueError, match="needs validation"):
        grow_ensemble(start, x_fit, acceptance=AcceptanceSettings(max_distance=0.05))


def test_the_peers_are_tuned_with_the_registry_grids_on_validation():
    from keras_fip.experiments.robust import RobustConfig
    from keras_fip.experiments.robust_tuning import tunable, tune

    assert tunable() == ["fge", "snapshot"]
    config = RobustConfig(architecture="mlp", hidden=(16,), members=2, epochs=1,
                          steps_between=4, burn_in=4, methods=("fip", "fge"), progress=False)
    tuned = tune(config, grids={"fge": (0.01, 0.02)}, max_moves=0)
    assert list(tuned["search"]) == ["fge"]                    # fip has no grid
    assert set(tuned["validation_accuracy"]["fge"]) == {"0.01", "0.02"}
    assert tuned["chosen"]["fge"] in ("0.01", "0.02")
    assert tuned["validation_samples"] > 0 and "start" in tuned["validation_accuracy"]
