"""Every bad input in the catalogue (`tests/bad_inputs.py`) ends in a clear error."""

import pytest

from bad_inputs import CASES, make_files


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    return make_files(tmp_path_factory.mktemp("bad_inputs"))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input_gets_a_clear_error(case, bad_files):
    outcome, message = case.run(bad_files)
    assert outcome == "clear", f"{case.name}: {outcome}: {message}"
