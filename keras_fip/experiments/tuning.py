"""One grid search for every tuner: an ordered 1-D grid that moves when its best setting is on an edge.

Every method of every job (continual, sparsification, robustness) chooses its
hyperparameters with `search`, under one rule, so no method's grid is moved by
hand while another's is left where it was:

- A `Grid` is an ordered sequence of settings (dicts) along one *primary axis*
  (a hyperparameter such as `fip_weight` or `learning_rate`); the other
  hyperparameters of a setting ride along. Its settings are sorted by the
  primary axis (ties: by the other values, as given).
- Beyond its ends a grid extends by its `step`: the primary axis moves by the
  step (a ratio for a geometric grid, a "ladder" such as 1-3-10 or 1-2-5, or a
  difference for a linear grid), and the other hyperparameters keep the values
  of the end setting they extend. A grid may have bounds on the primary axis
  (`low`, `high`, inclusive) that it never leaves.
- `search(grid, score)` scores every setting of the grid. **The move rule:**
  while the best setting tried so far is the lowest or the highest setting
  tried so far (an edge), and fewer than `max_moves` moves were made, the grid
  is shifted by `len(grid) - 1` positions towards that edge, so that the new
  window keeps the edge setting and brings `len(grid) - 1` new ones (the same
  number of settings per window for every method); only the new settings are
  scored. Where a bound stops the shift, the grid shifts as far as the bound
  lets it (fewer new settings); where it cannot shift at all, the search stops
  at the bound. The best is the highest score over everything tried; ties go
  to the setting tried first; a score of None or NaN (a run that diverged) is
  never best.
- Every setting tried, every move and whether the choice is still on an edge
  (`at_edge`: the moves ran out) are in the returned `SearchResult`, for the
  report.

A plain list of settings is a grid too (`as_grid`): its primary axis is the
first hyperparameter whose value varies, and its step is inferred from its
values: their ratio when the ratio between neighbours is constant (a geometric
grid: 1, 2, 4, 8 doubles; 1e3 ... 1e6 goes by decades), else their difference
when that is constant or a value is zero or negative (a linear grid), else the
1-3-10 ladder when every value is 1 or 3 times a power of ten (30, 100, 300,
1000), the 1-2-5 ladder for 1, 2 or 5 times a power of ten, else the ratio of
the two highest values.

Example:
    >>> grid = Grid.of("learning_rate", [5e-4, 1e-3, 2e-3, 4e-3], step=2.0)
    >>> result = search(grid, lambda s: -abs(s["learning_rate"] - 0.01))
    >>> result.best, [m["direction"] for m in result.moves]
    ({'learning_rate': 0.008}, ['up'])
"""

from __future__ import annotations

import dataclasses
import math

#: The ladders a step may name, as mantissas within one decade.
LADDERS = {"1-3": (1.0, 3.0), "1-2-5": (1.0, 2.0, 5.0), "1-10": (1.0,)}


def _tidy(value):
    """Rounds away floating-point dust (0.30000000000000004 -> 0.3)."""
    return float(f"{value:.12g}")


def _ladder_position(value, mantissas):
    """`(decade, index)` of a value on a ladder, or None when it is not on it."""
    if value <= 0:
        return None
    decade = math.floor(math.log10(value) + 1e-9)
    mantissa = value / 10.0 ** decade
    for index, m in enumerate(mantissas):
        if abs(mantissa - m) <= 1e-6 * m:
            return decade, index
    return None


