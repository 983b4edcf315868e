"""The FIP engine used the way a Keras user would."""

import keras
import numpy as np
import pytest

from conftest import tensorflow_only
from keras_fip import AnchorMemory, FIPModel, PathStep
from keras_fip.engine.callbacks import NaNGuard

pytestmark = pytest.mark.any_backend

LOSS = keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def network(seed=0, inputs=6, classes=4):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(classes),
    ])


def weights(model):
    return [np.array(w) for w in model.trainable_weights]


def test_without_anchor_it_trains_exactly_like_keras_model(small_data):
    x, y = small_data
    plain = network()
    plain.compile("adam", LOSS)
    keras.utils.set_random_seed(1)
    plain.fit(x, y, batch_size=16, epochs=2, verbose=0)

    fip = FIPModel.from_model(network())
    fip.compile("adam", LOSS)
    keras.utils.set_random_seed(1)
    fip.fit(x, y, batch_size=16, epochs=2, verbose=0)
    for a, b in zip(weights(plain), weights(fip)):
        np.testing.assert_array_equal(a, b)


def test_functional_sequential_and_wrapped_construction(small_data):
    x, _ = small_data
    inputs = keras.Input((6,))
    outputs = keras.layers.Dense(4)(keras.layers.Dense(8, activation="relu")(inputs))
    functional = FIPModel(inputs, outputs)
    sequential = FIPModel([keras.Input((6,)), keras.layers.Dense(4)])
    wrapped = FIPModel.from_model(network())
    for model in (functional, sequential, wrapped):
        assert model(x[:3]).shape == (3, 4)
        assert model.from_logits


def test_softmax_output_is_detected_as_probabilities():
    model = FIPModel([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    assert not model.from_logits and not model.distance.from_logits


def test_remember_caches_anchor_outputs_and_accumulates(small_data):
    x, y = small_data
    model = FIPModel.from_model(network())
    index = model.remember(x[:48], y[:48], memory_per_class=3)
    assert len(model.memory) == len(index) == 3 * len(np.unique(y[:48]))
    stored = model.memory.numpy()
    np.testing.assert_allclose(stored["outputs"], model.network.predict(x[index], verbose=0), rtol=1e-5)
    model.remember(x[48:], num_samples=5)
    assert len(model.memory) == len(index) + 5
    assert sorted(set(model.memory.numpy()["tasks"])) == [0, 1]


def test_fit_keeps_remembered_outputs_better_than_plain_training(small_data):
    x, y = small_data
    old, new = x[:48], x[48:]
    new_labels = (y[48:] + 1) % 4  # a conflicting task on the same kind of inputs

    def drift(fip_weight):
        model = FIPModel.from_model(network(), fip_weight=fip_weight, seed=0)
        model.compile(keras.optimizers.Adam(0.01), LOSS)
        model.fit(old, y[:48], epochs=20, verbose=0)
        model.remember(old)
        before = model.predict(old, verbose=0)
        model.fit(new, new_labels, epochs=20, verbose=0)
        return float(np.mean(model.distance(before, model.predict(old, verbose=0))))

    assert drift(fip_weight=10.0) < 0.5 * drift(fip_weight=0.0)


def test_memory_filled_or_cleared_between_fits_is_noticed(small_data):
    x, y = small_data
    model = FIPModel.from_model(network())
    model.compile("adam", LOSS)
    assert model.fit(x, y, epochs=1, verbose=0).history["fip_distance"] == [0.0]
    model.remember(x[:10])
    assert model.fit(x, y, epochs=1, verbose=0).history["fip_distance"][0] != 0.0
    model.memory.clear()  # an empty memory is simply not used
    assert model.fit(x, y, epochs=1, verbose=0).history["fip_distance"] == [0.0]


def test_small_memory_is_used_whole_each_step(small_data):
    x, _ = small_data
    model = FIPModel.from_model(network(), memory_batch_size=64)
    model.remember(x[:5])
    inputs, _, _ = model.memory.sample(64, keras.random.SeedGenerator(0))
    assert sorted(np.asarray(inputs)[:, 0].tolist()) == sorted(x[:5, 0].tolist())


def test_distance_is_measured_in_inference_mode_like_the_anchor(small_data):
    x, y = small_data
    keras.utils.set_random_seed(0)
    dropout_net = keras.Sequential([
        keras.Input((6,)), keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.5), keras.layers.Dense(4),
    ])
    model = FIPModel.from_model(dropout_net, distance="kl")
    model.compile(keras.optimizers.SGD(0.0), LOSS)  # weights stay put
    model.remember(x)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert abs(history.history["fip_distance"][0]) < 1e-6  # no dropout noise


def test_fit_reports_the_functional_distance(small_data):
    x, y = small_data
    model = FIPModel.from_model(network())
    model.compile("adam", LOSS, metrics=["accuracy"])
    model.remember(x, y)
    history = model.fit(x, y, epochs=1, verbose=0)
    assert {"loss", "accuracy", "fip_distance"} <= set(history.history)


def test_keras_file_round_trip_keeps_memory_and_settings(small_data, tmp_path):
    x, y = small_data
    model = FIPModel.from_model(network(), distance="kl", fip_weight=3.0,
                                memory=AnchorMemory(capacity=10, policy="reservoir"))
    model.compile("adam", LOSS)
    model.fit(x, y, epochs=1, verbose=0)
    model.remember(x, y, num_samples=8)
    model.save(tmp_path / "model.keras")

    restored = keras.saving.load_model(tmp_path / "model.keras")
    assert isinstance(restored, FIPModel)
    assert restored.distance.name == "kl" and restored.fip_weight == 3.0
    assert restored.memory.capacity == 10 and restored.memory.policy == "reservoir"
    for key, value in model.memory.numpy().items():
        np.testing.assert_array_equal(restored.memory.numpy()[key], value)
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    restored.fit(x, y, epochs=1, verbose=0)  # and it keeps training


def test_balanced_memory_keeps_classes_equal_under_its_capacity():
    memory = AnchorMemory(capacity=6, policy="balanced")
    memory.add(np.zeros((6, 2)), np.zeros((6, 3)), labels=[0, 0, 0, 1, 1, 1], task=0)
    memory.add(np.ones((6, 2)), np.ones((6, 3)), labels=[2] * 6, task=1)
    assert len(memory) == 6
    assert np.bincount(memory.numpy()["labels"]).tolist() == [2, 2, 2]


def test_reservoir_memory_holds_a_uniform_sample():
    memory = AnchorMemory(capacity=50, policy="reservoir", seed=0)
    for task in range(10):
        memory.add(np.full((100, 1), task), np.zeros((100, 2)), task=task)
    counts = np.bincount(memory.numpy()["tasks"], minlength=10)
    assert len(memory) == 50 and counts.min() >= 1  # every task represented


def test_path_step_moves_exactly_its_step_length(small_data):
    x, y = small_data
    model = FIPModel.from_model(network())
    model.compile(PathStep(step_length=0.05), LOSS)
    before = weights(model)
    model.train_on_batch(x[:32], y[:32])
    step = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(weights(model), before)))
    assert step == pytest.approx(0.05, rel=1e-4)


