"""Every tutorial notebook runs top to bottom on its small default, offline, and shows what it says."""

import json
import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

FOLDER = pathlib.Path(__file__).parent.parent / "tutorials"
TUTORIALS = sorted(FOLDER.glob("*.ipynb"))

#: Per job: the notebook's name, and the keras-fip call the job is about.
JOBS = {"continual": ("01_continual_learning", "FIPModel.from_model"),
        "sparsify": ("02_sparsify_and_export", "sparsify("),
        "robust": ("03_robust_ensembles", "grow_ensemble("),
        "geometry": ("04_geometry", "geometry.top_eigenpairs(")}

#: A cell the test appends (never in the repository): the figures each notebook
#: prints, as one JSON line, so the test can hold them to what the text says.
FIGURES = {
    "01_continual_learning": """{
        "after_a": after_a,
        "fip": fip_path.records[-1], "naive": naive_path.records[-1],
        "memory": len(restored.memory), "classes_a": len(task_a.classes),
        "restored_a": accuracy(restored, task_a), "model_a": accuracy(model, task_a)}""",
    "02_sparsify_and_export": """{
        "dense": float(dense_accuracy), "sparse": sparse_accuracy,
        "zeros": float(measured_sparsity(sparse, scope="all")[0]), "gap": float(result.gap),
        "tflite": float(np.mean(np.argmax(outputs, -1) == data.y_test)),
        "agreement": {k: a["argmax_agreement"] for k, a in sparse_files.agreement.items()},
        "ratio": ratio, "path_steps": int(result.path_steps), "budget": STEPS // 2}""",
    "03_robust_ensembles": """{
        "start": accuracy(start, x_test, y_test), "ensemble": accuracy(ensemble, x_test, y_test),
        "rows": rows, "members": len(ensemble.members),
        "reloaded": accuracy(keras.models.load_model(path), x_test, y_test)}""",
    "04_geometry": """{
        "ratio": float(values[0] / np.mean(random_values)),
        "fip": paths["FIP"][-1]["functional_distance"],
        "finetune": paths["fine-tuning"][-1]["functional_distance"],
        "fip_weight": paths["FIP"][-1]["weight_distance"]}""",
}


def promises_01(f):
    assert f["after_a"][0] > 0.9                       # task A is learned first
    assert f["fip"]["task_b_accuracy"] > 0.8            # FIP learns task B ...
    assert f["fip"]["task_a_accuracy"] > f["naive"]["task_a_accuracy"] + 0.2  # ... forgetting less
    assert f["naive"]["task_a_accuracy"] < 0.5          # fine-tuning forgets task A
    assert f["memory"] == 20 * f["classes_a"]           # the memory is saved with the model
    assert f["restored_a"] == pytest.approx(f["model_a"], abs=1e-9)


def promises_02(f):
    assert f["zeros"] == pytest.approx(0.95, abs=2e-3)  # 95% of the weights are zero
    assert f["sparse"] >= f["dense"] - 0.05             # and the accuracy is kept
    assert f["path_steps"] <= f["budget"]
    assert all(v >= 0.99 for v in f["agreement"].values())  # the exports answer as the model
    assert f["tflite"] == pytest.approx(f["sparse"], abs=0.01)
    assert f["ratio"] > 2                               # gzip TFLite well smaller than dense


def promises_03(f):
    assert f["members"] == 5
    assert f["ensemble"] >= f["start"] - 0.03           # the members keep the function (-0.017 measured)
    single, transfer = f["rows"]["single (white-box)"], f["rows"]["FIP ensemble (transfer)"]
    # Examples crafted on the start hurt the ensemble less than they hurt the start.
    assert all(t >= s - 0.01 for t, s in zip(transfer, single))
    assert sum(transfer) > sum(single)
    assert f["reloaded"] == pytest.approx(f["ensemble"], abs=1e-9)


def promises_04(f):
    assert f["ratio"] > 10                              # a few stiff directions, many flat ones
    assert f["fip"] < f["finetune"]                     # FIP keeps the function on task A
    assert f["fip_weight"] > 0                          # while the weights move


PROMISES = {"01_continual_learning": promises_01, "02_sparsify_and_export": promises_02,
            "03_robust_ensembles": promises_03, "04_geometry": promises_04}


def test_there_is_a_tutorial_for_each_job():
    readme = (FOLDER / "README.md").read_text()
    for job, (stem, call) in JOBS.items():
        path = FOLDER / f"{stem}.ipynb"
        assert path in TUTORIALS, f"no tutorial for {job}"
        source = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                           if c.cell_type == "code")
        assert call in source, f"{path.name} does not use {call}"
        assert f"({stem}.ipynb)" in readme, f"tutorials/README.md does not link {path.name}"
    assert set(PROMISES) == {p.stem for p in TUTORIALS}  # every notebook is checked


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_notebook_runs(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "outputs must be stripped in the repository"
    assert 'DATASET = "digits"' in notebook.cells[1].source
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nprint('FIGURES ' + _json.dumps(" + FIGURES[path.stem] + "))"))
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    images = sum("image/png" in output.get("data", {})
                 for cell in notebook.cells for output in cell.get("outputs", []))
    assert images >= 1
    printed = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    figures = json.loads(printed.split("FIGURES ", 1)[1])
    PROMISES[path.stem](figures)
