"""Robust ensembles: weight diversification, FIPEnsemble, cleverhans attacks, analysis.

Tests marked `any_backend` run on JAX too (a subset, to keep that run short);
the attacks (cleverhans) and the SavedModel export are TensorFlow's alone.
"""

import sys

import numpy as np
import pytest
import keras

from conftest import TENSORFLOW, tensorflow_only
from keras_fip import FIPModel
from keras_fip.robustness import (
    Attack, PathSettings, FIPEnsemble, WeightDiversity, accuracy, adversarial_accuracies, deep_ensemble,
    distances_from_start, diversity, generate, grow_ensemble, member_accuracies,
    train_network, transfer_matrix, weight_distance,
)


def _mlp(seed=0, hidden=32):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Flatten(),
        keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(10),
    ])


@pytest.fixture(scope="module")
def trained(digits):
    network = _mlp()
    network.compile(keras.optimizers.Adam(3e-3),
                    keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=15, batch_size=32, verbose=0)
    return network


@pytest.fixture(scope="module")
def grown(trained, digits):
    return grow_ensemble(trained, digits.x_train, members=3, steps_between=15, burn_in=10,
                         step_length=0.1, seed=0)


# ------------------------------------------------------------------ attacks
@tensorflow_only
@pytest.mark.parametrize("name", ["fgsm", "pgd", "bim", "mim"])
def test_linf_attacks_move_inputs_within_eps(trained, digits, name):
    x, y = digits.x_test[:64], digits.y_test[:64]
    adversarial = generate(trained, x, y, name, eps=0.1, nb_iter=5)
    change = np.abs(adversarial - x)
    assert change.max() <= 0.1 + 1e-5
    assert change.max() > 0.05                       # it did move
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    assert accuracy(trained, adversarial, y) < accuracy(trained, x, y)


@tensorflow_only
@pytest.mark.parametrize("name", ["fgm_l2", "pgd_l2"])
def test_l2_attacks_move_inputs_within_eps(trained, digits, name):
    x, y = digits.x_test[:64], digits.y_test[:64]
    adversarial = generate(trained, x, y, name, eps=1.0, nb_iter=5)
    norms = np.sqrt(np.sum((adversarial - x).reshape(len(x), -1) ** 2, axis=1))
    assert norms.max() <= 1.0 + 1e-4
    assert norms.mean() > 0.3
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0
    assert accuracy(trained, adversarial, y) < accuracy(trained, x, y)


@tensorflow_only
def test_attack_batches_match_one_pass(trained, digits):
    x, y = digits.x_test[:50], digits.y_test[:50]
    whole = generate(trained, x, y, "fgsm", eps=0.1, batch_size=50)
    batched = generate(trained, x, y, "fgsm", eps=0.1, batch_size=16)
    np.testing.assert_allclose(whole, batched, atol=1e-6)


@tensorflow_only
def test_zero_eps_leaves_inputs(trained, digits):
    x = digits.x_test[:8]
    np.testing.assert_array_equal(generate(trained, x, None, "pgd", eps=0.0), x)


