"""Old names that still work for one release, each with a warning that names the new one.

`renamed_argument` serves a keyword argument under its old name;
`moved` serves a public name from its new home (from a package's module
`__getattr__`). Both warn with `DeprecationWarning`, once per call site as
Python's warning filter decides.

This module imports nothing from the package: every layer may use it.
"""

import importlib
import warnings


def renamed_argument(kwargs, old, new, where):
    """Moves `kwargs[old]` to `kwargs[new]` with a warning; refuses both given.

    Args:
        kwargs: the caller's keyword arguments (a dict, changed in place).
        old: the argument's old name.
        new: its name now.
        where: the function, for the message (`"grow_ensemble"`).

    Returns:
        `kwargs`.

    Raises:
        TypeError: both `old` and `new` were given.

    Example:
        >>> def grow(network, **kwargs):
        ...     kwargs = renamed_argument(kwargs, "step_size", "step_length", "grow")
    """
    if old in kwargs:
        if new in kwargs:
            raise TypeError(f"{where}() got both {old!r} (its old name) and {new!r}; give {new!r}.")
        warnings.warn(f"{where}(): {old!r} is now called {new!r}; the old name goes in the next "
                      "release.", DeprecationWarning, stacklevel=3)
        kwargs[new] = kwargs.pop(old)
    return kwargs


def moved(name, table, where):
    """The object a deprecated public name stands for, with a warning naming its new home.

    Args:
        name: the name asked for.
        table: `{old name: "new.module:attribute"}`.
        where: the module the old name was read from (`__name__`).

    Returns:
        The object at its new home.

    Raises:
        AttributeError: `name` is not in `table` (what a module raises for an
            unknown attribute).

    Example:
        >>> def __getattr__(name):  # in a package's __init__.py
        ...     return moved(name, {"run_method": "keras_fip.sparsity.peers:prune"}, __name__)
    """
    if name not in table:
        raise AttributeError(f"module {where!r} has no attribute {name!r}")
    module, _, attribute = table[name].partition(":")
    warnings.warn(f"{where}.{name} is now {module}.{attribute}; the old name goes in the next "
                  "release.", DeprecationWarning, stacklevel=3)
    return getattr(importlib.import_module(module), attribute)
