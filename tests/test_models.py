"""The architectures of `keras_fip.models`, used the way a Keras user would.

Every network is built tiny (width 0.125, a batch of four images) so that the
whole file runs in seconds on a CPU; default-size networks are only built and
counted, never run.
"""

import keras
import numpy as np
import pytest

from keras_fip import FIPModel
from keras_fip import models

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
BATCH = 4
NUM_CLASSES = 10

# name -> arguments of a tiny version; the input shape is part of the arguments.
TINY = {
    "mlp": dict(input_shape=(28, 28, 1), num_classes=NUM_CLASSES, hidden=(16,)),
    "reference_cnn": dict(input_shape=(28, 28, 1), num_classes=NUM_CLASSES),
    "lenet_300_100": dict(input_shape=(28, 28, 1), num_classes=NUM_CLASSES),
    "compact_cnn": dict(input_shape=(28, 28, 1), num_classes=NUM_CLASSES),
    "lenet5": dict(input_shape=(28, 28, 1), num_classes=NUM_CLASSES),
    "vgg11": dict(input_shape=(32, 32, 3), num_classes=NUM_CLASSES, width=0.125),
    "vgg16": dict(input_shape=(32, 32, 3), num_classes=NUM_CLASSES, width=0.125),
    "resnet18": dict(input_shape=(32, 32, 3), num_classes=NUM_CLASSES, width=0.125),
    "resnet20": dict(input_shape=(32, 32, 3), num_classes=NUM_CLASSES, width=0.125),
}


def tiny(name, seed=0):
    keras.utils.set_random_seed(seed)
    return models.get(name, **TINY[name])


def batch(name, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(BATCH, *TINY[name]["input_shape"])).astype("float32")
    y = rng.integers(0, NUM_CLASSES, size=BATCH)
    return x, y


def test_every_architecture_is_listed_and_tested():
    assert set(models.ARCHITECTURES) == set(TINY)


# ------------------------------------------------------------ every architecture
@pytest.mark.parametrize("name", sorted(TINY))
def test_it_outputs_one_logit_per_class(name):
    net = tiny(name)
    x, _ = batch(name)
    logits = net(x, training=False)
    assert tuple(logits.shape) == (BATCH, NUM_CLASSES)
    # Logits, not probabilities: no softmax at the end, so FIPModel sees logits.
    assert getattr(net.layers[-1].activation, "__name__", None) == "linear"
    assert FIPModel.from_model(net).from_logits
    assert not np.allclose(np.sum(logits, axis=-1), 1.0)


@pytest.mark.parametrize("name", sorted(TINY))
def test_it_trains_a_step_along_a_fip(name):
    net = tiny(name)
    x, y = batch(name)
    model = FIPModel.from_model(net)
    # Eagerly: tracing the FIP step of a 20-layer network takes ~20 s on a CPU,
    # so the traced step is run once, on the reference CNN, below.
    model.compile("adam", LOSS, run_eagerly=True)
    model.remember(x, y)
    history = model.fit(x, y, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0])
    assert np.isfinite(history["fip_distance"][0])


def test_a_compiled_fip_step_runs_a_batchnorm_network():
    # The same step as above, traced into a graph as `fit` does by default.
    net = tiny("reference_cnn")
    x, y = batch("reference_cnn")
    model = FIPModel.from_model(net)
    model.compile("adam", LOSS)
    model.remember(x, y)
    history = model.fit(x, y, epochs=1, verbose=0).history
    assert np.isfinite(history["loss"][0]) and np.isfinite(history["fip_distance"][0])


@pytest.mark.parametrize("name", sorted(TINY))
def test_it_round_trips_through_a_keras_file(name, tmp_path):
    net = tiny(name)
    x, _ = batch(name)
    # Standard layers only: loading needs no custom objects.
    assert all(type(layer).__module__.startswith("keras.") for layer in net.layers)
    net(x, training=True)  # moves the BatchNorm statistics off their initial values
    net.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(
        loaded(x, training=False), net(x, training=False), rtol=1e-5, atol=1e-6
    )


