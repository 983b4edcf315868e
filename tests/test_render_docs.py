"""benchmarks/render_docs.py: the published figures match their JSON, and the check can fail."""

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "render_docs.py"
sys.path.insert(0, str(ROOT / "benchmarks"))

import render_docs  # noqa: E402
from renderers.base import verdict  # noqa: E402


def run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_committed_tree_passes_check_quickly():
    started = time.perf_counter()
    result = run("--check", "--root", str(ROOT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.perf_counter() - started < 40


def test_check_imports_no_tensorflow():
    code = (f"import sys; sys.argv = ['render_docs', '--check', '--root', {str(ROOT)!r}]; "
            f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import render_docs; "
            "render_docs.main(sys.argv[1:]); assert 'tensorflow' not in sys.modules; "
            "assert 'keras' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def rendered_lines(text):
    """(index, line) of the lines inside block regions that hold a decimal figure."""
    inside, out = False, []
    for i, line in enumerate(text.split("\n")):
        if render_docs.BLOCK_START.match(line):
            inside = True
        elif render_docs.BLOCK_END.match(line):
            inside = False
        elif inside and re.search(r"\d\.\d{3}", line):
            out.append((i, line))
    return out


def test_a_figure_changed_by_hand_fails_and_names_its_line(tmp_path):
    copy = tmp_path / "RESULTS.md"
    text = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    index, line = rendered_lines(text)[0]
    figure = re.search(r"\d\.\d{3}\d*", line).group(0)
    changed = figure[:-1] + ("1" if figure[-1] != "1" else "2")
    lines = text.split("\n")
    lines[index] = line.replace(figure, changed, 1)
    copy.write_text("\n".join(lines))
    result = run("--check", "--root", str(ROOT), str(copy))
    assert result.returncode == 1
    assert f"RESULTS.md:{index + 1}:" in result.stdout, result.stdout
    # rewriting restores the figure from the JSON, and the copy then passes
    assert run("--root", str(ROOT), str(copy)).returncode == 0
    assert copy.read_text() == text
    assert run("--check", "--root", str(ROOT), str(copy)).returncode == 0


def test_an_inline_figure_changed_by_hand_fails(tmp_path):
    copy = tmp_path / "README.md"
    text = (ROOT / "README.md").read_text()
    match = re.search(r"(<!-- r: two_task_value column=fip_A -->)([^<]*)(<!-- /r -->)", text)
    assert match, "the README renders the two-task figure inline"
    copy.write_text(text[:match.start(2)] + "0.99" + text[match.end(2):])
    result = run("--check", "--root", str(ROOT), str(copy))
    line = text[:match.start()].count("\n") + 1
    assert result.returncode == 1
    assert f"README.md:{line}:" in result.stdout, result.stdout


def test_a_figure_typed_outside_a_region_fails(tmp_path):
    copy = tmp_path / "RESULTS.md"
    text = (ROOT / "benchmarks" / "RESULTS.md").read_text()
    copy.write_text(text + "\nFIP beats DER++ by 4.1 points on 95% of the runs.\n")
    result = run("--check", "--root", str(ROOT), str(copy))
    line = text.count("\n") + 2
    assert result.returncode == 1
    assert f"RESULTS.md:{line}: figure '4.1' outside a rendered region" in result.stdout, result.stdout
    assert f"RESULTS.md:{line}: figure '95%' outside a rendered region" in result.stdout


def test_a_missing_results_file_fails(tmp_path):
    copy = tmp_path / "page.md"
    copy.write_text("<!-- render: step_cost_table file=no_such_file.json -->\n<!-- /render -->\n")
    result = run("--check", "--root", str(ROOT), str(copy))
    assert result.returncode == 1 and "page.md:1: cannot render" in result.stdout


@pytest.mark.parametrize("text", [
    "Python 3.10 to 3.12", "Keras 3.15.1", "TensorFlow 2.21.0", "8x8 digits", "on 2026-12-03",
    "arXiv 2205.00334", "`--learning-rate 0.001`", "[x](results/a_0.93.png)", "5 tasks of 2 classes",
    "seeds 0, 1, 2", "LeNet-300-100", "<!-- r: value file=a.json path=b -->0.93<!-- /r -->",
])
def test_lint_allows(text):
    assert render_docs.figures_in(render_docs.INLINE.sub(" ", text)) == []


@pytest.mark.parametrize("text, figure", [
    ("scores 0.93", "0.93"), ("at 95% sparsity", "95%"), ("costs x1.3", "x1.3"), ("is 1.3x slower", "1.3x"),
    ("lambda 1e5", "1e5"), ("density 8.7e-6", "8.7e-6"), ("1,000 steps", "1,000"), ("215970 examples", "215970"),
    ("a lone figure in code: `0.93`", "0.93"),
])
def test_lint_flags(text, figure):
    assert render_docs.figures_in(text) == [figure]


def test_verdict_over_seeds():
    assert verdict({0: 0.9, 1: 0.8}, {0: 0.8, 1: 0.7}) == "beats"
    assert verdict({0: 0.7, 1: 0.6}, {0: 0.8, 1: 0.7}) == "behind"
    assert verdict({0: 0.9, 1: 0.6}, {0: 0.8, 1: 0.7}) == "level"
    assert verdict({0: 0.8, 1: 0.9}, {0: 0.8, 1: 0.7}) == "level"  # a tie is not a win
    assert verdict([0.5, 0.6], [0.4, 0.5]) == "beats"


def test_guides_hold_no_accuracy_figures():
    for guide in (ROOT / "docs").glob("guide_*.md"):
        text = re.sub(r"```.*?```", "", guide.read_text(), flags=re.S)
        assert not re.search(r"\b0\.\d{3,}\b", text), f"{guide.name} holds a results figure"