class Grid:
    """An ordered 1-D grid of settings with the rule that extends it (see the module).

    Args:
        settings: the settings (dicts) of the grid's first window, each with
            the primary `axis`; sorted here by the axis (stable).
        axis: the primary axis, the hyperparameter that moves.
        step: how the axis extends beyond the ends: a number > 1 (ratio of a
            geometric grid), a ladder name ("1-3", "1-2-5", "1-10"), or
            `("linear", difference)`.
        low, high: inclusive bounds of the axis (None: unbounded).
        offset: the window's position: 0 is the first window, k the window
            shifted by k positions (`shifted`).

    Example:
        >>> Grid.of("fip_weight", [30.0, 100.0, 300.0, 1000.0], step="1-3").shifted(3).settings
        [{'fip_weight': 1000.0}, {'fip_weight': 3000.0}, {'fip_weight': 10000.0}, {'fip_weight': 30000.0}]
    """

    def __init__(self, settings, axis, step, low=None, high=None, offset=0):
        settings = [dict(s) for s in settings]
        if not settings:
            raise ValueError("a grid needs at least one setting")
        missing = [s for s in settings if axis not in s]
        if missing:
            raise ValueError(f"every setting of the grid needs its axis {axis!r}: {missing[0]}")
        order = sorted(range(len(settings)), key=lambda i: float(settings[i][axis]))
        base = tuple(tuple(settings[i].items()) for i in order)
        if isinstance(step, str):
            if step not in LADDERS:
                raise ValueError(f"unknown ladder {step!r}; choose among {sorted(LADDERS)}")
            for s in settings:
                if _ladder_position(float(s[axis]), LADDERS[step]) is None:
                    raise ValueError(f"{axis}={s[axis]} is not on the {step} ladder")
        elif isinstance(step, (tuple, list)):
            if len(step) != 2 or step[0] != "linear" or not float(step[1]) > 0:
                raise ValueError(f"a linear step is ('linear', difference > 0), got {step!r}")
            step = ("linear", float(step[1]))
        else:
            if not float(step) > 1.0:
                raise ValueError(f"a geometric step is a ratio > 1, got {step!r}")
            step = float(step)
            if any(float(s[axis]) <= 0 for s in settings):
                raise ValueError(f"a geometric grid needs {axis} > 0")
        self.base, self.axis, self.step = base, axis, step
        self.low = None if low is None else float(low)
        self.high = None if high is None else float(high)
        self.offset = int(offset)

    @classmethod
    def of(cls, axis, values, step, fixed=None, low=None, high=None):
        """A grid over `values` of `axis`, every setting with the `fixed` hyperparameters too."""
        return cls([{**(fixed or {}), axis: float(v)} for v in values], axis, step, low, high)

    def __len__(self):
        return len(self.base)

    def _move(self, value, steps):
        """The axis value `steps` positions beyond `value` (negative: below it)."""
        if isinstance(self.step, str):
            mantissas = LADDERS[self.step]
            decade, index = _ladder_position(value, mantissas)
            position = decade * len(mantissas) + index + steps
            decade, index = divmod(position, len(mantissas))
            return _tidy(mantissas[index] * 10.0 ** decade)
        if isinstance(self.step, tuple):
            return _tidy(value + steps * self.step[1])
        return _tidy(value * self.step ** steps)

    def setting(self, index):
        """The setting at an absolute position (0 .. len-1: the first window)."""
        n = len(self.base)
        if 0 <= index < n:
            return dict(self.base[index])
        edge = dict(self.base[-1] if index >= n else self.base[0])
        beyond = index - (n - 1) if index >= n else index
        edge[self.axis] = self._move(float(edge[self.axis]), beyond)
        return edge

    def allowed(self, index):
        """Whether the setting at `index` lies within the bounds."""
        value = float(self.setting(index)[self.axis])
        if isinstance(self.step, (str, float)) and value <= 0:
            return False
        return ((self.low is None or value >= self.low - 1e-12)
                and (self.high is None or value <= self.high + 1e-12))

    @property
    def indices(self):
        return range(self.offset, self.offset + len(self.base))

    @property
    def settings(self):
        """The window's settings, in order."""
        return [self.setting(i) for i in self.indices]

    def __iter__(self):
        return iter(self.settings)

    def __getitem__(self, item):
        return self.settings[item]

    def shifted(self, k):
        """The same grid, its window moved by `k` positions (positive: up the axis)."""
        if not k:
            return self
        return Grid([dict(items) for items in self.base], self.axis, self.step, self.low,
                    self.high, self.offset + int(k))

    def describe(self):
        """The grid for a report: axis, step, bounds and the window's settings."""
        step = self.step if not isinstance(self.step, tuple) else {"linear": self.step[1]}
        return {"axis": self.axis, "step": step, "low": self.low, "high": self.high,
                "settings": self.settings}

    def __repr__(self):
        return (f"Grid({self.axis!r}, step={self.step!r}, offset={self.offset}, "
                f"settings={self.settings!r})")


def infer_step(values):
    """The step a plain list of axis values implies (see the module)."""
    values = sorted(set(float(v) for v in values))
    if len(values) < 2:
        return 10.0
    if values[0] > 0:
        ratios = [b / a for a, b in zip(values, values[1:])]
        if max(ratios) - min(ratios) <= 1e-6 * max(ratios):
            return _tidy(ratios[-1])
    differences = [b - a for a, b in zip(values, values[1:])]
    if max(differences) - min(differences) <= 1e-9 * max(abs(v) for v in values) \
            or values[0] <= 0:
        return ("linear", _tidy(differences[-1]))
    for name in ("1-3", "1-2-5"):
        if all(_ladder_position(v, LADDERS[name]) is not None for v in values):
            return name
    return values[-1] / values[-2]