# ------------------------------------------------------------------ sizes
def test_default_sizes_have_the_expected_parameter_counts():
    # Building is cheap; nothing here is run.
    assert models.lenet_300_100().count_params() == 266_610
    assert 0.26e6 < models.resnet20().count_params() < 0.28e6
    assert 11.1e6 < models.resnet18().count_params() < 11.3e6


def test_reference_cnn_is_the_notebooks_network():
    net = models.reference_cnn()
    convs = [l for l in net.layers if isinstance(l, keras.layers.Conv2D)]
    dense = [l for l in net.layers if isinstance(l, keras.layers.Dense)]
    assert [l.filters for l in convs] == [32, 64]
    assert [l.kernel_size for l in convs] == [(3, 3), (3, 3)]
    assert [l.units for l in dense] == [600, 120, 10]
    assert sum(isinstance(l, keras.layers.BatchNormalization) for l in net.layers) == 2
    assert sum(isinstance(l, keras.layers.MaxPooling2D) for l in net.layers) == 2
    # The notebook's: the second convolution does not pad, the Dense layers are
    # linear, and a Dropout of 0.25 follows the first.
    assert [l.padding for l in convs] == ["same", "valid"]
    assert [l.activation.__name__ for l in dense] == ["linear"] * 3
    (drop,) = [l for l in net.layers if isinstance(l, keras.layers.Dropout)]
    assert drop.rate == 0.25
    assert net.count_params() == 1_475_530
    # PyTorch's BatchNorm2d defaults, in Keras' terms.
    assert {(l.momentum, l.epsilon) for l in net.layers
            if isinstance(l, keras.layers.BatchNormalization)} == {(0.9, 1e-5)}


def test_lenet5_and_the_compact_cnn_are_built_by_name():
    assert models.get("LeNet5").count_params() == 61_706
    assert models.get("compact_cnn").count_params() == 207_114


@pytest.mark.parametrize("name, convs", [("vgg11", 8), ("vgg16", 13), ("resnet20", 19 + 2)])
def test_depths_match_the_papers(name, convs):
    # ResNet-20: 19 3x3 convs plus two 1x1 projection shortcuts.
    net = tiny(name)
    assert sum(isinstance(l, keras.layers.Conv2D) for l in net.layers) == convs


def test_width_scales_the_channels_and_keeps_at_least_one():
    def channels(net):
        return [l.filters for l in net.layers if isinstance(l, keras.layers.Conv2D)]

    assert channels(models.vgg11(width=0.125)) == [8, 16, 32, 32, 64, 64, 64, 64]
    assert set(channels(models.resnet20(width=0.01))) == {1}
    assert channels(models.resnet20(width=2.0))[0] == 32


def test_get_builds_by_name_and_lists_the_names_for_an_unknown_one():
    assert models.get("LeNet-300-100", num_classes=3).output_shape == (None, 3)
    with pytest.raises(ValueError, match="resnet18.*resnet20"):
        models.get("alexnet")


def test_mlp_keeps_its_signature():
    net = models.mlp((8, 8, 1), 10, (32,), "tiny_mlp")
    assert isinstance(net, keras.Sequential)
    assert net.name == "tiny_mlp" and net.output_shape == (None, 10)


# --------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("name, shape, minimum", [
    ("vgg11", (16, 16, 3), "32x32"),
    ("vgg16", (32, 24, 3), "32x32"),
    ("resnet18", (4, 4, 3), "8x8"),
    ("resnet20", (2, 2, 3), "4x4"),
    ("reference_cnn", (7, 7, 1), "8x8"),
    ("compact_cnn", (3, 3, 1), "4x4"),
    ("lenet5", (11, 11, 1), "12x12"),
])
def test_too_small_an_input_names_the_minimum_size(name, shape, minimum):
    with pytest.raises(ValueError, match=minimum):
        models.get(name, input_shape=shape)


@pytest.mark.parametrize("name", sorted(TINY))
def test_fewer_than_two_classes_is_refused(name):
    kwargs = dict(TINY[name], num_classes=1)
    with pytest.raises(ValueError, match="num_classes must be at least 2"):
        models.get(name, **kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(input_shape=(32, 32)), "3 axes"),
    (dict(width=0), "width must be a positive number"),
    (dict(num_classes=2.5), "integer"),
])
def test_other_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        models.vgg11(**kwargs)