@tensorflow_only
@pytest.mark.parametrize("kwargs, message", [
    (dict(attack="pgd", eps=-0.1), "eps must be"),
    (dict(attack="pgd", eps=float("nan")), "eps must be"),
    (dict(attack="pgd", eps=0.1, clip_min=1.0, clip_max=0.0), "inverted"),
    (dict(attack="pgd", eps=0.1, clip_min=0.5, clip_max=0.5), "inverted"),
    (dict(attack="pgd", eps=0.1, clip_min=0.0, clip_max=0.5), "outside the clip range"),
    (dict(attack="magic", eps=0.1), "unknown attack"),
    (dict(attack="cw", eps=0.1), "not supported"),
    (dict(attack="spsa", eps=0.1), "not supported"),
    (dict(attack="pgd", eps=0.1, nb_iter=0), "nb_iter"),
])
def test_bad_attack_arguments_are_clear_errors(trained, digits, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(trained, digits.x_test[:4], digits.y_test[:4], **kwargs)


@tensorflow_only
@pytest.mark.parametrize("kwargs, message", [
    (dict(x="nan"), "x has 1 NaN"),
    (dict(y="plus10"), r"labels up to 1\d but the network has 10 outputs"),
    (dict(y="one-hot"), "one-hot"),
    (dict(attack="pgd", eps=2.0), "wider than the clip range"),
    (dict(attack="pgd", eps=0.1, clip_min=float("nan")), "clip_min must be a finite number"),
    (dict(attack="pgd", eps=0.1, eps_iter=float("inf")), "eps_iter must be a finite number"),
])
def test_attacks_refuse_bad_inputs(trained, digits, kwargs, message):
    x, y = digits.x_test[:4], digits.y_test[:4]
    x = _with_nan(x) if kwargs.pop("x", None) == "nan" else x
    y = {"plus10": y + 10, "one-hot": np.eye(10)[y], None: y}[kwargs.pop("y", None)]
    with pytest.raises(ValueError, match=message):
        generate(trained, x, y, **{"attack": "fgsm", "eps": 0.1, **kwargs})


@tensorflow_only
def test_an_l2_budget_may_exceed_the_clip_range_width(trained, digits):
    x, y = digits.x_test[:8], digits.y_test[:8]
    adversarial = generate(trained, x, y, "fgm_l2", eps=2.0)
    assert adversarial.min() >= 0.0 and adversarial.max() <= 1.0


@tensorflow_only
def test_missing_cleverhans_says_how_to_install(trained, digits, monkeypatch):
    for name in [m for m in sys.modules if m.startswith("cleverhans")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cleverhans", None)
    with pytest.raises(ImportError, match=r"keras-fip\[robust\]"):
        generate(trained, digits.x_test[:4], digits.y_test[:4], "fgsm", eps=0.1)


@pytest.mark.any_backend
@pytest.mark.skipif(TENSORFLOW, reason="what another backend says about TensorFlow-only tools")
def test_attacks_say_in_one_line_that_they_need_tensorflow(trained, digits):
    with pytest.raises(RuntimeError, match="needs Keras' TensorFlow backend") as error:
        generate(trained, digits.x_test[:4], digits.y_test[:4], "fgsm", eps=0.1)
    assert "\n" not in str(error.value)


# ----------------------------------------------------------------- ensemble
@pytest.mark.any_backend
def test_ensemble_averages_probabilities_or_logits(digits):
    a, b = _mlp(1), _mlp(2)
    x = digits.x_test[:16]
    la, lb = a.predict(x, verbose=0), b.predict(x, verbose=0)
    soft = lambda z: np.exp(z) / np.exp(z).sum(-1, keepdims=True)  # noqa: E731
    probs = FIPEnsemble([a, b]).predict(x, verbose=0)
    np.testing.assert_allclose(probs, (soft(la) + soft(lb)) / 2, atol=1e-5)
    logits = FIPEnsemble([a, b], average="logits").predict(x, verbose=0)
    np.testing.assert_allclose(logits, (la + lb) / 2, atol=1e-5)


@pytest.mark.any_backend
def test_ensemble_round_trips_through_a_keras_file(grown, digits, tmp_path):
    ensemble = grown.ensemble
    x = digits.x_test[:32]
    expected = ensemble.predict(x, verbose=0)
    path = tmp_path / "ensemble.keras"
    ensemble.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, FIPEnsemble) and len(loaded) == 3
    assert loaded.average == "probabilities"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)


@tensorflow_only
def test_ensemble_exports_a_saved_model(grown, digits, tmp_path):
    import tensorflow as tf

    ensemble = grown.ensemble
    x = digits.x_test[:32]
    expected = ensemble.predict(x, verbose=0)
    ensemble.export(str(tmp_path / "saved"), verbose=False)
    restored = tf.saved_model.load(str(tmp_path / "saved"))  # keep it: it owns the variables
    served = restored.serve(tf.constant(x)).numpy()
    np.testing.assert_allclose(served, expected, atol=1e-5)


