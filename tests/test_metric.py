"""The functional metric g(w) = mean_x J^T H J, checked against an explicit build.

On a tiny network the Jacobian J (outputs w.r.t. flattened weights) and the
output-space Hessian H of the distance can be formed explicitly, so the
matrix-free products of `keras_fip.geometry` can be compared with dense numpy
algebra. The tiny models run in float64 so that the comparisons can be tight.
"""

import keras
import numpy as np
import pytest

from conftest import TENSORFLOW

if not TENSORFLOW:
    pytest.skip("keras_fip.geometry is written in TensorFlow", allow_module_level=True)

import tensorflow as tf  # noqa: E402

from keras_fip.engine import distances  # noqa: E402
from keras_fip.geometry import (  # noqa: E402
    flatten_variables_like,
    metric_quadratic_form,
    metric_vector_product,
    top_eigenpairs,
    unflatten_like,
)

DISTANCES = ["l2", "bhattacharyya", "kl"]


def tiny_model(dtype="float64", seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((3,), dtype=dtype),
            keras.layers.Dense(4, activation="tanh", dtype=dtype),
            keras.layers.Dense(3, dtype=dtype),
        ]
    )


def tiny_batch(dtype="float64", seed=1):
    return np.random.default_rng(seed).normal(size=(5, 3)).astype(dtype)


def n_params(model):
    return sum(int(np.prod(v.shape)) for v in model.trainable_variables)


def explicit_jacobian(model, x):
    """J as a numpy array of shape (batch, num_outputs, n_params)."""
    with tf.GradientTape() as tape:
        outputs = model(x, training=False)
    parts = tape.jacobian(outputs, model.trainable_variables)
    batch, num_outputs = outputs.shape
    return np.concatenate(
        [np.reshape(p.numpy(), (batch, num_outputs, -1)) for p in parts], axis=-1
    ), outputs.numpy()


def explicit_output_hessians(distance, outputs):
    """H_x as a numpy array of shape (batch, num_outputs, num_outputs), at z = z0."""
    anchor = tf.constant(outputs)
    z = tf.constant(outputs)
    with tf.GradientTape() as outer:
        outer.watch(z)
        with tf.GradientTape() as inner:
            inner.watch(z)
            total = tf.reduce_sum(distance(anchor, z))
        gradient = inner.gradient(total, z)
    return outer.batch_jacobian(gradient, z).numpy()


def explicit_metric(model, x, name):
    jacobian, outputs = explicit_jacobian(model, x)
    hessians = explicit_output_hessians(distances.get(name), outputs)
    return np.einsum("boi,bop,bpj->ij", jacobian, hessians, jacobian) / x.shape[0]


def random_direction(model, seed=2):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=v.shape).astype(v.dtype) for v in model.trainable_variables]


def relative_error(actual, expected):
    return np.linalg.norm(np.ravel(actual) - np.ravel(expected)) / np.linalg.norm(
        np.ravel(expected)
    )


def test_explicit_output_hessians_have_the_known_closed_forms():
    # Sanity check of the reference itself: l2 -> identity, kl -> softmax Fisher.
    outputs = np.random.default_rng(3).normal(size=(4, 3))
    np.testing.assert_allclose(
        explicit_output_hessians(distances.get("l2"), outputs), np.broadcast_to(np.eye(3), (4, 3, 3))
    )
    p = tf.nn.softmax(outputs).numpy()
    fisher = np.stack([np.diag(row) - np.outer(row, row) for row in p])
    np.testing.assert_allclose(
        explicit_output_hessians(distances.get("kl"), outputs), fisher, atol=1e-12
    )


@pytest.mark.parametrize("name", DISTANCES)
def test_metric_vector_product_matches_explicit_metric(name):
    model, x = tiny_model(), tiny_batch()
    g = explicit_metric(model, x, name)
    v = random_direction(model)

    gv = metric_vector_product(model, x, v, distance=name)

    assert [tuple(t.shape) for t in gv] == [tuple(w.shape) for w in model.trainable_variables]
    expected = g @ flatten_variables_like(v).numpy()
    assert relative_error(flatten_variables_like(gv).numpy(), expected) < 1e-8


@pytest.mark.parametrize("name", DISTANCES)
def test_metric_quadratic_form_matches_explicit_metric(name):
    model, x = tiny_model(), tiny_batch()
    g = explicit_metric(model, x, name)
    v = random_direction(model, seed=4)
    flat_v = flatten_variables_like(v).numpy()

    speed = float(metric_quadratic_form(model, x, v, distance=name))

    assert speed > 0
    np.testing.assert_allclose(speed, flat_v @ g @ flat_v, rtol=1e-8)


def test_flat_vectors_are_accepted_in_trainable_variables_order():
    model, x = tiny_model(), tiny_batch()
    v = random_direction(model)
    flat_v = flatten_variables_like(v).numpy()

    from_list = metric_vector_product(model, x, v, distance="kl")
    from_flat = metric_vector_product(model, x, flat_v, distance="kl")

    for a, b in zip(from_list, from_flat):
        np.testing.assert_allclose(a.numpy(), b.numpy())
    round_trip = unflatten_like(flat_v, model.trainable_variables)
    for a, b in zip(round_trip, v):
        np.testing.assert_array_equal(a.numpy(), b)


