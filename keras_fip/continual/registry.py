"""`METHODS`: every continual method by name, with what the CLI, the tuner and the report read.

One entry per method: its constructor (`"module:attribute"`, imported when the
method is built, so that `keras-fip continual --help` reads the names without
TensorFlow), the settings it is built with, its family and anchor (what it
protects), its twin in the other family, the tuner's grid and one line for
`--help`. Adding a method is one file with its `Method` and one entry here.

The entries are registered in the order `keras-fip continual` runs them: the
default methods first (each FIP variant beside its DER twin), then the others.

This module imports only `keras_fip.registry`: it is light.
"""

import dataclasses
import importlib

from keras_fip.registry import Registry

#: The continual methods by name (`MethodEntry` each), in the order a run uses.
METHODS = Registry("continual method")

_METHODS = "keras_fip.continual.methods"


@dataclasses.dataclass(frozen=True)
class MethodEntry:
    """One continual method in `METHODS`.

    Args:
        constructor: `"module:attribute"` of the class (or function) that builds it.
        family: "fip", "der", "replay", "regularisation" or "baseline".
        anchor: what it protects: "path_start", "stored", "weights" or "none".
        description: one line for `--help`.
        options: the keyword arguments it is built with (its defaults).
        grid: the tuner's settings, in order (none: nothing to tune).
        twin: the method with the same ingredients in the other family.
        default: run by `keras-fip continual` when no `--methods` is given.
        old_meaning: the method this name meant before keras-fip 0.2.

    Raises:
        Nothing: a dataclass.

    Example:
        >>> entry = METHODS.get("fip")
        >>> entry.family, entry.grid[0]
        ('fip', {'fip_weight': 30.0})
    """

    constructor: str
    family: str
    anchor: str
    description: str
    options: dict = dataclasses.field(default_factory=dict)
    grid: tuple = ()
    twin: str = None
    default: bool = True
    old_meaning: str = None

    def build(self, **settings):
        """The method with its options, `settings` replacing them.

        Returns:
            A `keras_fip.continual.Method`.
        """
        module, _, attribute = self.constructor.partition(":")
        return getattr(importlib.import_module(module), attribute)(**{**self.options, **settings})

    def describe(self):
        """`{"family", "anchor"[, "twin"]}`, as the report writes them."""
        return {"family": self.family, "anchor": self.anchor,
                **({"twin": self.twin} if self.twin else {})}


def _register(name, constructor, **fields):
    METHODS.register(name, MethodEntry(f"{_METHODS}.{constructor}", **fields))


def _output_matching(name, anchor, description, grid, twin=None, **fields):
    # fip* re-anchor at each task start, der* keep the outputs stored with each sample.
    options = {"name": name, "anchor": anchor, "twin": twin, **fields.pop("options")}
    _register(name, "fip:OutputMatching", family="fip" if anchor == "path_start" else "der",
              anchor=anchor, description=description, options=options, grid=tuple(grid),
              twin=twin, **fields)


def _weights(key, values, **fixed):
    return tuple({key: v, **fixed} for v in values)


# Half-decade grids of 4 settings each. The first grids (FIP 10..300, DER
# 0.1..1, der_l2 0.01..0.3, replay 0.5..4) had the validation choice at an edge
# on MNIST, so each moved towards that edge; the budget stays 4 settings each.
_DER_L2_GRID = _weights("fip_weight", (0.003, 0.01, 0.03, 0.1))
# der_views chose 0.1, the top of its second grid (0.003..0.1), on 5 of 6 MNIST
# runs, so its grid moved up once more.
_DER_VIEWS_GRID = _weights("fip_weight", (0.03, 0.1, 0.3, 1.0))
_WITH_LABELS_GRID = tuple({"fip_weight": w, "label_weight": lw}
                          for w, lw in ((0.03, 0.5), (0.1, 0.5), (0.1, 1.0), (0.3, 1.0)))
_DERPP_GRID = tuple({"alpha": a, "beta": b}
                    for a, b in ((0.03, 0.5), (0.1, 0.5), (0.1, 1.0), (0.3, 1.0)))
_VIEWS = dict(views=4)

# The default run, in its order: each FIP variant beside its DER twin. The
# fip_* twins (issue 21) copy their der_* twin's defaults and grid, untuned;
# the der_* were named fip_l2, fip_views, fip_views_labels before keras-fip 0.2.
_register("fip", "fip:FIP", family="fip", anchor="path_start",
          description="the paper's FIP: Bhattacharyya distance to the outputs at the start "
          "of each task's path, on the memory",
          options=dict(fip_weight=300.0, distance="bhattacharyya"),
          grid=_weights("fip_weight", (30.0, 100.0, 300.0, 1000.0)))
