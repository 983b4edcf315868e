"""Every tutorial notebook runs top to bottom on its small default, offline."""

import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

TUTORIALS = sorted((pathlib.Path(__file__).parent.parent / "tutorials").glob("*.ipynb"))


def test_there_is_a_tutorial_for_each_job():
    names = " ".join(p.name for p in TUTORIALS)
    for job in ("continual", "sparsify", "robust", "geometry"):
        assert job in names


@pytest.mark.parametrize("path", TUTORIALS, ids=[p.stem for p in TUTORIALS])
def test_notebook_runs(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), \
        "outputs must be stripped in the repository"
    assert 'DATASET = "digits"' in notebook.cells[1].source
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    images = sum("image/png" in output.get("data", {})
                 for cell in notebook.cells for output in cell.get("outputs", []))
    assert images >= 1