def test_ensemble_rejects_bad_members():
    with pytest.raises(ValueError, match="at least one member"):
        FIPEnsemble([])
    with pytest.raises(TypeError, match="keras.Model"):
        FIPEnsemble([_mlp(), "not a model"])
    with pytest.raises(ValueError, match="average"):
        FIPEnsemble([_mlp()], average="median")
    other = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="output width"):
        FIPEnsemble([_mlp(), other])
    flat = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="input shape"):
        FIPEnsemble([_mlp(), flat])
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Flatten()(inputs)
    two = keras.Model(inputs, [keras.layers.Dense(10)(hidden), keras.layers.Dense(10)(hidden)])
    with pytest.raises(ValueError, match="2 output tensors"):
        FIPEnsemble([two])


# ------------------------------------------------------------ the path
@pytest.mark.any_backend
def test_members_differ_in_weights_but_agree_on_clean_data(grown, trained, digits):
    start_weights = trained.get_weights()
    rows = distances_from_start(trained, grown.ensemble, digits.x_train)
    assert len(rows) == 3
    for row in rows:
        assert row["weight_distance"] > 0.5            # moved well away from the start
        assert row["agreement"] > 0.9                  # ... keeping its answers
    distances = [r["weight_distance"] for r in rows]
    assert distances == sorted(distances)              # farther along the path
    members = grown.members
    for i in range(3):
        for j in range(i + 1, 3):
            assert weight_distance(members[i].get_weights(), members[j].get_weights()) > 0.5
    start_accuracy = accuracy(trained, digits.x_test, digits.y_test)
    assert accuracy(grown.ensemble, digits.x_test, digits.y_test) >= start_accuracy - 0.03
    assert min(member_accuracies(grown.ensemble, digits.x_test, digits.y_test)) >= start_accuracy - 0.05
    # The start network itself was not touched.
    for before, after in zip(start_weights, trained.get_weights()):
        np.testing.assert_array_equal(before, after)
    assert grown.steps == 10 + 3 * 15 and [r["step"] for r in grown.records] == [25, 40, 55]


@pytest.mark.any_backend
def test_diversity_pushes_farther_than_the_distance_alone(trained, digits):
    common = dict(members=1, steps_between=20, step_length=0.05, seed=0)
    pushed = grow_ensemble(trained, digits.x_train, diversity_weight=1.0,
                           path=PathSettings(optimizer=keras.optimizers.SGD(0.05)), **common)
    still = grow_ensemble(trained, digits.x_train, diversity_weight=0.0,
                          path=PathSettings(optimizer=keras.optimizers.SGD(0.05)), **common)
    assert pushed.records[-1]["weight_distance"] > 2 * still.records[-1]["weight_distance"]


@pytest.mark.any_backend
def test_weight_diversity_saves_its_references(trained, tmp_path, digits):
    network = keras.models.clone_model(trained)
    network.set_weights(trained.get_weights())
    diversity_term = WeightDiversity(weight=0.5, max_references=3)
    diversity_term.add_reference(network)
    model = FIPModel.from_model(network, objectives=[diversity_term])
    model.compile("sgd", "mse")
    value = float(diversity_term(model))
    path = tmp_path / "walker.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    restored = loaded.objectives[0]
    assert isinstance(restored, WeightDiversity)
    assert restored.num_references == 1 and restored.max_references == 3 and restored.weight == 0.5
    assert float(restored(loaded)) == pytest.approx(value, rel=1e-5)
    diversity_term.add_reference(network)
    diversity_term.add_reference(network)
    with pytest.raises(ValueError, match="at most 3"):
        diversity_term.add_reference(network)


def test_grow_ensemble_rejects_bad_arguments(trained, digits):
    with pytest.raises(ValueError, match="members"):
        grow_ensemble(trained, digits.x_train, members=0)
    with pytest.raises(ValueError, match="no data"):
        grow_ensemble(trained, digits.x_train[:0])
    with pytest.raises(ValueError, match="step_length"):
        grow_ensemble(trained, digits.x_train, step_length=0)


def _with_nan(x):
    x = np.array(x, np.float32)
    x[1, 2, 3, 0] = np.nan
    return x


