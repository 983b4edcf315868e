"""The three experiments called from Python, as a user (or a benchmark) would."""

import ast
import json
import re
from pathlib import Path

import pytest

from keras_fip import report
from keras_fip.experiments import continual, robust, sparsify
from keras_fip.experiments.continual import ContinualRunConfig
from keras_fip.experiments.continual_runs import remove_run_checkpoints
from keras_fip.experiments.robust import RobustConfig
from keras_fip.experiments.sparsify import SparsifyConfig, train_dense


def run_continual(checkpoint_dir=None, resume=False, **settings):
    return continual.run(ContinualRunConfig(**settings), checkpoint_dir=checkpoint_dir,
                         resume=resume, progress=False)


def run_sparsify(**settings):
    return sparsify.run(SparsifyConfig(progress=False, **settings))


def run_robust(**settings):
    return robust.run(RobustConfig(progress=False, **settings))

ROOT = Path(__file__).resolve().parents[1]


def test_continual_experiment_returns_the_report(tmp_path):
    from keras_fip.continual import EWC

    payload = run_continual(
        tasks=2, epochs=1, memory_per_class=5, memory_batch_size=16, hidden=[16], seed=1,
        methods=["fip", "finetune", EWC(ewc_weight=10.0)],
    )
    assert list(payload) == ["config", "results"]
    assert list(payload["results"]) == ["fip", "finetune", "ewc"]
    for result in payload["results"].values():
        assert len(result["accuracy_matrix"]) == 2 and len(result["accuracy_matrix"][0]) == 2
        assert 0 <= result["average_accuracy"] <= 1
    assert payload["results"]["ewc"]["hyperparameters"]["ewc_weight"] == 10.0
    config = payload["config"]
    assert config["dataset"] == "digits" and config["seed"] == 1
    assert config["memory_batch_size"] == 16
    assert config["model"] == {"kind": "mlp", "hidden": [16]}
    assert [len(t["classes"]) for t in config["tasks"]] == [5, 5]
    # The one report writer frames it: header first, versions last.
    path = report.write_report(tmp_path, payload, "python test")
    written = json.loads(Path(path).read_text())
    assert list(written)[:2] == ["command", "created"] and list(written)[-1] == "versions"


def test_continual_experiment_checkpoints_until_told_to_remove_them(tmp_path, digits):
    checkpoints = tmp_path / "checkpoints"
    settings = dict(dataset=digits, tasks=2, epochs=1, methods=["finetune"], hidden=[8],
                    memory_per_class=5)
    first = run_continual(checkpoint_dir=str(checkpoints), **settings)
    assert (checkpoints / "finetune" / "after_task_2" / "model.keras").exists()
    assert json.loads((checkpoints / "run.json").read_text())["dataset"] == digits.name
    with pytest.raises(ValueError, match="pass `resume`|resume"):
        run_continual(checkpoint_dir=str(checkpoints), **settings)
    resumed = run_continual(checkpoint_dir=str(checkpoints), resume=True, **settings)
    assert resumed["results"] == first["results"]  # nothing left to train: read back
    remove_run_checkpoints(str(checkpoints))
    assert not checkpoints.exists()


def test_sparsify_experiment_runs_every_method(tmp_path):
    payload = run_sparsify(
        architecture="mlp", hidden=[32], epochs=2, sparsity=[0.5, 0.8], steps=6,
        export=str(tmp_path / "export"),
    )
    assert list(payload) == ["config", "dense_accuracy", "results", "exports"]
    runs = {(r["method"], r["target_sparsity"]) for r in payload["results"]}
    every = ("fip", "oneshot", "gmp", "tfmot", "tfmot_global")
    assert runs == {(m, s) for m in every for s in (0.5, 0.8)}
    for r in payload["results"]:
        assert r["measured_sparsity"] == pytest.approx(r["target_sparsity"], abs=0.02)
    assert payload["config"]["model_options"] == {"hidden": [32]}
    assert set(payload["exports"]) == {"0.5", "0.8"}
    assert (tmp_path / "export" / "sparsity_0.8" / "model.tflite").exists()


def test_sparsify_experiment_starts_from_a_network_and_a_dataset(digits):
    network = train_dense("mlp", digits, epochs=3, hidden=[16])
    before = [w.copy() for w in network.get_weights()]
    payload = run_sparsify(dataset=digits, model=network, methods=["oneshot"],
                                      sparsity=[0.5], steps=4)
    assert payload["config"]["model"] == network.name
    assert payload["config"]["dataset"] == digits.name
    (row,) = payload["results"]
    assert row["method"] == "oneshot" and row["path_steps"] + row["finetune_steps"] == 4
    assert all((a == b).all() for a, b in zip(before, network.get_weights()))  # not modified


