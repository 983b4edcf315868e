"""`ENSEMBLES` and `ATTACKS`: the ensemble methods and the attacks of the robustness job, by name.

Each entry is an `EnsembleMethod`: how to build the ensemble from what the
experiment has (`EnsembleInputs`), its name in the report, its description, the
settings only it reads (the command refuses them without it) and the grid it
is tuned on. The experiment, the command line and the tuner read this table,
so adding a method is one entry: a module defining an `EnsembleMethod` and its
line below.

Entries are given as `"module:attribute"` and imported on first use, so the
names can be listed (`keras-fip robust --help`) without importing TensorFlow.
"""

import dataclasses
from typing import Callable, Optional

from keras_fip.registry import Registry


@dataclasses.dataclass(frozen=True)
class EnsembleInputs:
    """What every ensemble method is built from, the same for all of them.

    Args:
        start: the trained starting network.
        start_cost: the start's training cost (`steps`, `examples`, ...).
        build: a function returning a new, untrained network of the architecture.
        x_fit, y_fit: the training data less the validation split.
        x_val, y_val: the validation split.
        config: the experiment's settings (an object with the attributes the
            methods read: `members`, `average`, `seed`, `fge_lr_max`, ...).
        path_batch_size: the FIP paths' batch size.

    Raises:
        TypeError: a field is missing (a dataclass).

    Example:
        >>> inputs = EnsembleInputs(start, cost, build, x_fit, y_fit, x_val, y_val, config, 32)
        >>> built = ENSEMBLES.get("fge").build(inputs)
    """

    start: object
    start_cost: dict
    build: Callable
    x_fit: object
    y_fit: object
    x_val: object
    y_val: object
    config: object
    path_batch_size: int

    @property
    def path_budget(self):
        """The FIP path's steps when no candidate fails (`burn_in + members * steps_between`)."""
        return self.config.burn_in + self.config.members * self.config.steps_between

    def with_settings(self, **settings):
        """The same inputs with some of `config`'s settings replaced (for the tuner)."""
        return dataclasses.replace(self, config=dataclasses.replace(self.config, **settings))


@dataclasses.dataclass
class Built:
    """What an `EnsembleMethod` builds: the ensemble, its own cost, its report entry.

    Args:
        ensemble: the `FIPEnsemble`.
        cost: the method's own training cost (the start's not included).
        settings: what the report's config says of this method (or None).
        growth: the `GrowthResult` of a FIP path (None for the peers).

    Raises:
        TypeError: a field is missing (a dataclass).

    Example:
        >>> built = ENSEMBLES.get("deep").build(inputs)
        >>> built.ensemble, built.cost["steps"]
    """

    ensemble: object
    cost: dict
    settings: Optional[dict] = None
    growth: object = None


@dataclasses.dataclass(frozen=True)
class EnsembleMethod:
    """One ensemble method of the robustness job, as the experiment, CLI and tuner see it.

    Args:
        label: the report's name for the ensemble (`"fge_ensemble"`).
        description: one line for the report's `config.methods`.
        build: `build(inputs) -> Built`, from `EnsembleInputs`.
        from_start: grown from the trained start, so its compute includes the
            start's training.
        settings_key: where the report's config puts `Built.settings` (None:
            nowhere); `nested`: under the label (several methods share a key).
        options: the experiment settings only this method reads.
        grid: `{setting: values}` searched on the validation split by the tuner
            (empty: not tuned); one setting, the grid's axis.
        tuned: `tuned(setting) -> settings`: the experiment settings a grid
            point sets (default: the point itself).
        family: `"fip"` (an ensemble along a FIP) or `"peer"` (what it is
            compared with).

    Raises:
        TypeError: a field is missing (a dataclass).

    Example:
        >>> method = ENSEMBLES.get("fge")
        >>> method.label, method.grid
        ('fge_ensemble', {'fge_lr_max': (0.01, 0.02, 0.05)})
    """

    label: str
    description: str
    build: Callable
    from_start: bool
    settings_key: Optional[str] = None
    nested: bool = False
    options: tuple = ()
    grid: dict = dataclasses.field(default_factory=dict)
    tuned: Optional[Callable] = None
    family: str = "peer"

    def settings_for(self, point):
        """The experiment settings a grid point stands for."""
        return dict(point) if self.tuned is None else self.tuned(point)


#: The ensemble methods, in the order the report lists them.
ENSEMBLES = Registry("ensemble method")
ENSEMBLES.register("fip", "keras_fip.robustness.peers.fip:FIP")
ENSEMBLES.register("fip_path", "keras_fip.robustness.peers.fip:FIP_PATH")
ENSEMBLES.register("deep", "keras_fip.robustness.peers.deep:DEEP")
ENSEMBLES.register("fge", "keras_fip.robustness.peers.fge:FGE")
ENSEMBLES.register("snapshot", "keras_fip.robustness.peers.snapshot:SNAPSHOT")

#: The attacks, name -> `keras_fip.robustness.attacks.AttackMethod`.
ATTACKS = Registry("attack")
for _name in ("fgsm", "fgm_l2", "pgd", "pgd_l2", "bim", "mim"):
    ATTACKS.register(_name, f"keras_fip.robustness.attacks:{_name.upper()}")