@pytest.mark.parametrize("kwargs, message", [
    (dict(x="nan"), "x has 1 NaN"),
    (dict(x="flat"), r"shape \(64,\)"),
    (dict(step_length=float("nan")), "step_length must be a finite number"),
    (dict(diversity_weight=float("inf")), "diversity_weight must be a finite number"),
    (dict(batch_size=0), "batch_size must be at least 1"),
    (dict(average="median"), "median"),
    (dict(path=PathSettings(distance="cosine")), "cosine"),
])
def test_grow_ensemble_refuses_bad_input_before_walking(trained, digits, kwargs, message,
                                                        monkeypatch):
    def no_fit(*args, **kw):
        raise AssertionError("trained on bad input")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    x = {"nan": _with_nan(digits.x_train), "flat": digits.x_train.reshape(-1, 64),
         None: digits.x_train}[kwargs.pop("x", None)]
    with pytest.raises(ValueError, match=message):
        grow_ensemble(trained, x, **kwargs)


@pytest.mark.parametrize("burn_in", [0, 3])
def test_a_diverging_path_stops_with_a_clear_error(trained, digits, burn_in):
    # A step of length 1e30 overflows the outputs to inf on any CPU (never rely
    # on NaN inputs: some kernels turn them into 0 and keep the loss finite).
    before = trained.get_weights()
    with pytest.raises(FloatingPointError, match="NaN or infinite"):
        grow_ensemble(trained, digits.x_train[:200], members=2, steps_between=3,
                      burn_in=burn_in, step_length=1e30)
    for a, b in zip(before, trained.get_weights()):
        np.testing.assert_array_equal(a, b)


def _small():
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(16, activation="relu"), keras.layers.Dense(10)])


def test_diverging_training_stops_with_a_clear_error(digits):
    x, y = digits.x_train[:200], digits.y_train[:200]
    with pytest.raises(FloatingPointError, match="smaller learning_rate"):
        train_network(_small, x, y, epochs=2, learning_rate=1e30)
    with pytest.raises(FloatingPointError, match="Deep-ensemble member 1: .*NaN or infinite"):
        deep_ensemble(_small, x, y, members=2, epochs=1, learning_rate=1e30)


@pytest.mark.parametrize("kwargs, message", [
    (dict(y="plus10"), "labels up to 1"),
    (dict(y="one-hot"), "one-hot"),
    (dict(x="nan"), "x has 1 NaN"),
    (dict(learning_rate=0.0), "learning_rate must be > 0"),
    (dict(batch_size=0), "batch_size must be at least 1"),
    (dict(build="not callable"), "build must be a function"),
])
def test_training_baselines_refuse_bad_input_before_training(digits, kwargs, message,
                                                             monkeypatch):
    def no_fit(*args, **kw):
        raise AssertionError("trained on bad input")

    monkeypatch.setattr(keras.Model, "fit", no_fit)
    x, y = digits.x_train[:100], digits.y_train[:100]
    x = _with_nan(x) if kwargs.pop("x", None) == "nan" else x
    y = {"plus10": y + 10, "one-hot": np.eye(10)[y], None: y}[kwargs.pop("y", None)]
    build = kwargs.pop("build", _small)
    with pytest.raises((ValueError, TypeError), match=message):
        deep_ensemble(build, x, y, members=2, epochs=1, **kwargs)


def test_train_network_takes_a_softmax_network_and_an_unbuilt_one(digits):
    x, y = digits.x_train[:300], digits.y_train[:300]
    softmax = lambda: keras.Sequential([  # noqa: E731
        keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(10, "softmax")])
    network, _ = train_network(softmax, x, y, epochs=10, learning_rate=1e-2)
    assert accuracy(network, x, y) > 0.5  # trained on probabilities, not as if logits
    unbuilt = lambda: keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])  # noqa: E731
    network, _ = train_network(unbuilt, x, y, epochs=1)
    assert network.outputs[0].shape[-1] == 10


