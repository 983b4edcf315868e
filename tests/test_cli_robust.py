"""`keras-fip robust`, run the way a user types it (tiny settings)."""

import json

import pytest

from keras_fip.cli.main import main


def exit_code(argv):
    """`main(argv)`'s exit code; argparse's own errors exit with 2 while parsing."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code

TINY = [
    "--architecture", "mlp", "--hidden", "32", "--members", "2", "--epochs", "3",
    "--steps-between", "5", "--burn-in", "5", "--step-length", "0.1", "--nb-iter", "3",
    "--attack-samples", "60", "--whitebox-samples", "30", "--matrix-samples", "30",
]


def test_robust_writes_report_and_plots(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["robust", *TINY, "--methods", "fip,deep,fge,snapshot", "--attacks", "fgsm,pgd",
                 "--eps", "0.1,0.2", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    methods = {"single", "fip_ensemble", "deep_ensemble", "fge_ensemble", "snapshot_ensemble"}
    settings = {"transfer", "transfer_surrogate", "transfer_other_arch", "white-box"}
    assert set(report["results"]) == settings
    for setting in settings:
        assert set(report["results"][setting]) == methods
        for row in report["results"][setting].values():
            assert set(row) == {"clean", "fgsm", "pgd"}
            assert set(row["pgd"]) == {"0.1", "0.2"}
            assert all(0 <= v <= 1 for v in row["pgd"].values())
    assert set(report["clean_accuracy"]) == methods
    compute = report["compute"]
    single = compute["single"]["steps"]
    assert compute["deep_ensemble"]["steps"] == 2 * single
    assert compute["fip_ensemble"]["own_steps"] <= 5 + 2 * 2 * 5    # at most 2x candidates
    assert compute["fge_ensemble"]["steps"] == single + 2 * ((5 + 2 * 5) // 2)
    assert compute["snapshot_ensemble"]["steps"] == single + 5 + 2 * 5
    for cost in compute.values():
        assert set(cost) >= {"steps", "examples", "validation_examples", "total_examples",
                             "seconds"}
        assert cost["total_examples"] == (cost["examples"] + cost["validation_examples"]
                                          + cost["anchor_examples"])
    # Compute in examples: forward + backward through the network, steps x batch.
    config = report["config"]
    batch, fit, val = config["batch_size"], config["train_samples"], config["validation_samples"]
    assert config["path_batch_size"] == batch == 32  # the path runs at the peers' batch
    start = compute["single"]
    assert start["examples"] == 3 * fit and start["validation_examples"] == 0
    assert compute["deep_ensemble"]["examples"] == 2 * start["examples"]
    assert compute["snapshot_ensemble"]["examples"] == compute["snapshot_ensemble"]["steps"] * batch
    for name in ("fge_ensemble", "fip_ensemble"):  # built from the start: its training counts
        cost = compute[name]
        assert cost["own_examples"] == cost["own_steps"] * batch
        assert cost["examples"] == start["examples"] + cost["own_examples"]
    # The path's validation passes (the start's, every trust-region check and
    # acceptance test, each the whole split) and the start's cached outputs.
    path = compute["fip_ensemble"]
    assert path["validation_examples"] > 0 and path["validation_examples"] % val == 0
    assert path["validation_examples"] >= val * (2 + path["own_steps"] // 5 + accepted_of(report))
    assert path["anchor_examples"] == fit
    fip = report["members"]["fip_ensemble"]
    accepted = report["config"]["fip"]["fip_ensemble"]["accepted"]
    assert len(fip["clean_accuracy"]) == accepted == len(fip["path"])
    assert len(fip["rejected"]) == report["config"]["fip"]["fip_ensemble"]["rejected"]
    start_val = report["start_val_accuracy"]
    assert all(v >= start_val - 0.01 - 1e-9 for v in fip["val_accuracy"])
    assert len(report["members"]["fge_ensemble"]["clean_accuracy"]) == 2
    assert set(report["config"]["attackers"]) == {"start", "surrogate", "other"}
    matrix = report["transfer_matrix"]
    assert matrix["labels"][:2] == ["start", "fip 1"] and len(matrix["matrix"]) == accepted + 1
    assert report["command"].startswith("keras-fip robust --architecture mlp")
    assert (out / "accuracy_vs_eps.png").stat().st_size > 0
    assert (out / "transfer_matrix.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "fge_ensemble" in printed and "training compute" in printed
    assert "forward-only" in printed  # the table states examples, not only steps


def accepted_of(report):
    """Candidates that met the acceptance test (accepted, or refused on accuracy)."""
    fip = report["members"]["fip_ensemble"]
    return len(fip["path"]) + sum(r["reason"] != "outside the trust region"
                                  for r in fip["rejected"])


@pytest.mark.parametrize("args, message", [
    (["--eps", "0.1,-0.2"], "--eps values must be finite and >= 0"),
    (["--eps", "a,b"], "expected comma-separated numbers"),
    (["--clip-min", "1", "--clip-max", "0"], "clip range is inverted"),
    (["--clip-max", "0.5"], "outside the clip range"),
    (["--members", "0"], "--members: must be at least 2"),
    (["--members", "1"], "--members: must be at least 2"),
    (["--step-length", "nan"], "--step-length: expected a finite number"),
    (["--clip-max", "inf"], "--clip-max: expected a finite number"),
    (["--seed", "-1"], "--seed: must be in [0, 2**32 - 1]"),
    (["--out", __file__], "exists and is not a folder"),
    (["--eps", "0.1,25"], "--eps 25 is wider than the clip range"),
    (["--attacks", "fgm_l2", "--eps", "2", "--clip-max", "0.5"],
     "outside the clip range"),  # an L2 eps may exceed the width: refused for the data only
    (["--attacks", "pgd,cw"], "not supported"),
    (["--attacks", "spsa"], "not supported"),
    (["--attacks", "deepfool"], "unknown attack"),
    (["--dataset", "no/such/folder"], "no/such/folder"),
    (["--architecture", "alexnet"], "alexnet"),
    (["--model", "alexnet"], "alexnet"),  # the old name, kept one release
    (["--methods", "fip,magic"], "--methods: unknown 'magic'"),
    (["--attackers", "oracle"], "--attackers: unknown 'oracle'"),
    (["--surrogate-architecture", "alexnet"], "alexnet"),
    (["--tolerance", "2"], "--tolerance: must be in [0, 1]"),
    (["--validation-fraction", "1"], "--validation-fraction: must be in (0, 1)"),
    (["--max-distance", "0"], "--max-distance: must be a positive number"),
    (["--fge-lr-max", "0.001", "--fge-lr-min", "0.01"], "must not exceed"),
])
def test_bad_arguments_give_one_clear_line(tmp_path, capsys, args, message):
    code = exit_code(["robust", "--out", str(tmp_path / "x"), *args])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_old_option_names_still_work_one_release(capsys):
    from keras_fip.cli.main import build_parser

    args = build_parser().parse_args(["robust", "--model", "mlp", "--surrogate-model", "vgg11",
                                      "--step-size", "0.3"])
    assert (args.architecture, args.surrogate_architecture, args.step_length) == (
        "mlp", "vgg11", 0.3)
    err = capsys.readouterr().err
    assert "--model is now --architecture" in err and "--step-size is now --step-length" in err
    assert exit_code(["robust", "--help"]) == 0
    shown = capsys.readouterr().out
    assert "--architecture" in shown and "--model" not in shown and "--step-size" not in shown


def test_the_config_names_arguments_and_the_command_translates():
    from keras_fip.cli.robust import FLAGS
    from keras_fip.experiments.robust import RobustConfig

    with pytest.raises(ValueError, match=r"^`tolerance` must be in \[0, 1\]"):
        RobustConfig(tolerance=2).check()
    with pytest.raises(ValueError, match="fge_lr_min .* must not exceed fge_lr_max"):
        RobustConfig(fge_lr_min=0.1, fge_lr_max=0.01).check()
    with pytest.raises(ValueError, match="`methods`: unknown 'magic'; choose among fip, fip_path"):
        RobustConfig(methods=["fip", "magic"]).check()
    import dataclasses

    fields = {f.name for f in dataclasses.fields(RobustConfig)} - {"progress"}
    assert set(FLAGS) == fields   # every setting has its option


def test_run_robust_experiment_is_a_deprecated_wrapper():
    from keras_fip.robustness import experiment

    with pytest.warns(DeprecationWarning):
        wrapper = experiment.run_robust_experiment
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="unknown attack"):
        wrapper(model="mlp", attacks=["deepfool"])


def test_a_refused_old_option_is_named_as_typed(tmp_path, capsys):
    code = exit_code(["robust", "--attackers", "start", "--surrogate-model", "lenet_300_100",
                      "--out", str(tmp_path / "run")])
    assert code == 2
    assert "--surrogate-model has no effect without the attacker other" in capsys.readouterr().err
