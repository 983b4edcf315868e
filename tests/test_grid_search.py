"""The one grid search every tuner uses: the move rule on a grid's edges."""

import math

import pytest

from keras_fip.experiments.tuning import Grid, as_grid, infer_step, search


def peak_at(value, axis="w"):
    """A score whose best setting is `value` (in log space)."""
    return lambda s: -abs(math.log(s[axis]) - math.log(value))


def tried(result, axis="w"):
    return [row["setting"][axis] for row in result.table]


def test_a_best_inside_the_grid_moves_nothing():
    result = search(Grid.of("w", [1, 2, 4, 8], step=2.0), peak_at(4))
    assert result.best == {"w": 4.0}
    assert result.moves == [] and result.stopped == "inside" and not result.at_edge
    assert tried(result) == [1, 2, 4, 8]


def test_a_best_at_the_top_edge_moves_the_grid_up_by_its_size_less_one():
    result = search(Grid.of("w", [1, 2, 4, 8], step=2.0), peak_at(32))
    assert result.moves[0]["direction"] == "up" and result.moves[0]["by"] == 3
    # Only the new settings were scored: 8 is kept from the first window.
    assert tried(result) == [1, 2, 4, 8, 16, 32, 64]
    assert result.best == {"w": 32.0} and result.stopped == "inside"
    assert [row["window"] for row in result.table] == [0, 0, 0, 0, 1, 1, 1]
    assert result.grid["settings"] == [{"w": 8.0}, {"w": 16.0}, {"w": 32.0}, {"w": 64.0}]


def test_a_best_at_the_bottom_edge_moves_the_grid_down():
    result = search(Grid.of("w", [30, 100, 300, 1000], step="1-3"), peak_at(3))
    assert [m["direction"] for m in result.moves] == ["down"]
    assert tried(result) == [30, 100, 300, 1000, 1, 3, 10]  # a window is scored in order
    assert result.best == {"w": 3.0}


def test_the_moves_stop_after_max_moves_and_say_the_choice_is_still_on_an_edge():
    result = search(Grid.of("w", [1, 2, 4], step=2.0), peak_at(1e6), max_moves=2)
    assert len(result.moves) == 2 and result.stopped == "max_moves" and result.at_edge
    assert tried(result) == [1, 2, 4, 8, 16, 32, 64]
    assert result.best == {"w": 64.0}
    none = search(Grid.of("w", [1, 2, 4], step=2.0), peak_at(1e6), max_moves=0)
    assert none.moves == [] and tried(none) == [1, 2, 4] and none.at_edge


def test_moving_can_be_turned_off():
    result = search(Grid.of("w", [1, 2, 4], step=2.0), peak_at(100), move_on_edge=False)
    assert result.moves == [] and result.stopped == "no moves" and result.at_edge
    assert result.best == {"w": 4.0}


def test_ties_take_the_setting_tried_first():
    result = search(Grid.of("w", [1, 2, 4, 8], step=2.0), lambda s: 1.0 if s["w"] in (2, 4) else 0.0)
    assert result.best == {"w": 2.0} and result.moves == []
    # A tie between the two edges: the first tried (the bottom) wins, so the grid moves down.
    flat = search(Grid.of("w", [1, 2, 4], step=2.0), lambda s: 0.5, max_moves=1)
    assert flat.best == {"w": 1.0} and flat.moves[0]["direction"] == "down"


def test_every_setting_tried_is_recorded_once_with_its_score():
    calls = []

    def score(setting):
        calls.append(setting["w"])
        return -abs(setting["w"] - 20)

    result = search(Grid.of("w", [1, 2, 4, 8], step=2.0), score)
    assert calls == tried(result)  # each scored once, in the table's order
    assert len(set(calls)) == len(calls)
    assert [row["score"] for row in result.table] == [-abs(w - 20) for w in calls]
    assert result.score == max(row["score"] for row in result.table)


def test_failed_scores_are_never_chosen():
    result = search(Grid.of("w", [1, 2, 4], step=2.0),
                    lambda s: None if s["w"] == 4 else float("nan") if s["w"] == 1 else 0.3)
    assert result.best == {"w": 2.0} and result.moves == []
    nothing = search(Grid.of("w", [1, 2], step=2.0), lambda s: None)
    assert nothing.best is None and nothing.score is None


def test_a_bound_shortens_or_stops_a_move():
    grid = Grid.of("p", [0.25, 0.5, 0.75], step=("linear", 0.25), low=0.25, high=1.0)
    result = search(grid, lambda s: s["p"])
    assert result.moves == [{"direction": "up", "by": 1,
                             "reason": "best setting at the top edge of those tried"}]
    assert result.best == {"p": 1.0} and result.stopped == "bound" and result.at_edge


def test_the_other_hyperparameters_keep_the_edge_setting_s_values():
    pairs = [{"alpha": a, "beta": b} for a, b in ((0.03, 0.5), (0.1, 0.5), (0.1, 1.0), (0.3, 1.0))]
    grid = as_grid(pairs)
    assert grid.axis == "alpha" and grid.step == "1-3"
    assert grid.shifted(3).settings[1:] == [{"alpha": a, "beta": 1.0} for a in (1.0, 3.0, 10.0)]
    assert grid.shifted(-3).settings[:3] == [{"alpha": a, "beta": 0.5} for a in (0.001, 0.003, 0.01)]


def test_a_plain_list_infers_its_step_and_sorts_by_its_axis():
    assert infer_step([1e3, 1e4, 1e5, 1e6]) == 10.0
    assert infer_step([0.5, 1, 2, 4]) == 2.0
    assert infer_step([30, 100, 300, 1000]) == "1-3"
    assert infer_step([0.01, 0.02, 0.05]) == "1-2-5"
    assert infer_step([0.25, 0.5, 0.75]) == ("linear", 0.25)
    grid = as_grid([{"w": 300.0, "l": 1.0}, {"w": 100.0, "l": 1.0}, {"w": 1000.0, "l": 1.0},
                    {"w": 300.0, "l": 0.5}])
    assert [s["w"] for s in grid] == [100.0, 300.0, 300.0, 1000.0]
    assert as_grid([{}]) is None and as_grid([{"w": 1.0}]) is None


def test_a_grid_with_nothing_to_vary_scores_its_one_setting():
    result = search([{}], lambda s: 0.7)
    assert result.best == {} and result.score == 0.7 and len(result.table) == 1


def test_bad_grids_are_refused():
    with pytest.raises(ValueError, match="ladder"):
        Grid.of("w", [0.25, 1.0], step="1-3")
    with pytest.raises(ValueError, match="ratio"):
        Grid.of("w", [1.0, 2.0], step=0.5)
    with pytest.raises(ValueError, match="axis"):
        Grid([{"a": 1.0}], "w", 2.0)