# ---------------------------------------------------------------- analysis
def _pairwise(members, x):
    """Disagreement and mean Bhattacharyya distance over member pairs, computed here."""
    probs = []
    for member in members:
        logits = np.asarray(member.predict(x, verbose=0), np.float64)
        e = np.exp(logits - logits.max(-1, keepdims=True))
        probs.append(e / e.sum(-1, keepdims=True))
    pairs = [(i, j) for i in range(len(probs)) for j in range(i + 1, len(probs))]
    disagreement = np.mean([np.mean(probs[i].argmax(-1) != probs[j].argmax(-1)) for i, j in pairs])
    distance = np.mean([np.mean(-np.log(np.sum(np.sqrt(probs[i] * probs[j]), -1)))
                        for i, j in pairs])
    return disagreement, distance


def _check_diversity(report, members, x):
    """What `diversity` promises: the pairs' mean disagreement and Bhattacharyya distance."""
    disagreement, distance = _pairwise(members, x)
    assert report["disagreement"] == pytest.approx(disagreement, abs=1e-6)
    assert report["bhattacharyya"] == pytest.approx(distance, rel=1e-3, abs=1e-6)
    matrix = np.asarray(report["pairwise_disagreement"])
    assert matrix.shape == (len(members),) * 2
    assert np.allclose(matrix, matrix.T) and np.all(np.diag(matrix) == 0)


@pytest.mark.any_backend
def test_clean_diversity_of_the_grown_ensemble(grown, trained, digits):
    x = digits.x_test[:40]
    clean = diversity(grown.ensemble, x)
    _check_diversity(clean, grown.members, x)
    # Members along a FIP differ (a distance above zero) but keep the start's
    # function: their outputs stay closer to each other than to an untrained network's.
    assert 0 < clean["bhattacharyya"] < 0.5 and clean["disagreement"] <= 0.2
    untrained = diversity(FIPEnsemble([trained, _mlp(seed=5)]), x)
    assert untrained["bhattacharyya"] > 2 * clean["bhattacharyya"]
    # One network twice: no disagreement, no distance (0 at the anchor, not below it).
    same = diversity(FIPEnsemble([trained, trained]), x)
    assert same["disagreement"] == 0 and abs(same["bhattacharyya"]) < 1e-6


@tensorflow_only
def test_transfer_matrix_and_diversity(grown, trained, digits):
    x, y = digits.x_test[:40], digits.y_test[:40]
    attack = Attack("fgsm", 0.2)
    networks = [trained, *grown.members]
    matrix = np.asarray(transfer_matrix(networks, x, y, attack))
    assert matrix.shape == (4, 4)
    assert np.all((0 <= matrix) & (matrix <= 1))
    # White-box (the diagonal) hurts at least as much as the average transfer.
    assert np.mean(np.diag(matrix)) <= np.mean(matrix[~np.eye(4, dtype=bool)]) + 1e-9
    # Diversity on the transfer examples (crafted on the start) is measured on
    # those examples, as computed here, and differs from the clean one.
    adversarial = generate(trained, x, y, attack)
    transfer = diversity(grown.ensemble, adversarial)
    _check_diversity(transfer, grown.members, adversarial)
    assert transfer["bhattacharyya"] != pytest.approx(diversity(grown.ensemble, x)["bhattacharyya"])


@tensorflow_only
def test_adversarial_accuracies_transfer_and_white_box(grown, trained, digits):
    x, y = digits.x_test[:40], digits.y_test[:40]
    models = {"single": trained, "fip": grown.ensemble}
    attacks = [Attack("fgsm", 0.1), Attack("fgsm", 0.3)]
    transfer, seconds = adversarial_accuracies(models, x, y, attacks, source=trained)
    assert set(transfer["fip"]["fgsm"]) == {"0.1", "0.3"}
    assert set(seconds["fgsm"]) == {"0.1", "0.3"}
    whitebox, _ = adversarial_accuracies(models, x, y, attacks)
    # For the source itself, transfer and white-box are the same attack.
    assert whitebox["single"]["fgsm"]["0.3"] == pytest.approx(transfer["single"]["fgsm"]["0.3"])


