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
    "--model", "mlp", "--hidden", "32", "--members", "2", "--epochs", "3",
    "--steps-between", "5", "--burn-in", "5", "--step-length", "0.1", "--nb-iter", "3",
    "--attack-samples", "60", "--whitebox-samples", "30", "--matrix-samples", "30",
]


def test_robust_writes_report_and_plots(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["robust", *TINY, "--attacks", "fgsm,pgd", "--eps", "0.1,0.2", "--out", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    methods = {"single", "deep_ensemble", "fip_ensemble"}
    assert set(report["results"]) == {"transfer", "white-box"}
    for setting in ("transfer", "white-box"):
        assert set(report["results"][setting]) == methods
        for row in report["results"][setting].values():
            assert set(row) == {"clean", "fgsm", "pgd"}
            assert set(row["pgd"]) == {"0.1", "0.2"}
            assert all(0 <= v <= 1 for v in row["pgd"].values())
    assert set(report["clean_accuracy"]) == methods
    compute = report["compute"]
    assert compute["deep_ensemble"]["steps"] == 2 * compute["single"]["steps"]
    assert compute["fip_ensemble"]["path_steps"] == 5 + 2 * 5
    assert compute["fip_ensemble"]["steps"] == compute["single"]["steps"] + 15
    fip = report["members"]["fip_ensemble"]
    assert len(fip["clean_accuracy"]) == 2 and len(fip["distances_from_start"]) == 2
    assert fip["distances_from_start"][0]["weight_distance"] > 0
    assert 0 <= fip["diversity_clean"]["disagreement"] <= 1
    matrix = report["transfer_matrix"]
    assert matrix["labels"] == ["start", "fip 1", "fip 2"] and len(matrix["matrix"]) == 3
    assert report["config"]["fip"]["members"] == 2
    assert report["command"].startswith("keras-fip robust --model mlp")
    assert (out / "accuracy_vs_eps.png").stat().st_size > 0
    assert (out / "transfer_matrix.png").stat().st_size > 0
    printed = capsys.readouterr().out
    assert "fip_ensemble" in printed and "training compute" in printed


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
    (["--model", "alexnet"], "alexnet"),
])
def test_bad_arguments_give_one_clear_line(tmp_path, capsys, args, message):
    code = exit_code(["robust", "--out", str(tmp_path / "x"), *args])
    assert code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
