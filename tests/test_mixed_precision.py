"""Mixed precision: the FIP step, the distances and the memory under Keras'
`mixed_float16` (with loss scaling) and `mixed_bfloat16` policies."""

import keras
import numpy as np
import pytest

from keras_fip import FIPModel
from keras_fip.continual import FIP, ContinualConfig, class_split, run_method
from keras_fip.models import mlp

POLICIES = ["mixed_float16", "mixed_bfloat16"]


@pytest.fixture(params=POLICIES)
def policy(request):
    keras.mixed_precision.set_global_policy(request.param)
    yield request.param
    keras.mixed_precision.set_global_policy("float32")


def small_network(digits):
    keras.utils.set_random_seed(0)
    return mlp(digits.input_shape, digits.num_classes, (64,))


@pytest.mark.parametrize("distance", ["bhattacharyya", "l2", "kl"])
def test_fip_step_keeps_float32_anchors_and_a_finite_distance(digits, policy, distance):
    network = small_network(digits)
    assert network.layers[-1].compute_dtype != "float32"  # the policy is in force
    model = FIPModel.from_model(network, fip_weight=10.0, distance=distance)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    old = digits.y_train < 5
    model.fit(digits.x_train[old], digits.y_train[old], epochs=2, verbose=0)
    model.remember(digits.x_train[old], digits.y_train[old], memory_per_class=10)
    assert model.memory.numpy()["outputs"].dtype == np.float32

    history = model.fit(digits.x_train[~old], digits.y_train[~old], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][-1])
    assert 0 <= history.history["fip_distance"][-1] < 10
    if policy == "mixed_float16":  # Keras scales the loss so float16 gradients do not underflow
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    weights = [w for w in model.trainable_weights]
    assert all(w.dtype == "float32" for w in weights)  # the variables stay float32


def test_a_mixed_precision_model_saves_and_loads_with_its_memory(digits, policy, tmp_path):
    model = FIPModel.from_model(small_network(digits), fip_weight=10.0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(digits.x_train, digits.y_train, epochs=1, verbose=0)
    model.remember(digits.x_train[:50], digits.y_train[:50])
    model.save(tmp_path / "mixed.keras")
    loaded = keras.saving.load_model(tmp_path / "mixed.keras")
    np.testing.assert_array_equal(loaded.memory.numpy()["outputs"], model.memory.numpy()["outputs"])
    np.testing.assert_allclose(loaded.predict(digits.x_test[:20], verbose=0),
                               model.predict(digits.x_test[:20], verbose=0), atol=1e-2)


@pytest.mark.parametrize("method", [FIP(fip_weight=10.0), "derpp"], ids=["fip", "derpp"])
def test_continual_methods_learn_under_mixed_precision(digits, policy, method):
    # Two tasks of 5 classes in 6 epochs: a lighter FIP weight than the default.
    stream = class_split(digits, num_tasks=2, class_order=list(range(10)))
    config = ContinualConfig(epochs=6, memory_per_class=20, seed=0)
    result, _ = run_method(stream, method, lambda: small_network(digits), config, progress=False)
    assert result.accuracy_matrix[1][0] > 0.5  # the first task is kept
    assert result.accuracy_matrix[1][1] > 0.5  # and the second learned


def test_steps_per_execution_runs_several_fip_steps_per_call(digits):
    """Several steps per compiled call give the weights one step at a time gives."""
    def trained(steps_per_execution):
        keras.utils.set_random_seed(0)
        network = mlp(digits.input_shape, digits.num_classes, (32,))
        model = FIPModel.from_model(network, fip_weight=10.0, seed=0)
        model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      steps_per_execution=steps_per_execution)
        model.remember(digits.x_train[:100], digits.y_train[:100])
        model.fit(digits.x_train[:256], digits.y_train[:256], batch_size=32, epochs=1,
                  shuffle=False, verbose=0)
        return [w.numpy() for w in model.trainable_weights]

    for one, four in zip(trained(1), trained(4)):
        np.testing.assert_allclose(one, four, atol=1e-5)


def trained_network(digits):
    network = small_network(digits)
    network.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    network.fit(digits.x_train, digits.y_train, epochs=5, verbose=0)
    return network


def test_sparsify_walks_its_path_under_mixed_precision(digits, policy):
    from keras_fip.sparsity import sparsify

    result = sparsify(trained_network(digits), digits.x_train, digits.y_train, sparsity=0.9,
                      steps=100, verbose=0)
    assert result.sparsity == pytest.approx(0.9, abs=0.01)  # snapped to exact zeros
    assert result.network.layers[-1].compute_dtype != "float32"  # still the user's policy
    assert np.all(np.isfinite(result.network.predict(digits.x_test[:20], verbose=0)))


def test_an_ensemble_grows_under_mixed_precision(digits, policy):
    from keras_fip.robustness import grow_ensemble

    result = grow_ensemble(trained_network(digits), digits.x_train, members=2,
                           steps_between=10, burn_in=10)
    probabilities = np.asarray(result.ensemble.predict(digits.x_test[:20], verbose=0), np.float32)
    assert len(result.ensemble.members) == 2
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-2)


def test_a_sparse_mixed_precision_model_exports_through_tfmot_in_float32(digits, policy, tmp_path):
    pytest.importorskip("tensorflow_model_optimization")
    from keras_fip.sparsity import export_sparse, sparsify

    result = sparsify(trained_network(digits), digits.x_train, digits.y_train, sparsity=0.9,
                      steps=60, verbose=0)
    report = export_sparse(result.network, tmp_path / "export", check_inputs=digits.x_test[:100])
    # The files compute in float32 (TFLite has no bfloat16 kernels); the model
    # computed in half precision, so the two agree up to its rounding.
    for kind in ("saved_model", "tflite"):
        assert report.agreement[kind]["argmax_agreement"] >= 0.95, (kind, report.agreement)
        kernels = [share for name, share in report.zeros[kind].items()]
        assert kernels and max(kernels) > 0.8  # the zeros are in the file
