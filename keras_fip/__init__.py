"""keras-fip: functionally invariant paths (Raghavan & Thomson) for Keras 3.

Train a network along paths in weight space on which its function on protected
data stays the same while a second objective (a new task, sparsity, diversity)
improves.

`import keras_fip` is light: it imports neither Keras nor any job. Each public
name (`keras_fip.FIPModel`, `keras_fip.geometry`, ...) is imported from its home
the first time it is read (a module `__getattr__`), so `keras-fip --help` answers
without TensorFlow, whatever the program is called.

Saved models: keras-fip's serialisable classes (`FIPModel`, `FIPEnsemble`,
`SparsityObjective`, the continual methods' parts, ...) are registered with Keras
when the modules that define them are imported, and `keras.models.load_model`
finds only registered classes. `load_model` needs Keras, so the package registers
them as soon as Keras is there:

- at `import keras_fip` when Keras is already imported (the usual order);
- else right after Keras' own import ends (a one-shot import hook, gone once it
  has fired). When it is a keras-fip module that imports Keras, the registration
  waits until no keras-fip module is half-imported (the next import after);
- and whenever a public name is read from the package.

`register_keras_classes()` does it at once, for code that wants to be sure.
"""

import importlib
import importlib.abc
import sys

from keras_fip._version import __version__

#: Public name -> "module:attribute" (an empty attribute: the module itself).
_EXPORTS = {
    "AnchorMemory": "keras_fip.engine:AnchorMemory",
    "FIPModel": "keras_fip.engine:FIPModel",
    "NaNGuard": "keras_fip.engine:NaNGuard",
    "Objective": "keras_fip.engine:Objective",
    "PathRecorder": "keras_fip.engine:PathRecorder",
    "PathResult": "keras_fip.engine:PathResult",
    "PathStep": "keras_fip.engine:PathStep",
    "distances": "keras_fip.engine.distances:",
    "traverse": "keras_fip.engine:traverse",
    "FIPEnsemble": "keras_fip.robustness:FIPEnsemble",
    "WeightDiversity": "keras_fip.robustness:WeightDiversity",
    "SparsityObjective": "keras_fip.sparsity:SparsityObjective",
    "geometry": "keras_fip.geometry:",
}

# A literal list: the docs read it without importing the package.
__all__ = [
    "AnchorMemory", "FIPEnsemble", "FIPModel", "NaNGuard", "Objective", "PathRecorder",
    "PathResult", "PathStep", "SparsityObjective", "WeightDiversity", "distances", "geometry",
    "register_keras_classes", "traverse", "__version__",
]
assert set(__all__) == {*_EXPORTS, "register_keras_classes", "__version__"}

#: The modules that define keras-fip's registered Keras classes (tests/test_cli.py
#: checks that the list is complete).
_REGISTERING = (
    "keras_fip.engine.distances", "keras_fip.engine.memory", "keras_fip.engine.model",
    "keras_fip.engine.objectives", "keras_fip.engine.steps",
    "keras_fip.continual.legacy", "keras_fip.continual.losses", "keras_fip.continual.terms",
    "keras_fip.continual.methods.ewc",
    "keras_fip.sparsity.distill", "keras_fip.sparsity.objective", "keras_fip.sparsity.schedules",
    "keras_fip.robustness.directions", "keras_fip.robustness.diversify",
    "keras_fip.robustness.ensemble", "keras_fip.robustness.peers.fge",
)


def register_keras_classes():
    """Registers every keras-fip class with Keras, so `keras.models.load_model` finds them.

    Imports the packages that define them (Keras and the backend with them).
    Done for you (see the module docstring); calling it again costs nothing.

    Returns:
        None.

    Raises:
        ImportError: a package that defines registered classes cannot be imported.

    Example:
        >>> import keras_fip
        >>> keras_fip.register_keras_classes()
        >>> ensemble = keras.models.load_model("ensemble.keras")
    """
    for module in _REGISTERING:
        importlib.import_module(module)


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'keras_fip' has no attribute {name!r}")
    module, _, attribute = _EXPORTS[name].partition(":")
    value = importlib.import_module(module)
    if attribute:
        value = getattr(value, attribute)
    register_keras_classes()
    globals()[name] = value  # read once: later reads skip __getattr__
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))


def _half_imported():
    """Whether a keras-fip module is being imported now (registering would meet it half-made)."""
    return any(getattr(getattr(module, "__spec__", None), "_initializing", False)
               for name, module in list(sys.modules.items())
               if name == "keras_fip" or name.startswith("keras_fip."))


class _AfterKeras(importlib.abc.MetaPathFinder):
    """Registers keras-fip's classes once Keras is imported, then leaves `sys.meta_path`."""

    loaded = False  # whether Keras' module has run to its end

    def find_spec(self, name, path=None, target=None):
        if self.loaded and not _half_imported():
            sys.meta_path.remove(self)
            register_keras_classes()
            return None
        if name != "keras":
            return None
        # Keras' own spec, from the finders after this one, with a loader that
        # tells this finder when Keras is imported.
        index = sys.meta_path.index(self)
        for finder in sys.meta_path[index + 1:]:
            spec = getattr(finder, "find_spec", lambda *a: None)(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Announcing(spec.loader, self)
                return spec
        return None

    def keras_loaded(self):
        self.loaded = True
        if not _half_imported() and self in sys.meta_path:
            sys.meta_path.remove(self)
            register_keras_classes()
        # else: the next import (find_spec above) registers, once nothing is half-imported


class _Announcing(importlib.abc.Loader):
    """Keras' loader, which tells `_AfterKeras` when Keras' module has run."""

    def __init__(self, loader, finder):
        self.loader, self.finder = loader, finder

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__spec__.loader = module.__loader__ = self.loader  # Keras keeps its own
        self.loader.exec_module(module)
        self.finder.keras_loaded()

    def __getattr__(self, name):
        return getattr(self.loader, name)


if "keras" in sys.modules:
    register_keras_classes()
elif not any(isinstance(finder, _AfterKeras) for finder in sys.meta_path):
    sys.meta_path.insert(0, _AfterKeras())
