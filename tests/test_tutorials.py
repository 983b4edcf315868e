"""Every tutorial notebook runs top to bottom on its small default, offline, and shows what it says.

The notebooks are committed executed (their printed tables and plots are what the
documentation site shows). Each is run again here, and what the committed notebook
prints is held to the fresh run: the same lines with every number within
``ATOL + RTOL * |number|``. A notebook whose outputs have gone stale fails; write them
back with ``python tutorials/execute.py``.
"""

import importlib.util
import json
import pathlib
import re

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

FOLDER = pathlib.Path(__file__).parent.parent / "tutorials"
TUTORIALS = sorted(FOLDER.glob("*.ipynb"))

_spec = importlib.util.spec_from_file_location("tutorials_execute", FOLDER / "execute.py")
execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(execute)

#: How far a committed notebook's printed number may sit from a fresh run's: training
#: on another CPU (another oneDNN kernel order) moves accuracies on a few hundred test
#: images by a point or two; a notebook left behind by a change to its code or to
#: keras-fip moves them further, or prints other lines.
ATOL, RTOL = 0.05, 0.2
NUMBER = re.compile(r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:e[-+]?\d+)?")

#: Per job: the notebook's name, and the keras-fip call the job is about.
JOBS = {"continual": ("01_continual_learning", "FIPModel.from_model"),
        "sparsify": ("02_sparsify_and_export", "sparsify("),
        "robust": ("03_robust_ensembles", "grow_ensemble("),
        "geometry": ("04_geometry", "geometry.top_eigenpairs("),
        "compose": ("05_continual_then_sparsify", "sparsify_after_tasks(")}

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
    "05_continual_then_sparsify": """{
        "dense": result.summary["average_accuracy"],
        "before": pruned.accuracy_before, "after": pruned.accuracy_after,
        "sparsity": pruned.sparsity, "labels_used": pruned.labels_used,
        "agreement": report["task_agreement"], "tflite": tflite_accuracy,
        "zeros": zeros, "regrown": regrown,
        "kept": kept.accuracy_matrix, "tuned": tuned.accuracy_matrix}""",
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


def promises_05(f):
    assert f["sparsity"] == pytest.approx(0.9, abs=2e-3)   # 90% of the weights are zero
    assert f["labels_used"] is False                       # the path read no label
    assert sum(f["before"]) / 5 == pytest.approx(f["dense"], abs=1e-9)
    assert sum(f["after"]) / 5 >= sum(f["before"]) / 5 - 0.03  # every task kept (-0.003 measured)
    assert min(f["agreement"]) >= 0.99                     # the TFLite file answers as Keras
    assert f["tflite"] == pytest.approx(f["after"], abs=0.01)
    assert f["zeros"]["after"] == f["zeros"]["before"] and f["regrown"] == 0  # the mask is kept
    assert f["kept"][-1][0] > f["tuned"][-1][0] + 0.2      # FIP keeps the upright digits
    assert f["kept"][-1][-1] > 0.8                         # while the last task is learned


PROMISES = {"01_continual_learning": promises_01, "02_sparsify_and_export": promises_02,
            "03_robust_ensembles": promises_03, "04_geometry": promises_04,
            "05_continual_then_sparsify": promises_05}


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


def printed(cell):
    """What a code cell printed (streams and text results), one string."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "text/plain" in output.get("data", {}) and "image/png" not in output["data"]:
            parts.append(output["data"]["text/plain"])
    return "".join(parts)


def numbers(text):
    """The numbers in `text`, and the text with each replaced by `#`, spaces collapsed."""
    values = [float(m.replace(",", "")) for m in NUMBER.findall(text)]
    return values, " ".join(NUMBER.sub("#", text).split())


def stale_lines(committed, fresh):
    """Where the committed notebook's printed outputs differ from the fresh run's."""
    problems = []
    cells = [(c, f) for c, f in zip(committed.cells, fresh.cells) if c.cell_type == "code"]
    for index, (old, new) in enumerate(cells):
        (old_values, old_text), (new_values, new_text) = numbers(printed(old)), numbers(printed(new))
        if old_text != new_text or len(old_values) != len(new_values):
            problems.append(f"code cell {index}: prints {printed(new)!r}, committed {printed(old)!r}")
            continue
        for a, b in zip(old_values, new_values):
            if abs(a - b) > ATOL + RTOL * max(abs(a), abs(b)):
                problems.append(f"code cell {index}: {b:g} now, {a:g} committed: {printed(old)!r}")
    return problems


def test_the_staleness_check_catches_a_changed_figure_and_a_changed_line():
    committed = nbformat.read(FOLDER / "01_continual_learning.ipynb", as_version=4)
    assert stale_lines(committed, committed) == []
    changed = nbformat.from_dict(json.loads(json.dumps(committed)))
    cell = next(c for c in changed.cells if c.cell_type == "code" and "FIP " in printed(c))
    stream = next(o for o in cell.outputs if o.get("output_type") == "stream")
    value = NUMBER.findall(stream.text.split("task A", 1)[1])[0]
    stream.text = stream.text.replace(value, f"{abs(float(value) - 0.5):.3f}", 1)
    assert len(stale_lines(committed, changed)) == 1
    stream.text = stream.text.replace("task B", "task C", 1)
    assert "prints" in stale_lines(committed, changed)[0]


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_notebook_runs(path, tmp_path):
    committed = nbformat.read(path, as_version=4)
    code = [cell for cell in committed.cells if cell.cell_type == "code"]
    assert all(cell.get("outputs") or not printed(cell) for cell in code)
    assert any(printed(cell) for cell in code), \
        f"{path.name} is committed without its outputs: python tutorials/execute.py {path}"
    assert any("image/png" in output.get("data", {}) for cell in code for output in cell.outputs), \
        f"{path.name} is committed without a plot: python tutorials/execute.py {path}"
    notebook = nbformat.read(path, as_version=4)
    assert 'DATASET = "digits"' in notebook.cells[1].source
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook.cells.append(nbformat.v4.new_code_cell(
        "import json as _json\nprint('FIGURES ' + _json.dumps(" + FIGURES[path.stem] + "))"))
    execute.execute(notebook, tmp_path)
    images = sum("image/png" in output.get("data", {})
                 for cell in notebook.cells for output in cell.get("outputs", []))
    assert images >= 1
    printed_figures = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    figures = json.loads(printed_figures.split("FIGURES ", 1)[1])
    PROMISES[path.stem](figures)
    stale = stale_lines(committed, notebook)
    assert not stale, (f"{path.name}'s committed outputs are stale; rewrite them with "
                       f"`python tutorials/execute.py {path}`:\n" + "\n".join(stale))
