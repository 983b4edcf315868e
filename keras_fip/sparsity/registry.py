"""`METHODS`: every pruning method by name, FIP's and its peers', with what the experiment reads.

Each entry is a `Method`: the function that runs it (a `"module:attribute"`
imported on first use, so that `keras-fip sparsify --help` reads the names
without TensorFlow), whether it trains on labels, whether it can run without
them and its name in a label-free report, its default settings and its
validation grid. Adding a pruning method is one function and one entry here:
the command's choices and help, the tuner and the report read it from here.

Every function takes `(network, x, y, *, sparsity, steps, batch_size, seed,
verbose, scope, min_density, **settings)` (plus `label_free=` and
`validation_data=` where the entry says so) and returns a
`SparsificationResult`; `keras_fip.sparsity.prune` calls it.
"""

import dataclasses
import importlib

from keras_fip.registry import Registry

#: The validation grid of every learning-rate method: four settings, doubling.
LEARNING_RATES = (5e-4, 1e-3, 2e-3, 4e-3)


@dataclasses.dataclass(frozen=True)
class Method:
    """One pruning method, as the experiment, the command and the tuner read it.

    Args:
        function: `"module:attribute"` of the function that runs it.
        summary: one line for the command's help.
        uses_labels: whether it trains on labels when they are given.
        label_free: whether it can run without labels; a method that cannot
            still trains on labels in a label-free run, named "<name> (labels)".
        label_free_label: its name in a label-free report, when that differs.
        walks_path: a FIP method: it takes `validation_data`, and its rows
            carry what the path kept at arrival.
        takes_label_free: its function takes `label_free=` (it behaves
            differently without labels, beyond not reading them).
        defaults: its settings when not tuned (what the report's config lists).
        settings: every setting it takes (the defaults' names, and more).
        grid: its validation grid: a list of settings, or `Grid.of`'s
            arguments as a dict (`axis`, `values`, `step`, `fixed`).
        needs_tensorflow: what it needs TensorFlow for, so that another backend
            is refused before any work (None: no refusal ahead).

    Returns:
        A frozen dataclass.

    Raises:
        TypeError: a required field is missing (a dataclass).

    Example:
        >>> METHODS.get("gmp").label(label_free=True)
        'gmp (labels)'
    """

    function: str
    summary: str
    uses_labels: bool = True
    label_free: bool = True
    label_free_label: str = None
    walks_path: bool = False
    takes_label_free: bool = False
    defaults: dict = dataclasses.field(default_factory=lambda: {"learning_rate": 1e-3})
    settings: tuple = ("learning_rate",)
    grid: object = dataclasses.field(
        default_factory=lambda: [{"learning_rate": lr} for lr in LEARNING_RATES])
    needs_tensorflow: str = None

    def resolve(self):
        """The function that runs the method (imported now)."""
        module, _, attribute = self.function.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def trains_on_labels(self, label_free=False):
        """Whether a run reads labels: in a label-free run, only a method that needs them."""
        return not self.label_free if label_free else self.uses_labels


METHODS = Registry("pruning method")
#: What a comparison runs when not told (`keras-fip sparsify` without --methods).
DEFAULT_METHODS = ("fip", "oneshot", "gmp", "tfmot", "tfmot_global")


def label(name, label_free=False):
    """The method's name in tables: "gmp (labels)" for a labelled method in a label-free run."""
    method = METHODS.get(name)
    if label_free and not method.label_free:
        return f"{name} (labels)"
    if label_free and method.label_free_label:
        return method.label_free_label
    return name


_FIP = "keras_fip.sparsity.fip_methods"
_PEERS = "keras_fip.sparsity.peers"
_KD = ("learning_rate", "temperature")

METHODS.register("fip", Method(
    f"{_FIP}:prune_fip", "the path (at most path_fraction of the budget), then fine-tuning",
    walks_path=True, takes_label_free=True,
    defaults={"path_fraction": 0.5, "learning_rate": 1e-3},
    settings=("path_fraction", "learning_rate"),
    # The fine-tuning learning rate, as for every peer; the share of the budget
    # the path may take stays at 0.5, the value chosen on every model when it
    # was tuned on seed 0 (grid 0.25 / 0.5 / 0.75, before issue 21).
    grid={"axis": "learning_rate", "values": LEARNING_RATES, "step": 2.0,
          "fixed": {"path_fraction": 0.5}}))
METHODS.register("fip_pull", Method(
    f"{_FIP}:prune_fip_pull", "fip whose pull grows until the path reaches the sparse set",
    walks_path=True, takes_label_free=True,
    defaults={"path_fraction": 0.5, "learning_rate": 1e-3, "pull_growth": 1.5},
    settings=("path_fraction", "learning_rate", "pull_growth"),
    grid={"axis": "learning_rate", "values": LEARNING_RATES, "step": 2.0,
          "fixed": {"path_fraction": 0.5, "pull_growth": 1.5}}))
METHODS.register("fip_reference", Method(
    f"{_FIP}:prune_fip_reference",
    "the reference notebook's path unchanged, the whole budget, no fine-tuning",
    uses_labels=False, walks_path=True, defaults={}, settings=(),
    grid=[{}]))  # the reference runs as it ships: nothing to choose
METHODS.register("fip_ramp", Method(
    f"{_FIP}:prune_fip_ramp",
    "a FIP whose target rises on gmp's cubic schedule, FIP steps restoring the function, "
    "no labels", uses_labels=False, walks_path=True,
    defaults={"step_length": 0.2}, settings=("step_length",),
    grid=[{"step_length": v} for v in (0.05, 0.1, 0.2, 0.4)]))  # it trains no learning rate
METHODS.register("oneshot", Method(
    f"{_PEERS}.one_shot:prune_one_shot", "global magnitude pruning + fine-tuning",
    takes_label_free=True, label_free_label="oneshot (no fine-tuning)"))
METHODS.register("oneshot_kd", Method(
    f"{_PEERS}.one_shot:one_shot_kd",
    "oneshot trained by distillation to the dense network's outputs", settings=_KD))
METHODS.register("obs", Method(
    f"{_PEERS}.obs:fisher_pruning",
    "one-shot pruning by w^2 / [F^-1]_ii with a diagonal Fisher, then fine-tuning",
    takes_label_free=True, settings=_KD))
METHODS.register("gmp", Method(
    f"{_PEERS}.gradual:gradual_magnitude", "gradual global magnitude pruning, cubic schedule",
    label_free=False))
METHODS.register("gmp_kd", Method(
    f"{_PEERS}.gradual:gradual_magnitude_kd",
    "gmp trained by distillation to the dense network's outputs", settings=_KD))
METHODS.register("tfmot", Method(
    f"{_PEERS}.tfmot:tfmot_polynomial", "tfmot's PolynomialDecay, every layer to the target",
    label_free=False, needs_tensorflow="tensorflow-model-optimization"))
METHODS.register("tfmot_global", Method(
    f"{_PEERS}.tfmot:prune_global",
    "tfmot with per-layer targets from one global magnitude cut",
    label_free=False, needs_tensorflow="tensorflow-model-optimization"))
