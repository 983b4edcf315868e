"""Comma-separated option values, with the error a user can act on."""


def number_list(text, kind=float, what="value"):
    """`"0.1,0.2"` -> `[0.1, 0.2]`; raises ValueError naming the option otherwise."""
    noun = "integers" if kind is int else "numbers"
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise ValueError(f"{what}: expected comma-separated {noun}, got {text!r}") from None
    if not values:
        raise ValueError(f"{what}: give at least one value")
    return values