_output_matching("fip_views", "path_start", "fip_l2 that also keeps 4 shifted views of each "
                 "stored image", _DER_VIEWS_GRID, twin="der_views", old_meaning="der_views",
                 options=dict(fip_weight=0.1, distance="l2", **_VIEWS))
_output_matching("der_views", "stored", "der_l2 that also keeps 4 shifted views of each stored "
                 "image, with their stored logits", _DER_VIEWS_GRID, twin="fip_views",
                 options=dict(fip_weight=0.1, distance="l2", **_VIEWS))
_output_matching("fip_views_labels", "path_start", "fip_views plus cross-entropy on the memory "
                 "batch's labels", _WITH_LABELS_GRID, twin="der_views_labels",
                 old_meaning="der_views_labels",
                 options=dict(fip_weight=0.03, distance="l2", label_weight=0.5, **_VIEWS))
# DER++'s two terms with views, on one memory batch where derpp_views draws two.
_output_matching("der_views_labels", "stored", "der_views plus cross-entropy on the same memory "
                 "batch's labels", _WITH_LABELS_GRID, twin="fip_views_labels",
                 options=dict(fip_weight=0.03, distance="l2", label_weight=0.5, **_VIEWS))
_register("derpp", "der:DERPP", family="der", anchor="stored",
          description="DER++ (Buzzega et al. 2020): stored logits plus a second memory "
          "batch's labels", options=dict(alpha=0.1, beta=0.5), grid=_DERPP_GRID)
_register("derpp_views", "der:DERPPViews", family="der", anchor="stored",
          description="DER++ with 4 shifted views of each stored image",
          options=dict(alpha=0.3, beta=1.0, **_VIEWS), grid=_DERPP_GRID)
_register("er_ace", "replay:ERACE", family="replay", anchor="none",
          description="ER-ACE (Caccia et al. 2022): replay with an asymmetric cross-entropy",
          options=dict(replay_weight=1.0),
          grid=_weights("replay_weight", (0.5, 1.0, 2.0, 4.0)))
_register("replay", "replay:Replay", family="replay", anchor="none",
          description="experience replay: cross-entropy on the memory's labels",
          options=dict(replay_weight=4.0),
          grid=_weights("replay_weight", (1.0, 2.0, 4.0, 8.0)))
_register("ewc", "ewc:EWC", family="regularisation", anchor="weights",
          description="online elastic weight consolidation (Kirkpatrick et al. 2017)",
          options=dict(ewc_weight=1e5, fisher_samples=256),
          grid=_weights("ewc_weight", (1e3, 1e4, 1e5, 1e6)))
_register("finetune", "baselines:FineTune", family="baseline", anchor="none",
          description="each task in turn, nothing kept: the lower bound")
_register("joint", "baselines:Joint", family="baseline", anchor="none",
          description="all tasks seen so far together: the upper bound")

# Not in the default run.
_register("der", "der:DER", family="der", anchor="stored", default=False,
          description="Dark Experience Replay: the logits stored with each memory sample",
          options=dict(alpha=0.1, beta=0.0), grid=_weights("alpha", (0.03, 0.1, 0.3, 1.0)))
_output_matching("fip_l2", "path_start", "squared L2 between logits, re-anchored at each task "
                 "start", _DER_L2_GRID, twin="der_l2", old_meaning="der_l2", default=False,
                 options=dict(fip_weight=0.03, distance="l2"))
# Squared L2 between logits, stored at memory entry: DER with alpha = 5 lambda.
_output_matching("der_l2", "stored", "squared L2 between the logits stored with each sample "
                 "(DER with alpha = 5 fip_weight)", _DER_L2_GRID, twin="fip_l2", default=False,
                 options=dict(fip_weight=0.03, distance="l2"))
_output_matching("fip_labels", "path_start", "fip plus cross-entropy on the memory batch's labels",
                 tuple({"fip_weight": w, "label_weight": lw}
                       for w, lw in ((100.0, 1.0), (300.0, 1.0), (1000.0, 1.0), (300.0, 0.5))),
                 default=False,
                 options=dict(fip_weight=100.0, distance="bhattacharyya", label_weight=0.5))

#: The methods `keras-fip continual` runs when none are named, in order.
DEFAULT_METHODS = tuple(name for name in METHODS if METHODS.get(name).default)
#: Names that meant the stored-logit (DER family) methods before keras-fip 0.2.
RENAMED = {name: METHODS.get(name).old_meaning for name in METHODS
           if METHODS.get(name).old_meaning}
