"""On JAX the pruning masks are applied inside the compiled step: no host sync per batch.

Keras' JAX trainer copies the step's state back into the model's variables
only when a callback reads `self.model`; `HoldMask` and `GradualMask` keep
their masks in the step instead, and `SparsityMonitor` reads the model only
when it checks. The tests below run in a JAX process (the first test starts
it from TensorFlow's run); each counts the syncs of a masked `fit` against
the same `fit` without masks.
"""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from keras_fip.sparsity import GradualMask, HoldMask, SparsityObjective, SparsityMonitor
from keras_fip.sparsity.callbacks import InStepMasks
from keras_fip.sparsity.schedules import PolynomialSparsity

JAX = keras.backend.backend() == "jax"
on_jax = pytest.mark.skipif(not JAX, reason="runs in the JAX process the first test starts")

BATCHES = 30  # per epoch


@pytest.mark.slow
def test_the_masks_are_held_in_the_step_on_jax():
    pytest.importorskip("jax")
    if JAX:
        pytest.skip("this process is the JAX run")
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-n", "0", __file__], env=env, cwd=Path(__file__).parent.parent,
                         capture_output=True, text=True, timeout=300)
    tail = (run.stdout + run.stderr)[-4000:]
    assert run.returncode == 0, tail
    assert " passed" in run.stdout and "skipped" in run.stdout, tail  # this test skips there


class CountingTraces(keras.Sequential):
    """A Sequential that counts how often its train step is traced (JAX runs the
    Python of a compiled step only when it traces it)."""

    traces = 0

    def train_step(self, state, data):
        CountingTraces.traces += 1
        return super().train_step(state, data)


def network(seed=0, kind=keras.Sequential):
    keras.utils.set_random_seed(seed)
    model = kind([keras.Input((20,)), keras.layers.Dense(32, activation="relu", name="hidden"),
                  keras.layers.Dense(4, name="logits")])
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32 * BATCHES, 20)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64") + 2 * (x[:, 1] > 0)


def counting_syncs(model):
    """Counts the syncs of `model`'s state into its variables (calls that find the
    variables already holding the state copy nothing and are not counted)."""
    syncs = []
    sync = type(model).jax_state_sync.__get__(model)

    def counted():
        syncs.append(bool(getattr(model, "_jax_state", None)) and not model._jax_state_synced)
        return sync()

    model.jax_state_sync = counted
    return syncs


def fit_counting_syncs(model, callbacks=(), epochs=1, x=None, y=None):
    """`model.fit` (on `data()` by default); returns how often the state was synced."""
    syncs = counting_syncs(model)
    try:
        model.fit(*((x, y) if x is not None else data()), batch_size=32, epochs=epochs,
                  shuffle=False, verbose=0, callbacks=list(callbacks))
    finally:
        del model.jax_state_sync
    return sum(syncs)


def pruned_nonzero(model, masks):
    weights = {w.path: np.asarray(w) for w in model.weights}
    return sum(int(np.sum(weights[path][mask == 0] != 0)) for path, mask in masks.items())


@on_jax
def test_hold_mask_keeps_pruned_weights_exactly_zero_without_a_sync_per_batch():
    plain = fit_counting_syncs(network(), epochs=2)
    model = network()
    masks = SparsityObjective(0.8).snap(model)
    before = {w.path: np.asarray(w) for w in model.weights}
    syncs = fit_counting_syncs(model, [HoldMask(masks)], epochs=2)
    assert syncs == plain  # a sync per batch would add 2 * BATCHES
    assert pruned_nonzero(model, masks) == 0
    kept = sum(int(np.sum(np.asarray(w)[masks[w.path] == 1] != before[w.path][masks[w.path] == 1]))
               for w in model.weights if w.path in masks)
    assert kept > 0.5 * sum(int(m.sum()) for m in masks.values())  # the others trained
    # The model's own step is back: a fit without the callback moves every weight.
    model.fit(*data(), batch_size=32, epochs=1, verbose=0)
    assert pruned_nonzero(model, masks) > 0


@on_jax
def test_the_step_with_masks_gives_the_weights_the_per_batch_route_gave(monkeypatch):
    def trained(in_step):
        if not in_step:  # the route before: the callback masks eagerly after every batch
            monkeypatch.setattr(InStepMasks, "install", classmethod(lambda cls, m, p: None))
        model = network()
        masks = SparsityObjective(0.7, scope="kernels_and_biases").snap(model)
        model.fit(*data(), batch_size=32, epochs=1, shuffle=False, verbose=0,
                  callbacks=[HoldMask(masks)])
        monkeypatch.undo()
        return model.get_weights()

    for step, batch in zip(trained(in_step=True), trained(in_step=False)):
        np.testing.assert_allclose(step, batch, rtol=0, atol=1e-7)  # seen: identical


@on_jax
def test_gradual_mask_reaches_its_target_syncing_only_to_recompute_the_mask():
    plain = fit_counting_syncs(network(kind=CountingTraces))
    CountingTraces.traces = 0
    model = network(kind=CountingTraces)
    pull = SparsityObjective(schedule=PolynomialSparsity(0.9, 20, power=3.0))
    pull.bind(model)
    syncs = fit_counting_syncs(model, [GradualMask(pull, frequency=5)])
    # One per new mask, none in between (the first is cut before any step: nothing to sync).
    assert syncs == plain + BATCHES // 5 - 1
    assert CountingTraces.traces == 1  # new masks are arguments of the step, not constants
    kernels = [np.asarray(v) for v in pull.pruned_variables]
    zeros = sum(int(np.sum(k == 0)) for k in kernels) / sum(k.size for k in kernels)
    assert zeros == pytest.approx(0.9, abs=1 / 700)  # the cut's rounding, over 720 weights


@on_jax
def test_a_fit_that_fails_leaves_no_mask_in_the_next_fit():
    class Fails(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                raise RuntimeError("stopped")

    model = network()
    masks = SparsityObjective(0.8).snap(model)
    with pytest.raises(RuntimeError, match="stopped"):
        model.fit(*data(), batch_size=32, verbose=0, callbacks=[HoldMask(masks), Fails()])
    assert pruned_nonzero(model, masks) == 0  # held until the failure
    model.fit(*data(), batch_size=32, verbose=0)  # without HoldMask: the mask is gone
    assert pruned_nonzero(model, masks) > 0


@on_jax
def test_the_monitor_reads_the_model_only_when_it_checks():
    from keras_fip import FIPModel, PathStep
    from keras_fip.engine.distances import DistanceLoss

    def fip_model(objectives):
        source = network()
        model = FIPModel.from_model(source, objectives=objectives)
        model.compile(PathStep(0.01), loss=DistanceLoss())
        return model, source.predict(data()[0], verbose=0)

    model, anchors = fip_model([SparsityObjective(0.5, weight=0.1)])
    plain = fit_counting_syncs(model, x=data()[0], y=anchors)
    pull = SparsityObjective(0.5, weight=0.1)
    model, anchors = fip_model([pull])
    monitor = SparsityMonitor(pull, tolerance=1e-9, check_every=10)
    syncs = fit_counting_syncs(model, [monitor], x=data()[0], y=anchors)
    # One per check, none in between; the last check, at the epoch's end, is the sync
    # the fit makes there anyway.
    assert syncs == plain + BATCHES // 10 - 1
    assert monitor.model.history.history["sparse_gap_now"]  # the epoch's figures are there
