"""The README's Python example runs as written."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_continual_learning_example_runs(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    code = code.replace("epochs=20)", "epochs=20, verbose=0)")
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    model, data, old, new = scope["model"], scope["data"], scope["old"], scope["new"]
    predictions = model.predict(data.x_test, verbose=0).argmax(-1)
    on_old = np.mean(predictions[data.y_test < 5] == data.y_test[data.y_test < 5])
    on_new = np.mean(predictions[data.y_test >= 5] == data.y_test[data.y_test >= 5])
    assert on_old > 0.8 and on_new > 0.8  # task A kept, task B learned
    assert (tmp_path / "fip.keras").exists()