def test_path_step_with_momentum_and_memory_lowers_the_loss(small_data, tmp_path):
    x, y = small_data
    model = FIPModel.from_model(network())
    model.compile(PathStep(step_length=0.02, momentum=0.5), LOSS)
    model.remember(x[:20])
    history = model.fit(x, y, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    model.save(tmp_path / "path.keras")
    optimizer = keras.saving.load_model(tmp_path / "path.keras").optimizer
    assert isinstance(optimizer, PathStep) and optimizer.momentum == 0.5


def run_fip(x, y, **compile_kwargs):
    model = FIPModel.from_model(network(), seed=3)
    model.compile(keras.optimizers.SGD(0.05), LOSS, **compile_kwargs)
    model.remember(x[:40], y[:40])
    keras.utils.set_random_seed(2)
    model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    return weights(model)


def test_jit_compile_gives_the_same_path(small_data):
    x, y = small_data
    for a, b in zip(run_fip(x, y), run_fip(x, y, jit_compile=True)):
        np.testing.assert_allclose(a, b, atol=1e-5)


@tensorflow_only
def test_mirrored_strategy_on_two_devices_gives_the_same_path(small_data):
    import tensorflow as tf

    x, y = small_data
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    if len(devices) < 2:
        pytest.skip("needs two logical CPU devices (set up in conftest)")
    single = run_fip(x, y)
    with tf.distribute.MirroredStrategy(devices[:2]).scope():
        mirrored = run_fip(x, y)
    for a, b in zip(single, mirrored):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_diverging_loss_stops_training_and_keeps_good_weights(small_data, tmp_path):
    x, y = small_data
    model = FIPModel.from_model(network())
    # A step this long overflows the outputs to infinity by the second batch: the
    # loss turns NaN/inf in ops no CPU kernel can hide it in.
    model.compile(keras.optimizers.SGD(1e30), LOSS)
    guard = NaNGuard()
    model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[guard])
    assert guard.triggered and guard.epoch == 0
    assert all(np.all(np.isfinite(w)) for w in weights(model))
    model.save(tmp_path / "after_nan.keras")
    restored = keras.saving.load_model(tmp_path / "after_nan.keras")
    assert all(np.all(np.isfinite(w)) for w in weights(restored))


