"""A FIP step runs task and memory samples through the network in one pass where
that gives the same outputs, and in two passes where it would not."""

import keras
import numpy as np
import pytest

from keras_fip import FIPModel
from keras_fip.engine.networks import trains_as_it_infers

# On JAX the single pass is held to TensorFlow's weights by tests/cross_backend_steps.py
# (its "fip_drawn" case takes it), so these run in TensorFlow's run only.

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def dense_net(*middle):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                             *middle, keras.layers.Dense(4)])


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(160, 6)).astype("float32"), rng.integers(0, 4, 160)


def trained(data, network, **options):
    x, y = data
    model = FIPModel.from_model(network, seed=0, memory_batch_size=16, **options)
    model.compile(keras.optimizers.Adam(1e-2), LOSS)
    model.remember(x[:40], y[:40])
    history = model.fit(x[40:], y[40:], batch_size=20, epochs=2, shuffle=False, verbose=0)
    return model, history


def test_one_pass_trains_the_weights_two_passes_do(data):
    one, history_one = trained(data, dense_net(), single_pass=True)
    two, history_two = trained(data, dense_net(), single_pass=False)
    assert one.single_pass_active and not two.single_pass_active
    for a, b in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(history_one.history["fip_distance"],
                               history_two.history["fip_distance"], rtol=1e-4)


def test_the_default_chooses_one_pass_when_training_mode_changes_nothing(data):
    model, _ = trained(data, dense_net())
    assert model.single_pass_active


@pytest.mark.parametrize("layer", [
    lambda: keras.layers.Dropout(0.2),
    lambda: keras.layers.GaussianNoise(0.1),
    lambda: keras.layers.ActivityRegularization(l1=0.01),
    lambda: keras.layers.RandomFlip(),
], ids=["dropout", "noise", "activity_regulariser", "augmentation"])
def test_layers_that_behave_otherwise_in_training_are_told_apart(layer):
    assert not trains_as_it_infers(dense_net(layer()))


def test_batch_norm_learning_its_statistics_keeps_the_memory_pass_apart(data):
    network = dense_net(keras.layers.BatchNormalization())
    assert not trains_as_it_infers(network)
    model, _ = trained(data, network)
    assert model.single_pass_active is False


def test_a_frozen_batch_norm_runs_in_inference_mode_so_one_pass_serves(data):
    network = dense_net(keras.layers.BatchNormalization())
    network.layers[1].trainable = False
    assert trains_as_it_infers(network)
    model, _ = trained(data, network)
    assert model.single_pass_active


def test_custom_layers_taking_training_are_given_their_own_pass():
    class Noisy(keras.layers.Layer):
        def call(self, inputs, training=None):
            return inputs

    class Plain(keras.layers.Layer):
        def call(self, inputs):
            return inputs

    assert not trains_as_it_infers(dense_net(Noisy()))
    assert trains_as_it_infers(dense_net(Plain()))


def test_the_choice_and_the_input_check_are_saved_with_the_model(data, tmp_path):
    model, _ = trained(data, dense_net(), single_pass=False, check_inputs=False)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.single_pass is False and loaded.check_inputs is False
    assert FIPModel.from_model(dense_net()).get_config()["single_pass"] is None


def test_only_the_steps_own_forward_pass_carries_the_memory(data):
    """DER++ runs the network again on a second memory batch inside the step: that
    call is the network alone, so one pass and two passes draw the same batches."""
    from keras_fip.continual.terms import ContinualModel, LabelLoss, LogitMatching

    def derpp(single_pass):
        x, y = data
        model = ContinualModel(dense_net(), terms=[LogitMatching(0.5), LabelLoss(0.5, True)],
                               memory_batch_size=16, seed=0, single_pass=single_pass)
        model.compile(keras.optimizers.Adam(1e-2), LOSS)
        model.remember(x[:40], y[:40])
        model.fit(x[40:], y[40:], batch_size=20, epochs=2, shuffle=False, verbose=0)
        return model

    one, two = derpp(True), derpp(False)
    assert one.single_pass_active
    for a, b in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