def test_robust_experiment_returns_the_report():
    pytest.importorskip("cleverhans")
    payload = run_robust(
        architecture="mlp", hidden=[16], members=2, epochs=1, steps_between=2, burn_in=2,
        methods=["fip", "deep"], attackers=["start"], tolerance=1.0,
        attacks=["fgsm"], eps=[0.1], nb_iter=2, attack_samples=30, matrix_samples=10,
        whitebox=False,
    )
    methods = {"single", "deep_ensemble", "fip_ensemble"}
    assert set(payload["results"]) == {"transfer"}  # no white-box asked
    assert set(payload["results"]["transfer"]) == methods
    for row in payload["results"]["transfer"].values():
        assert set(row) == {"clean", "fgsm"} and set(row["fgsm"]) == {"0.1"}
    assert set(payload["clean_accuracy"]) == methods
    assert payload["config"]["whitebox_samples"] is None
    assert len(payload["members"]["fip_ensemble"]["clean_accuracy"]) == 2
    assert payload["transfer_matrix"]["labels"] == ["start", "fip 1", "fip 2"]


@pytest.mark.parametrize("run, settings, message", [
    (run_continual, {"methods": ["magic"]}, "unknown methods"),
    (run_sparsify, {"sparsity": [1.0]}, "[0, 1)"),
    (run_sparsify, {"methods": ["magic"]}, "unknown methods"),
    (run_sparsify, {"int8": True}, "`export`"),
    (run_sparsify, {"model": "no/such/model.keras"}, "no model file"),
    (run_robust, {"attacks": ["deepfool"]}, "unknown attack"),
    (run_robust, {"eps": [2.0]}, "wider than the clip range"),
])
def test_bad_settings_stop_before_any_data_is_loaded(run, settings, message, monkeypatch):
    import keras_fip.data

    def no_loading(*args, **kwargs):
        raise AssertionError("the data were loaded")

    monkeypatch.setattr(keras_fip.data, "load_dataset", no_loading)
    with pytest.raises((ValueError, FileNotFoundError), match=re.escape(message)):
        run(**settings)


def test_the_commands_offer_the_registries_names():
    # The commands read the names from the registries, which --help reads without TensorFlow.
    from keras_fip.cli import continual as continual_cli, sparsify as sparsify_cli
    from keras_fip.continual.registry import METHODS as CONTINUAL_METHODS
    from keras_fip.sparsity.registry import METHODS as PRUNING_METHODS

    assert continual_cli.METHOD_NAMES == continual.METHOD_NAMES == CONTINUAL_METHODS.names()
    assert sparsify_cli.METHOD_NAMES == sparsify.METHOD_NAMES == PRUNING_METHODS.names()


def imported_modules(path):
    """Every module a Python file imports, at any depth (`from a import b` gives a.b too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "benchmarks").glob("*.py")), ids=lambda p: p.name)
def test_benchmarks_call_the_library_not_the_command_line(path):
    cli = [m for m in imported_modules(path) if m == "keras_fip.cli" or m.startswith("keras_fip.cli.")]
    assert not cli, f"{path.name} imports {cli}"


def test_a_tuned_continual_experiment_reports_its_choices():
    payload = run_continual(tasks=2, epochs=1, methods=["derpp", "finetune"],
                                       memory_per_class=5, hidden=[16], tune=True)
    chosen = payload["tuning"]["derpp"]["chosen"]
    used = payload["results"]["derpp"]["hyperparameters"]  # every setting, the chosen included
    assert {k: used[k] for k in chosen} == chosen
    assert payload["config"]["validation"]["fraction"] == 0.1
    first_grid = [t for t in payload["tuning"]["derpp"]["tried"] if t.get("window", 0) == 0]
    assert len(first_grid) == 4  # a grid whose best is on an edge moves: more after it
    assert payload["results"]["derpp"]["family"] == "der"


def test_method_options_are_kept_fixed_and_not_tuned(digits):
    payload = run_continual(
        dataset=digits, tasks=2, epochs=1, methods=["fip", "der_views"], memory_per_class=5,
        hidden=[16], tune=True,
        method_options={"fip": {"views": 2}, "der_views": {"fip_weight": 0.5}})
    fip, der = payload["results"]["fip"], payload["results"]["der_views"]
    assert fip["hyperparameters"]["views"] == 2  # kept in every setting tried
    assert fip["hyperparameters"]["fip_weight"] == payload["tuning"]["fip"]["chosen"]["fip_weight"]
    assert "der_views" not in payload["tuning"]  # its option is what its grid tunes: run as given
    assert der["hyperparameters"]["fip_weight"] == 0.5
    assert (fip["family"], fip["anchor"], der["family"], der["anchor"]) == (
        "fip", "path_start", "der", "stored")
    with pytest.raises(ValueError, match="not among the methods run"):
        run_continual(dataset=digits, methods=["fip"], method_options={"ewc": {}})


def test_the_old_entry_points_still_run_for_one_release(monkeypatch):
    from keras_fip.experiments.sparsify import run_sparsify_experiment

    with pytest.warns(DeprecationWarning, match="keras_fip.experiments.sparsify"):
        from keras_fip.sparsity.experiment import run_sparsify_experiment as from_the_old_path

    assert from_the_old_path is run_sparsify_experiment
    calls = []
    monkeypatch.setattr(sparsify, "run", calls.append)
    with pytest.warns(DeprecationWarning, match=r"run\(SparsifyConfig\(\*\*kwargs\)\)"):
        run_sparsify_experiment(sparsity=[0.5], steps=4, progress=False)
    assert calls[0].sparsity == [0.5] and calls[0].steps == 4