def test_fit_refuses_arrays_holding_nan(small_data):
    x, y = small_data
    bad = x.copy()
    bad[50, 2] = np.nan
    model = FIPModel.from_model(network())
    model.compile("adam", LOSS)
    before = weights(model)
    with pytest.raises(ValueError, match=r"fit\(\): x has 1 NaN .*sample 50"):
        model.fit(bad, y, verbose=0)
    for a, b in zip(weights(model), before):
        np.testing.assert_array_equal(a, b)


@tensorflow_only
def test_a_nan_batch_from_a_dataset_makes_the_loss_nan_on_any_cpu(small_data):
    import tensorflow as tf

    x, y = small_data
    bad = x.copy()
    bad[-16:] = np.nan  # through Dense+ReLU some kernels turn this into 0
    data = tf.data.Dataset.from_tensor_slices((bad, y)).batch(16)
    model = FIPModel.from_model(network())
    model.compile("adam", LOSS)
    guard = NaNGuard()
    model.fit(data, epochs=2, verbose=0, callbacks=[guard])
    assert guard.triggered and guard.epoch == 0
    assert all(np.all(np.isfinite(w)) for w in weights(model))


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: m.remember(x[:, :3]), "inputs of shape"),
    (lambda m, x, y: m.remember(x[:0]), "no inputs"),
    (lambda m, x, y: m.remember(x, y[:5]), "labels"),
    (lambda m, x, y: m.remember(x, memory_per_class=2), "needs labels"),
])
def test_remember_rejects_bad_input(small_data, call, message):
    x, y = small_data
    with pytest.raises(ValueError, match=message):
        call(FIPModel.from_model(network()), x, y)


def test_remember_before_the_model_is_built_is_a_clear_error(small_data):
    x, _ = small_data
    model = FIPModel([keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="needs a built model"):
        model.remember(x)


def test_single_output_heads_and_multi_input_memory_are_refused(small_data):
    with pytest.raises(ValueError, match="at least two"):
        FIPModel([keras.Input((3,)), keras.layers.Dense(1, activation="sigmoid")])
    a, b = keras.Input((2,)), keras.Input((3,))
    two_inputs = FIPModel(keras.Model([a, b], keras.layers.Dense(3)(keras.layers.Concatenate()([a, b]))))
    with pytest.raises(ValueError, match="single input"):
        two_inputs.remember([np.zeros((4, 2)), np.zeros((4, 3))])


def test_bad_settings_are_clear_errors():
    with pytest.raises(ValueError, match="Unknown distance"):
        FIPModel.from_model(network(), distance="euclid")
    for bad in (-1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="fip_weight"):
            FIPModel.from_model(network(), fip_weight=bad)
    with pytest.raises(ValueError, match="step_length"):
        PathStep(step_length=0)
    with pytest.raises(ValueError, match="policy"):
        AnchorMemory(policy="fifo")


def test_path_recorder_keeps_the_networks_along_the_path(small_data, tmp_path):
    from keras_fip import PathRecorder

    x, y = small_data
    model = FIPModel.from_model(network())
    model.compile("adam", LOSS, metrics=["accuracy"])
    model.remember(x[:20], y[:20])
    recorder = PathRecorder(evaluate={"old": (x[:20], y[:20])},
                            checkpoint_dir=tmp_path / "path", checkpoint_every=2)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[recorder])
    assert [r["epoch"] for r in recorder.records] == [1, 2, 3, 4]
    distances = [r["weight_distance"] for r in recorder.records]
    assert all(b > a for a, b in zip(distances, distances[1:]))
    assert {"loss", "accuracy", "fip_distance", "old_accuracy"} <= set(recorder.records[0])
    point = keras.saving.load_model(recorder.records[-1]["checkpoint"])
    np.testing.assert_allclose(point.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)
    recorder.to_json(tmp_path / "path.json")


