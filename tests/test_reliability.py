"""Silent failures a hostile user finds (issue 22): networks left unprotected, data lost.

- the output kind (logits or probabilities) is decided by what the network
  outputs, so a softmax applied in `call` or as an op is protected;
- ensemble members are each checked, mixed members refused;
- labels are checked against the network's outputs, subclassed models included;
- `--out` and the export never replace another run's files without a word;
- Ctrl-C and SIGTERM end the CLI in one line with nothing half-written;
- an unusable KERAS_BACKEND is one line before Keras is imported.
"""

import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from conftest import tensorflow_only
from keras_fip import FIPEnsemble, FIPModel
from keras_fip.engine.networks import (
    OutputKindError, OutputKindWarning, kind_of_outputs, output_kind, output_width,
    outputs_are_logits,
)

ROOT = Path(__file__).resolve().parents[1]


@keras.saving.register_keras_serializable("keras_fip_tests")
class SoftmaxInCall(keras.Model):
    """A subclassed classifier whose `call` ends in `ops.softmax`: no softmax layer."""

    def __init__(self, classes=10, hidden=32, **kwargs):
        super().__init__(**kwargs)
        self.classes, self.hidden_units = classes, hidden
        self.flatten = keras.layers.Flatten()
        self.hidden = keras.layers.Dense(hidden, activation="relu")
        self.head = keras.layers.Dense(classes)

    def call(self, x, training=None):
        return ops.softmax(self.head(self.hidden(self.flatten(x))), axis=-1)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "hidden": self.hidden_units}


class LogitsSubclassed(SoftmaxInCall):
    def call(self, x, training=None):
        return self.head(self.hidden(self.flatten(x)))


def functional_softmax_op(classes=10):
    inputs = keras.Input((8, 8, 1))
    hidden = keras.layers.Dense(32, activation="relu")(keras.layers.Flatten()(inputs))
    return keras.Model(inputs, ops.softmax(keras.layers.Dense(classes)(hidden), axis=-1))


def functional_logits(classes=10):
    return keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(classes)])


def built(network, shape=(8, 8, 1)):
    network.build((None, *shape))
    return network


# ------------------------------------------------------------- output kind
@pytest.mark.any_backend
def test_output_kind_is_read_from_the_outputs_not_the_layers():
    keras.utils.set_random_seed(0)
    assert not outputs_are_logits(functional_softmax_op())
    assert outputs_are_logits(functional_logits())
    subclassed = SoftmaxInCall()
    subclassed(np.zeros((1, 8, 8, 1), "float32"))
    assert not outputs_are_logits(subclassed)
    logits = LogitsSubclassed()
    logits(np.zeros((1, 8, 8, 1), "float32"))
    assert outputs_are_logits(logits)
    # A softmax layer and a softmax activation, as before.
    assert not outputs_are_logits(keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.Softmax()]))
    assert not outputs_are_logits(keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4, activation="softmax")]))


@pytest.mark.any_backend
def test_probing_changes_nothing_and_an_unprobeable_network_needs_from_logits():
    keras.utils.set_random_seed(0)
    network = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                                keras.layers.Dense(16), keras.layers.BatchNormalization(),
                                keras.layers.Dropout(0.5), keras.layers.Dense(10)])
    before = [np.array(v) for v in network.variables]
    assert output_kind(network) == "logits"
    for old, new in zip(before, network.variables):
        np.testing.assert_array_equal(old, np.asarray(new))  # BN statistics untouched
    unbuilt = SoftmaxInCall()
    assert output_kind(unbuilt) is None and not unbuilt.built  # never built from a guess
    with pytest.raises(OutputKindError, match="from_logits=False"):
        outputs_are_logits(unbuilt)
    with pytest.raises(OutputKindError, match="from_logits"):
        FIPModel(SoftmaxInCall()).from_logits
    # With data it is probed on the data.
    assert not outputs_are_logits(SoftmaxInCall(), np.zeros((4, 8, 8, 1), "float32"))


def test_kind_of_outputs_edges():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(8, 10)).astype("float32")
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert kind_of_outputs(logits) == "logits"
    assert kind_of_outputs(probabilities) == "probabilities"
    assert kind_of_outputs(probabilities.astype("float16")) == "probabilities"
    one_hot = np.eye(10, dtype="float32")[:8]  # saturated softmax
    assert kind_of_outputs(one_hot) == "probabilities"
    sigmoid = 1 / (1 + np.exp(-logits))  # in [0, 1], rows not summing to 1
    assert kind_of_outputs(sigmoid) == "logits"
    # One row of logits summing to 1 by chance is not enough: every row must.
    lucky = logits.copy()
    lucky[0] = probabilities[0]
    assert kind_of_outputs(lucky) == "logits"
    assert kind_of_outputs(np.full((8, 10), np.nan, "float32")) is None
    assert kind_of_outputs(np.ones((8, 1), "float32")) is None