def test_float32_model_agrees_with_float64_reference():
    model32 = tiny_model(dtype="float32")
    model64 = tiny_model(dtype="float64")
    model64.set_weights([w.astype("float64") for w in model32.get_weights()])
    x = tiny_batch()
    v = random_direction(model64)
    g = explicit_metric(model64, x, "bhattacharyya")

    gv = metric_vector_product(model32, x.astype("float32"), v, distance="bhattacharyya")

    assert all(t.dtype == tf.float32 for t in gv)
    expected = g @ flatten_variables_like(v).numpy()
    assert relative_error(flatten_variables_like(gv).numpy(), expected) < 1e-4


def distance_after_step(model, x, v, distance, t):
    """Mean distance between the outputs at w and at w + t v (weights restored)."""
    weights = model.get_weights()
    anchor = model(x, training=False)
    model.set_weights([w + t * d for w, d in zip(weights, v)])
    try:
        return float(tf.reduce_mean(distance(anchor, model(x, training=False))))
    finally:
        model.set_weights(weights)


@pytest.mark.parametrize(
    "distance",
    [
        distances.get("l2"),
        distances.get("kl"),
        # Exactly zero and stationary at z = z0 (no eps under the root).
        distances.get("bhattacharyya"),
    ],
    ids=["l2", "kl", "bhattacharyya"],
)
def test_half_quadratic_form_predicts_the_distance_after_a_small_step(distance):
    model, x = tiny_model(), tiny_batch()
    v = random_direction(model, seed=5)
    speed = float(metric_quadratic_form(model, x, v, distance=distance))

    t = 1e-3
    change = distance_after_step(model, x, v, distance, t)

    np.testing.assert_allclose(change, 0.5 * t**2 * speed, rtol=2e-3)


def test_half_quadratic_form_predicts_the_curvature_of_the_reference_distance():
    # The reference code's eps makes D(w, w) slightly negative and adds a tiny
    # first-order term; a central difference removes both.
    model, x = tiny_model(), tiny_batch()
    distance = distances.Bhattacharyya(eps_scale=1e-3)
    v = random_direction(model, seed=5)
    speed = float(metric_quadratic_form(model, x, v, distance=distance))

    t = 1e-3
    forward, backward, at_w = (distance_after_step(model, x, v, distance, s) for s in (t, -t, 0.0))
    curvature_change = 0.5 * (forward + backward) - at_w

    np.testing.assert_allclose(curvature_change, 0.5 * t**2 * speed, rtol=2e-3)


@pytest.mark.parametrize("name", ["l2", "bhattacharyya"])
def test_top_eigenpairs_match_dense_eigendecomposition(name):
    model, x = tiny_model(), tiny_batch()
    dense_values, dense_vectors = np.linalg.eigh(explicit_metric(model, x, name))
    dense_values, dense_vectors = dense_values[::-1], dense_vectors[:, ::-1]

    values, vectors = top_eigenpairs(model, x, k=3, distance=name, seed=0)

    assert values.shape == (3,) and vectors.shape == (3, n_params(model))
    assert np.all(np.diff(values) <= 0)
    np.testing.assert_allclose(values, dense_values[:3], rtol=1e-6)
    # Eigenvectors agree up to sign: |<u_lanczos, u_dense>| == 1.
    overlaps = np.abs(np.sum(vectors * dense_vectors[:, :3].T, axis=1))
    np.testing.assert_allclose(overlaps, 1.0, atol=1e-6)


def test_top_eigenpairs_is_reproducible_and_eigenvectors_unflatten_to_weights():
    model, x = tiny_model(dtype="float32"), tiny_batch(dtype="float32")

    values_a, vectors_a = top_eigenpairs(model, x, k=2, distance="kl", seed=7)
    values_b, vectors_b = top_eigenpairs(model, x, k=2, distance="kl", seed=7)

    np.testing.assert_allclose(values_a, values_b, rtol=1e-5)
    np.testing.assert_allclose(vectors_a, vectors_b, atol=1e-4)
    direction = unflatten_like(vectors_a[0], model.trainable_variables)
    # Along the top eigenvector, v^T g v is the top eigenvalue.
    np.testing.assert_allclose(
        float(metric_quadratic_form(model, x, direction, distance="kl")), values_a[0], rtol=1e-3
    )


def test_empty_inputs_are_rejected():
    model = tiny_model()
    empty = np.zeros((0, 3))
    v = random_direction(model)
    with pytest.raises(ValueError, match="x is empty"):
        metric_vector_product(model, empty, v)
    with pytest.raises(ValueError, match="x is empty"):
        metric_quadratic_form(model, empty, v)
    with pytest.raises(ValueError, match="x is empty"):
        top_eigenpairs(model, empty, k=2)


def test_k_must_be_smaller_than_the_number_of_parameters():
    model, x = tiny_model(), tiny_batch()
    with pytest.raises(ValueError, match=r"k < number of trainable parameters.*31"):
        top_eigenpairs(model, x, k=31)
    with pytest.raises(ValueError, match="k >= 1"):
        top_eigenpairs(model, x, k=0)


def test_vectors_must_match_the_trainable_variables():
    model, x = tiny_model(), tiny_batch()
    v = random_direction(model)
    with pytest.raises(ValueError, match="4 trainable variables"):
        metric_vector_product(model, x, v[:2])
    with pytest.raises(ValueError, match="shape"):
        metric_vector_product(model, x, [v[1], v[0], v[2], v[3]])
    with pytest.raises(ValueError, match="30 entries"):
        metric_quadratic_form(model, x, np.zeros(30))
