"""Continual learning, then pruning on the memory: every task measured before and after."""

import json

import numpy as np
import pytest

from conftest import tensorflow_only
from keras_fip.experiments.compose import sparsify_after_tasks
from keras_fip import FIPModel
from keras_fip.continual import ContinualConfig, make_stream, run_method
from keras_fip.models import mlp


@pytest.fixture(scope="module")
def learned(digits):
    stream = make_stream(digits, "class", num_tasks=2)
    config = ContinualConfig(epochs=2, memory_per_class=10)
    _, model = run_method(stream, "fip", lambda: mlp(stream.input_shape, stream.num_classes,
                                                     hidden=(32,)), config, progress=False)
    return stream, model


@pytest.fixture(scope="module")
def pruned(learned, tmp_path_factory):
    """The FIP route with its defaults, exported where TensorFlow can."""
    from conftest import TENSORFLOW

    stream, model = learned
    folder = tmp_path_factory.mktemp("then_sparsify") / "export" if TENSORFLOW else None
    return sparsify_after_tasks(model, stream, sparsity=0.6, steps=20, export_dir=folder)


def test_the_fip_route_prunes_on_the_memory_without_labels(learned, pruned):
    stream, model = learned
    report = pruned.to_dict()
    assert report["method"] == "fip_ramp" and report["labels_used"] is False
    assert report["sparsity"] == pytest.approx(0.6, abs=0.01)
    assert len(report["accuracy_before"]) == len(report["accuracy_after"]) == len(stream)
    assert report["memory_samples"] == len(model.memory)
    assert report["average_after"] == pytest.approx(np.mean(report["accuracy_after"]))


def test_the_fip_route_reads_no_label_of_the_memory(learned, pruned):
    stream, model = learned
    first = pruned
    arrays = model.memory.numpy()
    scrambled = {**arrays, "labels": np.roll(arrays["labels"], 7)}
    model.memory._assign(scrambled)
    try:
        second = sparsify_after_tasks(model, stream, sparsity=0.6, steps=20)
    finally:
        model.memory._assign(arrays)
    assert second.accuracy_after == first.accuracy_after
    for a, b in zip(first.network.get_weights(), second.network.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_labelled_peer_prunes_the_same_network_and_says_it_used_labels(learned):
    stream, model = learned
    before = [w.copy() for w in model.network.get_weights()]
    pruned = sparsify_after_tasks(model, stream, sparsity=0.6, method="gmp", steps=20)
    assert pruned.labels_used is True
    assert pruned.sparsity == pytest.approx(0.6, abs=0.01)
    for a, b in zip(before, model.network.get_weights()):  # the continual network is kept
        np.testing.assert_array_equal(a, b)


def test_a_model_without_memory_is_refused(learned):
    stream, _ = learned
    model = FIPModel(mlp(stream.input_shape, stream.num_classes, hidden=(8,)))  # as finetune's
    with pytest.raises(ValueError, match="needs the memory of earlier tasks"):
        sparsify_after_tasks(model, stream, sparsity=0.5, steps=5)


def test_bad_options_are_refused_before_any_pruning(learned, tmp_path):
    stream, model = learned
    with pytest.raises(ValueError, match="sparsity"):
        sparsify_after_tasks(model, stream, sparsity=1.0)
    with pytest.raises(ValueError, match="unknown pruning method 'magic'"):
        sparsify_after_tasks(model, stream, sparsity=0.5, method="magic")
    with pytest.raises(ValueError, match="fip_ramp reads no label"):
        sparsify_after_tasks(model, stream, sparsity=0.5, label_free=False)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="taken"):
        sparsify_after_tasks(model, stream, sparsity=0.5, export_dir=tmp_path / "taken")


@tensorflow_only
def test_the_export_answers_as_keras_on_every_task(learned, pruned):
    stream, _ = learned
    assert len(pruned.export["task_agreement"]) == len(stream)
    assert min(pruned.export["task_agreement"]) >= 0.99
    assert pruned.export["files"]["tflite"]["path"].endswith(".tflite")
    assert min(pruned.export["zeros"]["tflite"].values()) > 0.3  # the file carries the zeros


def test_keras_fip_continual_then_sparsify_reports_every_task_before_and_after(tmp_path, capsys):
    from keras_fip.cli.main import main

    code = main(["continual", "--methods", "fip,finetune", "--tasks", "2", "--epochs", "1",
                 "--hidden", "16", "--then-sparsify", "0.7", "--then-sparsify-steps", "10",
                 "--out", str(tmp_path / "run")])
    assert code == 0
    results = json.loads((tmp_path / "run" / "report.json").read_text())["results"]
    pruned = results["fip"]["then_sparsify"]
    assert pruned["method"] == "fip_ramp" and pruned["sparsity"] == pytest.approx(0.7, abs=0.01)
    assert len(pruned["accuracy_before"]) == len(pruned["accuracy_after"]) == 2
    assert "no memory" in results["finetune"]["then_sparsify"]["skipped"]
    assert "pruned by" in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--export", "x"], "--export has no effect without --then-sparsify"),
    (["--then-sparsify-steps", "5"], "--then-sparsify-steps has no effect without --then-sparsify"),
    (["--then-sparsify", "1.0"], "must be in [0, 1)"),
    (["--then-sparsify", "0.9", "--then-sparsify-method", "magic"], "unknown method 'magic'"),
])
def test_then_sparsify_options_are_checked_before_training(tmp_path, capsys, args, message):
    from keras_fip.cli.main import main

    try:
        code = main(["continual", "--out", str(tmp_path / "run"), *args])
    except SystemExit as exit_:  # argparse's own checks
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run" / "report.json").exists()


def test_a_sparse_network_learns_new_tasks_and_keeps_its_zeros(digits, trained):
    from keras_fip.experiments.compose import learn_tasks_keeping_mask
    from keras_fip.sparsity import one_shot

    stream = make_stream(digits, "class", num_tasks=2)
    # A deployed sparse model: trained, then pruned; it learns the stream again, in tasks.
    sparse = one_shot(trained, digits.x_train, digits.y_train, sparsity=0.7, steps=0,
                      scope="kernels_and_biases").network
    zero = [w == 0 for w in sparse.get_weights()]
    result, model, zeros = learn_tasks_keeping_mask(sparse, stream, "fip",
                                                    ContinualConfig(epochs=5, memory_per_class=5))
    assert zeros["before"] == pytest.approx(0.7, abs=0.01)
    assert zeros["after"] == zeros["before"]
    for was_zero, weight in zip(zero, model.network.get_weights()):
        assert np.all(weight[was_zero] == 0)       # every pruned weight is still zero
    assert result.accuracy_matrix[-1][-1] > 0.5    # and the last task was learned
    assert all(np.array_equal(a == 0, b) for a, b in zip(sparse.get_weights(), zero))  # kept


def test_a_dense_network_has_no_mask_to_keep(learned):
    from keras_fip.experiments.compose import learn_tasks_keeping_mask

    stream, model = learned
    with pytest.raises(ValueError, match="no zero weight to keep"):
        learn_tasks_keeping_mask(model.network, stream)