@tensorflow_only
def test_export_writes_a_savedmodel_that_serves_the_network(small_data, tmp_path):
    import tensorflow as tf

    x, y = small_data
    model = FIPModel.from_model(network())
    model.compile("adam", LOSS)
    model.remember(x[:10])
    model.fit(x, y, epochs=1, verbose=0)
    model.export(str(tmp_path / "served"), verbose=False)
    served = tf.saved_model.load(str(tmp_path / "served"))
    np.testing.assert_allclose(served.serve(x).numpy(), model.predict(x, verbose=0), rtol=1e-5)


def test_balanced_memory_shares_capacity_by_water_filling():
    memory = AnchorMemory(capacity=10, policy="balanced", seed=0)
    labels = np.array([0] * 2 + [1] * 30 + [2] * 30)
    memory.add(np.arange(62.0)[:, None], np.zeros((62, 3)), labels=labels)
    assert np.bincount(memory.numpy()["labels"]).tolist() == [2, 4, 4]
    # A later task with the same classes gets a share of their slots.
    memory.add(np.full((30, 1), -1.0), np.zeros((30, 3)), labels=[1] * 30, task=1)
    stored = memory.numpy()
    assert len(memory) == 10 and np.any(stored["tasks"][stored["labels"] == 1] == 1)


def test_memory_of_fifty_cifar100_images_per_class_is_sampled_in_the_step():
    rng = np.random.default_rng(0)
    x = rng.random((5000, 32, 32, 3), dtype=np.float32)
    y = np.repeat(np.arange(100), 50)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([
        keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, strides=4, activation="relu"),
        keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(100),
    ])
    model = FIPModel.from_model(net, memory_batch_size=64)
    model.compile("adam", LOSS)
    model.remember(x, y, memory_per_class=50)
    assert len(model.memory) == 5000
    assert model.memory.nbytes == 5000 * (32 * 32 * 3 * 4 + 100 * 4 + 8)  # about 63 MB
    history = model.fit(x[:128], y[:128], batch_size=64, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# --------------------------------------------------- Keras callbacks and evaluate
def fip_model_with_memory(x, y, seed=0):
    model = FIPModel.from_model(network(), seed=seed, memory_batch_size=8)
    model.compile("adam", LOSS)
    model.remember(x[:48], y[:48])
    return model


def test_evaluate_and_validation_report_the_distance_on_the_memory(small_data):
    x, y = small_data
    model = fip_model_with_memory(x, y)
    assert model.evaluate(x, y, verbose=0, return_dict=True)["fip_distance"] == 0.0  # at the anchor
    history = model.fit(x[48:], (y[48:] + 1) % 4, epochs=3, verbose=0,
                        validation_data=(x[:48], y[:48]))
    assert all(d > 0 for d in history.history["val_fip_distance"])
    assert model.evaluate(x, y, verbose=0, return_dict=True)["fip_distance"] > 0


def test_evaluating_does_not_change_what_training_draws(small_data):
    x, y = small_data

    def train(validate):
        model = fip_model_with_memory(x, y)
        keras.utils.set_random_seed(1)
        model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0,
                  validation_data=(x, y) if validate else None)
        return weights(model)

    for a, b in zip(train(validate=False), train(validate=True)):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_on_the_validation_distance(small_data):
    x, y = small_data
    model = fip_model_with_memory(x, y)
    # Keras guesses the direction of compiled metrics only: say "min".
    stop = keras.callbacks.EarlyStopping(monitor="val_fip_distance", mode="min", patience=2)
    history = model.fit(x[48:], (y[48:] + 1) % 4, epochs=6, verbose=0,
                        validation_data=(x[:48], y[:48]), callbacks=[stop])
    # The distance grows along the path: it stops after its patience, not at once.
    assert len(history.epoch) == 3


def test_memory_sampling_state_is_saved_with_the_model(small_data, tmp_path):
    x, y = small_data
    model = fip_model_with_memory(x, y)
    model.fit(x, y, epochs=1, verbose=0)
    state = np.asarray(model._memory_seed.state)
    assert state.any()
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(np.asarray(restored._memory_seed.state), state)


