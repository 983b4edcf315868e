"""`fit_supervised`, the one supervised training function: its budget, its batch
order, and its guard against a non-finite loss."""

import itertools

import keras
import numpy as np
import pytest
from conftest import tensorflow_only

from keras_fip.engine.batches import path_batches
from keras_fip.engine.training import Fitted, fit_supervised


def data(n=100, features=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(n, features)).astype("float32"),
            rng.normal(size=(n, 1)).astype("float32"))


def linear(features=3):
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((features,)), keras.layers.Dense(1)])


class Recording(keras.Sequential):
    """A network that keeps every batch it is trained on (eager, TensorFlow)."""

    seen = None

    def compile(self, *args, **kwargs):
        super().compile(*args, run_eagerly=True, **kwargs)

    def train_step(self, data):
        self.seen.append(np.asarray(data[0]))
        return super().train_step(data)


@tensorflow_only
def test_steps_mode_takes_exactly_the_steps_in_the_seeded_order():
    x, y = data()
    keras.utils.set_random_seed(0)
    network = Recording([keras.Input((3,)), keras.layers.Dense(1)])
    network.seen = []
    fitted = fit_supervised(network, x, y, optimizer=keras.optimizers.SGD(0.01), loss="mse",
                            steps=30, batch_size=8, seed=3)
    assert isinstance(fitted, Fitted) and fitted.steps == 30
    assert int(network.optimizer.iterations) == 30 and len(network.seen) == 30
    expected = [np.asarray(bx) for bx, _ in itertools.islice(path_batches(x, y, 8, seed=3), 30)]
    for got, want in zip(network.seen, expected):
        np.testing.assert_array_equal(got, want)
    assert all(len(batch) == 8 for batch in network.seen)  # full batches only


def test_steps_mode_is_reproducible_and_the_seed_orders_the_batches():
    x, y = data()

    def weights(seed):
        network = linear()
        fit_supervised(network, x, y, optimizer=keras.optimizers.SGD(0.05), loss="mse",
                       steps=20, batch_size=10, seed=seed)
        return network.get_weights()

    for a, b in zip(weights(1), weights(1)):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(weights(1), weights(2)))


def test_epochs_mode_makes_keras_passes():
    x, y = data(n=45)
    network = linear()
    fitted = fit_supervised(network, x, y, optimizer=keras.optimizers.SGD(0.01), loss="mse",
                            epochs=3, batch_size=10, metrics=["mae"])
    assert fitted.steps == 3 * 5  # the last batch of a pass is the remainder
    assert int(network.optimizer.iterations) == 15
    assert len(fitted.history.history["loss"]) == 3 and "mae" in fitted.history.history


def test_a_zero_budget_trains_nothing():
    x, y = data()
    network = linear()
    before = network.get_weights()
    for budget in (dict(steps=0), dict(epochs=0)):
        fitted = fit_supervised(network, x, y, optimizer=keras.optimizers.SGD(0.1), loss="mse",
                                **budget)
        assert fitted.steps == 0
    for a, b in zip(before, network.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("budget", [dict(), dict(steps=10, epochs=1)])
def test_both_or_neither_of_steps_and_epochs_is_refused(budget):
    x, y = data()
    with pytest.raises(ValueError, match="exactly one of steps and epochs"):
        fit_supervised(linear(), x, y, optimizer=keras.optimizers.SGD(0.1), loss="mse",
                       **budget)


class Explode(keras.callbacks.Callback):
    """Sets a learning rate that overflows the weights in the second epoch."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            self.start_of_epoch_2 = self.model.get_weights()
            self.model.optimizer.learning_rate.assign(1e30)


@pytest.mark.parametrize("budget", [dict(epochs=4), dict(steps=200)])  # steps: 2 epochs of 100
def test_a_nan_loss_raises_with_the_weights_of_the_start_of_that_epoch(budget):
    x, y = data()
    network = linear()
    explode = Explode()
    with pytest.raises(FloatingPointError, match=(
            r"The student loss became NaN or infinite in epoch 2; the weights from the "
            r"start of that epoch were restored\. Lower it\.")):
        fit_supervised(network, x, y, optimizer=keras.optimizers.SGD(0.01), loss="mse",
                       batch_size=10, callbacks=[explode], what="The student loss",
                       advice="Lower it", **budget)
    for a, b in zip(network.get_weights(), explode.start_of_epoch_2):
        np.testing.assert_array_equal(a, b)
    assert all(np.all(np.isfinite(w)) for w in network.get_weights())
