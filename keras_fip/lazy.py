"""`serve`: a package's public names, each imported from its home when first read.

The job packages and `keras_fip.experiments` load lazily, so that the command's
`--help` reads the registries without importing TensorFlow, and `import
keras_fip.sparsity` costs nothing until a name is used.

This module imports nothing from the package: every layer may use it.
"""

import importlib
import sys


def serve(package, homes):
    """The module `__getattr__` and `__dir__` of a package whose names load on first read.

    Args:
        package: the package's `__name__`.
        homes: `{public name: home}`; a home is a module (absolute, or relative to
            `package` when it starts with "."), whose attribute of the same name
            is served, or `"module:attribute"` for another attribute.

    Returns:
        `(__getattr__, __dir__)`, to assign at the package's top level.

    Raises:
        AttributeError: from `__getattr__`, for a name not in `homes`.

    Example:
        >>> __getattr__, __dir__ = serve(__name__, {"prune": ".pruning"})
    """

    def __getattr__(name):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attribute = homes[name].partition(":")
        value = getattr(importlib.import_module(module, package), attribute or name)
        setattr(sys.modules[package], name, value)  # read once: later reads skip this
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(homes))

    return __getattr__, __dir__