@pytest.mark.any_backend
def test_an_explicit_from_logits_that_the_outputs_contradict_is_warned_about():
    network = functional_softmax_op()
    with pytest.warns(OutputKindWarning, match="from_logits=False is probably right"):
        model = FIPModel(network, from_logits=True)
    assert model.from_logits  # the user's word stands
    with warnings.catch_warnings():
        warnings.simplefilter("error", OutputKindWarning)
        FIPModel(functional_softmax_op(), from_logits=False)
        FIPModel(functional_logits(), from_logits=True)
    # A network unbuilt at construction is checked when remember() runs it on data.
    late = FIPModel(SoftmaxInCall(), from_logits=True)
    late(np.zeros((2, 8, 8, 1), "float32"))
    with pytest.warns(OutputKindWarning):
        late.remember(np.zeros((4, 8, 8, 1), "float32"))


@pytest.mark.any_backend
def test_fip_model_decides_at_remember_for_an_unbuilt_subclassed_network(digits):
    model = FIPModel(SoftmaxInCall(), seed=0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy())
    model.fit(digits.x_train[:64], digits.y_train[:64], epochs=1, verbose=0)
    model.remember(digits.x_train[:64], digits.y_train[:64], samples_per_class=2)
    assert model.from_logits is False and model.distance.from_logits is False


def _old_task_accuracy(digits, from_logits):
    """Digits classes 0-4 then 5-9 on one 10-way softmax-in-call network; accuracy on 0-4."""
    keras.utils.set_random_seed(0)
    old = digits.y_train < 5
    old_test = digits.y_test < 5
    kwargs = {} if from_logits == "default" else {"from_logits": from_logits}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OutputKindWarning)
        model = FIPModel(SoftmaxInCall(hidden=64), fip_weight=10.0, memory_batch_size=64,
                         seed=0, **kwargs)
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy())
    model.fit(digits.x_train[old], digits.y_train[old], epochs=15, batch_size=64,
              verbose=0, shuffle=False)
    model.remember(digits.x_train[old], digits.y_train[old], samples_per_class=30, seed=0)
    model.fit(digits.x_train[~old], digits.y_train[~old], epochs=15, batch_size=64,
              verbose=0, shuffle=False)
    predicted = model.predict(digits.x_test[old_test], verbose=0).argmax(-1)
    return float(np.mean(predicted == digits.y_test[old_test]))


@pytest.mark.any_backend
def test_the_softmax_in_call_network_keeps_its_first_task_with_default_arguments(digits):
    default = _old_task_accuracy(digits, "default")
    explicit = _old_task_accuracy(digits, False)
    wrong = _old_task_accuracy(digits, True)
    print(f"old-task accuracy: default {default:.3f}, from_logits=False {explicit:.3f}, "
          f"from_logits=True {wrong:.3f}")
    assert abs(default - explicit) <= 0.02
    assert explicit > 0.8
    assert wrong < explicit - 0.1  # the check can see an unprotected network


# ---------------------------------------------------------------- ensembles
@pytest.mark.any_backend
def test_ensemble_checks_every_member_and_refuses_mixed_ones():
    keras.utils.set_random_seed(0)
    with pytest.raises(ValueError, match=r"member 1 output logits.*member 0 output probabilities"):
        FIPEnsemble([functional_softmax_op(), functional_logits()])
    with pytest.raises(ValueError, match=r"members 0, 2 output logits, member 1 output"):
        FIPEnsemble([functional_logits(), functional_softmax_op(), functional_logits()])
    ensemble = FIPEnsemble([functional_softmax_op(), functional_softmax_op()])
    assert ensemble.member_from_logits is False
    x = np.random.default_rng(0).normal(size=(5, 8, 8, 1)).astype("float32")
    averaged = np.asarray(ensemble(x))
    assert averaged.min() >= 0 and np.allclose(averaged.sum(-1), 1, atol=1e-5)


# ------------------------------------------------------------------- labels
@pytest.mark.any_backend
def test_labels_out_of_range_name_the_value_and_the_outputs_for_subclassed_models(digits):
    x, y = digits.x_train[:64], digits.y_train[:64]
    model = FIPModel(built(LogitsSubclassed()), seed=0)
    assert output_width(model.network) == 10
    with pytest.raises(ValueError, match=r"10 outputs.*up to 29"):
        model.remember(x, y + 20)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.remember(x, y, samples_per_class=2)
    with pytest.raises(ValueError, match=r"fit\(\): labels must be in \[0, 10\).*label 14"):
        model.fit(x, y + 5, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"fit\(\).*label -1"):
        model.fit(x, y - 1, epochs=1, verbose=0)
    model.fit(x, y, epochs=1, verbose=0)  # good labels still train
    model.fit(x, np.eye(10, dtype="float32")[y], epochs=1, verbose=0,
              ) if False else None  # one-hot targets are the loss's business