def test_backup_and_restore_resumes_a_killed_fit_exactly(small_data, tmp_path):
    x, y = small_data

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    def train(callbacks):
        model = fip_model_with_memory(x, y)
        keras.utils.set_random_seed(1)
        model.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0, callbacks=callbacks)
        return weights(model)

    uninterrupted = train([])
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(KeyboardInterrupt):
        train([backup, Interrupt()])
    resumed = train([keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    for a, b in zip(uninterrupted, resumed):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_writes_loadable_fip_models(small_data, tmp_path):
    x, y = small_data
    model = fip_model_with_memory(x, y)
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(tmp_path / "epoch{epoch}.keras"), monitor="val_fip_distance", mode="min",
    )
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[checkpoint])
    restored = keras.saving.load_model(tmp_path / "epoch2.keras")
    assert isinstance(restored, FIPModel) and len(restored.memory) == 48
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


@tensorflow_only
def test_tensorboard_logs_the_distance(small_data, tmp_path):
    import tensorflow as tf

    pytest.importorskip("tensorboard", reason="pip install '.[tensorboard]'")
    x, y = small_data
    model = fip_model_with_memory(x, y)
    model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y),
              callbacks=[keras.callbacks.TensorBoard(str(tmp_path / "logs"))])
    tags = set()
    for events in (tmp_path / "logs").rglob("events.out.tfevents.*"):
        for event in tf.compat.v1.train.summary_iterator(str(events)):
            tags |= {value.tag for value in event.summary.value}
    assert {"epoch_fip_distance", "epoch_loss"} <= tags


def test_a_plain_function_is_an_objective_too(small_data):
    x, y = small_data

    def small_weights(model):
        return 1e-3 * sum(keras.ops.sum(keras.ops.square(w)) for w in model.trainable_weights)

    model = FIPModel.from_model(network(), objectives=[small_weights])
    model.compile("adam", LOSS)
    plain = model.fit(x, y, epochs=1, verbose=0).history["loss"][0]
    assert np.isfinite(plain)


def test_an_objectives_state_is_a_layer_weight_that_keras_saves(small_data, tmp_path):
    from keras_fip import SparsityObjective

    x, y = small_data
    pull = SparsityObjective(0.5)
    model = FIPModel.from_model(network(), objectives=[pull])
    model.compile(PathStep(0.01), LOSS)
    model.fit(x, y, epochs=2, verbose=0)
    # Its counters, thresholds, gap, pull strength and the mask it holds between
    # threshold refreshes (one per counted variable: the network's kernel and bias).
    assert {w.path for w in pull.weights} == {
        "sparsity/step", "sparsity/thresholds", "sparsity/gap", "sparsity/pull",
        "sparsity/held_mask_0", "sparsity/held_mask_1"}
    model.save(tmp_path / "pulled.keras")
    restored = keras.saving.load_model(tmp_path / "pulled.keras").objectives[0]
    assert int(np.asarray(restored.step)) == int(np.asarray(pull.step)) == 6  # 2 epochs of 3 batches
    np.testing.assert_array_equal(np.asarray(restored.thresholds), np.asarray(pull.thresholds))


def test_old_engine_names_still_work_with_a_warning():
    """Renamed in issue 23, served for one release: samples_per_class (remember),
    freeze_batchnorm (engine.networks), PathResult.model (now fip_model)."""
    from keras_fip.engine import networks, traverse

    x, y = np.random.default_rng(0).normal(size=(40, 6)).astype("float32"), np.arange(40) % 4
    network = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4)])
    model = FIPModel.from_model(network)
    with pytest.warns(DeprecationWarning, match="memory_per_class"):
        old = model.remember(x, y, samples_per_class=2, seed=1)
    np.testing.assert_array_equal(
        old, FIPModel.from_model(network).remember(x, y, memory_per_class=2, seed=1))
    with pytest.raises(TypeError, match="both"):
        model.remember(x, y, samples_per_class=2, memory_per_class=2)
    with pytest.raises(TypeError, match="unexpected keyword argument 'per_class'"):
        model.remember(x, y, per_class=2)
    with pytest.warns(DeprecationWarning, match="freeze_batch_norm"):
        assert networks.freeze_batchnorm is networks.freeze_batch_norm
    with_norm = keras.Sequential([keras.Input((6,)), keras.layers.BatchNormalization(),
                                  keras.layers.Dense(4)])
    result = traverse(with_norm, x, steps=2, batch_size=20, freeze_batch_norm=True)
    assert not result.network.layers[0].trainable
    assert isinstance(result.fip_model, FIPModel)
    with pytest.warns(DeprecationWarning, match="fip_model"):
        assert result.model is result.fip_model
