import keras
import numpy as np
import pytest

from conftest import value_and_gradient
from keras_fip import distances

pytestmark = pytest.mark.any_backend


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.fixture
def logits():
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 5)).astype("float32"), rng.normal(size=(4, 5)).astype("float32")


def test_bhattacharyya_is_minus_log_of_the_coefficient(logits):
    anchor, current = logits
    q, p = softmax(anchor), softmax(current)
    expected = -np.log(np.sqrt(p * q).sum(-1))
    got = distances.get("bhattacharyya")(anchor, current)
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_bhattacharyya_with_eps_is_the_reference_formula(logits):
    anchor, current = logits
    q, p = softmax(anchor), softmax(current)
    eps = np.maximum(1e-3 * q.min(-1, keepdims=True), 1e-10)
    expected = -np.log(np.sqrt(p * q + eps).sum(-1))
    got = distances.Bhattacharyya(eps_scale=1e-3)(anchor, current)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    # The reference's eps under the square root leaves it below 0 at the anchor.
    assert np.all(distances.Bhattacharyya(eps_scale=1e-3)(anchor, anchor) < 0)


def test_bhattacharyya_with_one_eps_per_batch_is_the_sparsification_notebooks(logits):
    # Sparsification_Resnet_CIFAR.ipynb: eps = max(1e-12, 1e-3 * min over the whole batch).
    anchor, current = logits
    q, p = softmax(anchor), softmax(current)
    eps = max(1e-3 * q.min(), 1e-12)
    expected = -np.log(np.sqrt(p * q + eps).sum(-1))
    distance = distances.Bhattacharyya(eps_scale=1e-3, eps_floor=1e-12, eps_over="batch")
    np.testing.assert_allclose(distance(anchor, current), expected, rtol=1e-5)
    restored = distances.get(distances.serialize(distance))
    assert restored.eps_over == "batch"
    with pytest.raises(ValueError, match="eps_over"):
        distances.Bhattacharyya(eps_scale=1e-3, eps_over="row")


def test_bhattacharyya_gradient_is_finite_for_vanishing_probabilities():
    anchor = np.array([[40.0, -40.0, 0.0]], "float32")   # probabilities down to 1e-35
    current = np.array([[-40.0, 40.0, 0.0]], "float32")
    value, gradient = value_and_gradient(
        lambda z: distances.get("bhattacharyya")(anchor, z), current)
    assert np.isfinite(value).all() and value[0] > 10
    assert np.isfinite(gradient).all()


def test_bhattacharyya_on_probabilities_equals_on_logits(logits):
    anchor, current = logits
    on_logits = distances.get("bhattacharyya", from_logits=True)(anchor, current)
    on_probs = distances.get("bhattacharyya", from_logits=False)(softmax(anchor), softmax(current))
    np.testing.assert_allclose(on_logits, on_probs, rtol=1e-5)


def test_squared_l2_and_kl(logits):
    anchor, current = logits
    np.testing.assert_allclose(
        distances.get("l2")(anchor, current), 0.5 * ((current - anchor) ** 2).sum(-1), rtol=1e-5
    )
    q, p = softmax(anchor), softmax(current)
    np.testing.assert_allclose(
        distances.get("kl")(anchor, current), (q * np.log(q / p)).sum(-1), rtol=1e-4
    )


def test_distances_vanish_at_the_anchor_and_are_never_negative(logits):
    anchor, current = logits
    for name in ("l2", "kl"):
        assert np.all(np.abs(distances.get(name)(anchor, anchor)) < 1e-6)
    bhattacharyya = distances.get("bhattacharyya")
    np.testing.assert_array_equal(bhattacharyya(anchor, anchor), 0.0)
    np.testing.assert_array_equal(
        distances.get("bhattacharyya", from_logits=False)(softmax(anchor), softmax(anchor)), 0.0)
    assert np.all(bhattacharyya(anchor, current) > 0)
    assert np.all(bhattacharyya(anchor, anchor + 1e-3 * current) >= 0)


def test_distances_of_half_precision_outputs_are_float32(logits):
    anchor, current = logits
    for name in ("bhattacharyya", "l2", "kl"):
        value = distances.get(name)(anchor, keras.ops.cast(current, "bfloat16"))
        assert keras.backend.standardize_dtype(value.dtype) == "float32"


def test_callable_distance_and_serialisation_round_trip(logits):
    @keras.saving.register_keras_serializable("tests")
    def total_variation(anchor, outputs):
        return keras.ops.sum(keras.ops.abs(keras.ops.softmax(anchor) - keras.ops.softmax(outputs)), -1)

    for distance in (distances.get(total_variation), distances.Bhattacharyya(eps_scale=1e-2)):
        restored = keras.saving.deserialize_keras_object(distances.serialize(distance))
        assert type(restored) is type(distance)
        np.testing.assert_allclose(restored(*logits), distance(*logits))


def test_unknown_distance_name_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown distance 'cosine'.*bhattacharyya"):
        distances.get("cosine")


def test_output_sizes_must_match(logits):
    anchor, current = logits
    with pytest.raises(ValueError, match="anchor outputs have 5"):
        distances.get("l2")(anchor, current[:, :3])


def test_a_new_distance_is_one_registered_class(logits):
    @distances.DISTANCES.register("half_l2_for_test")
    class HalfL2(distances.SquaredL2):
        def call(self, anchor, outputs):
            return 0.5 * super().call(anchor, outputs)

    try:
        anchor, current = logits
        got = distances.get("half_l2_for_test")
        assert isinstance(got, HalfL2)
        np.testing.assert_allclose(got(anchor, current),
                                   0.5 * distances.get("l2")(anchor, current), rtol=1e-6)
        with pytest.raises(ValueError, match="known: .*half_l2_for_test"):
            distances.get("nope")
    finally:
        distances.DISTANCES._entries.pop("half_l2_for_test")