def as_grid(grid, bounds=None):
    """A `Grid` from a `Grid` or a plain list of settings (see the module's inference rule).

    Args:
        grid: a `Grid` or a list of settings (dicts).
        bounds: `{axis: (low, high)}`, the bounds of an inferred grid's axis
            (a hyperparameter that must stay in a range, such as a fraction).

    Returns:
        A `Grid`, or None for a list whose settings have no varying
        hyperparameter (or no settings, or `[{}]`): there is nothing to search.
    """
    if isinstance(grid, Grid):
        return grid
    settings = [dict(s) for s in grid]
    if len(settings) < 2:
        return None
    keys = list(dict.fromkeys(k for s in settings for k in s))
    varying = [k for k in keys if len({repr(s.get(k)) for s in settings}) > 1]
    if not varying:
        return None
    axis = varying[0]
    low, high = (bounds or {}).get(axis, (None, None))
    return Grid(settings, axis, infer_step([s[axis] for s in settings]), low, high)


@dataclasses.dataclass
class SearchResult:
    """What `search` returns.

    Attributes:
        best: the chosen setting (None when every score was None or NaN).
        score: its score.
        table: every setting tried, in the order tried: `setting`, `score`,
            `position` (0 .. len-1: the first window) and `window` (0: the first
            window, k: after the k-th move).
        moves: one dict per move: `direction` ("up" or "down"), `by`
            (positions), `reason`.
        at_edge: the choice is still the lowest or highest setting tried
            (the moves ran out, or a bound stopped them).
        stopped: why the search stopped: "inside" (the best is inside what
            was tried), "max_moves", "bound" or "no moves" (`move_on_edge` off).
        grid: the last window (`Grid.describe()`).
    """

    best: dict | None
    score: float | None
    table: list
    moves: list
    at_edge: bool
    stopped: str
    grid: dict

    def to_dict(self):
        return dataclasses.asdict(self)


def _value(score):
    if score is None:
        return -math.inf
    score = float(score)
    return -math.inf if math.isnan(score) else score


def search(grid, score, *, move_on_edge=True, max_moves=2, bounds=None):
    """Scores a grid's settings, moving the grid while its best is on an edge (see the module).

    Args:
        grid: a `Grid`, or a plain list of settings (`as_grid`).
        score: `setting -> number` (higher is better; None or NaN: failed).
        move_on_edge: apply the move rule (False: score the first window only).
        max_moves: the most moves.
        bounds: `{axis: (low, high)}` for a plain list's inferred axis (`as_grid`).

    Returns:
        A `SearchResult`.

    Example:
        >>> result = search(Grid.of("alpha", [0.03, 0.1, 0.3, 1.0], step="1-3"), evaluate)
        >>> result.best, len(result.table), result.moves
    """
    if max_moves < 0:
        raise ValueError(f"max_moves must be >= 0, got {max_moves}")
    window = as_grid(grid, bounds)
    if window is None:  # nothing varies: the one setting (or none) is scored once
        settings = [dict(s) for s in grid] or [{}]
        table = [{"setting": settings[0], "score": score(settings[0]), "position": 0,
                  "window": 0}]
        ok = _value(table[0]["score"]) > -math.inf
        return SearchResult(settings[0] if ok else None, table[0]["score"] if ok else None,
                            table, [], False, "inside", {"settings": settings[:1]})
    scores, table, moves = {}, [], []
    stopped = "no moves" if not move_on_edge else None
    while True:
        for index in window.indices:
            if index not in scores:
                setting = window.setting(index)
                scores[index] = score(setting)
                table.append({"setting": setting, "score": scores[index], "position": index,
                              "window": len(moves)})
        order = {row["position"]: k for k, row in enumerate(table)}
        best = max(scores, key=lambda i: (_value(scores[i]), -order[i]))
        lowest, highest = min(scores), max(scores)
        edge = ("down" if best == lowest else "up" if best == highest else None) \
            if _value(scores[best]) > -math.inf else None
        if edge is None:
            stopped = stopped or "inside"
            break
        if stopped == "no moves":
            break
        if len(moves) >= max_moves:
            stopped = "max_moves"
            break
        sign = 1 if edge == "up" else -1
        by = 0
        for k in range(len(window) - 1, 0, -1):  # as far as the bounds let it, up to len-1
            shifted = window.shifted(sign * k)
            if all(window.allowed(i) for i in shifted.indices):
                by = k
                break
        if by == 0:
            stopped = "bound"
            break
        window = window.shifted(sign * by)
        moves.append({"direction": edge, "by": by,
                      "reason": f"best setting at the {'top' if edge == 'up' else 'bottom'} "
                                "edge of those tried"})
    ok = _value(scores[best]) > -math.inf
    at_edge = ok and best in (min(scores), max(scores))
    return SearchResult(window.setting(best) if ok else None, scores[best] if ok else None,
                        table, moves, bool(at_edge), stopped, window.describe())


__all__ = ["Grid", "LADDERS", "SearchResult", "as_grid", "infer_step", "search"]