@pytest.mark.any_backend
def test_deep_ensemble_counts_compute(digits):
    build = lambda: keras.Sequential([  # noqa: E731
        keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(8), keras.layers.Dense(10),
    ])
    ensemble, cost = deep_ensemble(build, digits.x_train[:200], digits.y_train[:200],
                                   members=2, epochs=1, batch_size=50)
    assert len(ensemble) == 2 and cost["steps"] == 2 * 4 and cost["examples"] == 400
    assert cost["validation_examples"] == 0 and cost["total_examples"] == 400
    # A last partial batch counts its own examples, not a full batch's.
    _, odd = train_network(build, digits.x_train[:130], digits.y_train[:130], epochs=2,
                           batch_size=50)
    assert odd["steps"] == 2 * 3 and odd["examples"] == 2 * 130
    assert weight_distance(ensemble.members[0].get_weights(), ensemble.members[1].get_weights()) > 0


# --- the registries and the names kept one release (issue 23) -----------------

def test_attacks_are_a_table_and_an_unknown_name_lists_the_known_ones():
    from keras_fip.robustness import ATTACKS, AttackMethod
    from keras_fip.robustness.attacks import attack_name, attack_norm

    assert set(ATTACKS) == {"fgsm", "fgm_l2", "pgd", "pgd_l2", "bim", "mim"}
    for name in ATTACKS:
        method = ATTACKS.get(name)
        assert isinstance(method, AttackMethod) and callable(method.run)
        assert attack_norm(name) == method.norm
        assert Attack(name, 0.1).describe()["nb_iter"] == (1 if method.one_step else 40)
    with pytest.raises(ValueError, match="unknown attack 'deepfool'; choose from fgsm, fgm_l2"):
        attack_name("deepfool")
    with pytest.raises(ValueError, match="Unknown attack 'deepfool'; known: fgsm"):
        ATTACKS.get("deepfool")       # nothing falls through to some default attack


def test_ensembles_registry_holds_fip_and_its_peers():
    from keras_fip.robustness import ENSEMBLES, EnsembleMethod

    assert ENSEMBLES.names() == ("fip", "fip_path", "deep", "fge", "snapshot")
    labels = {name: method.label for name, method in ENSEMBLES.items()}
    assert labels == {"fip": "fip_ensemble", "fip_path": "fip_path_ensemble",
                      "deep": "deep_ensemble", "fge": "fge_ensemble",
                      "snapshot": "snapshot_ensemble"}
    for _, method in ENSEMBLES.items():
        assert isinstance(method, EnsembleMethod) and callable(method.build)
        assert method.family in ("fip", "peer") and method.description
    assert ENSEMBLES.get("fge").settings_for({"fge_lr_max": 0.02}) == {
        "fge_lr_max": 0.02, "fge_lr_min": 0.0002}
    assert ENSEMBLES.get("snapshot").grid == {"snapshot_lr": (0.01, 0.02, 0.05)}
    with pytest.raises(ValueError, match="Unknown ensemble method 'magic'"):
        ENSEMBLES.get("magic")


def test_weight_diversity_capacity_is_max_references_now():
    with pytest.warns(DeprecationWarning, match="'capacity' is now called 'max_references'"):
        term = WeightDiversity(weight=1.0, capacity=3)
    assert term.max_references == 3 and term.get_config()["max_references"] == 3


def test_one_bhattacharyya_and_one_probabilities(trained, digits):
    from keras_fip.engine.distances import bhattacharyya_numpy
    from keras_fip.engine.networks import probabilities
    from keras_fip.robustness import mean_bhattacharyya, softmax_probabilities

    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(10), 50), rng.dirichlet(np.ones(10), 50)
    assert mean_bhattacharyya(p, q) == float(np.mean(bhattacharyya_numpy(p, q)))
    with pytest.warns(DeprecationWarning, match="engine.networks.probabilities"):
        old = softmax_probabilities(trained, digits.x_test[:20])
    np.testing.assert_array_equal(old, probabilities(trained, digits.x_test[:20]))
