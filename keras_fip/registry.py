"""`Registry`: the names a job answers to, in one table per kind of thing.

Continual methods, pruning peers, robust ensembles, attacks and output
distances each live in one registry. Adding one is one entry (usually a
decorator on the function or class that implements it); the command line, the
tuner and the reports read the names from the registry, so nothing else has to
change. An unknown name is an error that lists the known ones, never a silent
fall-through to some default.

An entry may be given as `"package.module:attribute"`: it is imported the first
time it is asked for, so a registry of names can be read (by `keras-fip --help`)
without importing TensorFlow.

This module imports nothing from the package: every layer may use it.
"""

import importlib


class Registry:
    """An ordered table `name -> entry` for one kind of thing.

    Args:
        kind: what the entries are, for error messages ("continual method").

    Raises:
        ValueError: from `register`, a name already taken; from `get`, an
            unknown name (the message lists the known ones).

    Example:
        >>> attacks = Registry("attack")
        >>> @attacks.register("fgsm")
        ... def fgsm(model, x, eps):
        ...     ...
        >>> attacks.get("fgsm") is fgsm, attacks.names()
        (True, ('fgsm',))
    """

    def __init__(self, kind):
        self.kind = kind
        self._entries = {}

    def register(self, name, entry=None):
        """Adds `entry` under `name`; without `entry`, a decorator that adds what it wraps.

        Returns:
            `entry` (or the decorator), so that the decorated object stays itself.
        """
        if entry is None:
            return lambda wrapped: self.register(name, wrapped)
        if name in self._entries:
            raise ValueError(f"The {self.kind} {name!r} is registered twice.")
        self._entries[name] = entry
        return entry

    def get(self, name):
        """The entry registered as `name` (a `"module:attribute"` entry, imported now)."""
        try:
            entry = self._entries[name]
        except (KeyError, TypeError):
            known = ", ".join(self._entries) or "none"
            raise ValueError(f"Unknown {self.kind} {name!r}; known: {known}.") from None
        if isinstance(entry, str) and ":" in entry:
            module, _, attribute = entry.partition(":")
            entry = getattr(importlib.import_module(module), attribute)
            self._entries[name] = entry
        return entry

    def names(self):
        """The registered names, in the order they were registered (a tuple)."""
        return tuple(self._entries)

    def items(self):
        """`(name, entry)` pairs, in registration order (every entry imported)."""
        return tuple((name, self.get(name)) for name in self._entries)

    def __contains__(self, name):
        return name in self._entries

    def __iter__(self):
        return iter(self._entries)

    def __len__(self):
        return len(self._entries)

    def __repr__(self):
        return f"Registry({self.kind!r}: {', '.join(self._entries)})"
