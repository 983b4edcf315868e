"""Continual-learning methods, all on the FIP engine and one runner.

Every method wraps the same network in a `FIPModel` and is made of plugins
(`keras_fip.continual.plugins`): hooks around each task (`StoreSamples`, the
memory policy; `RefreshAnchors`; `Consolidate`) and the terms of its memory
loss (`keras_fip.continual.terms`), so methods combine without inheriting from
each other. One file per family; every method by name in
`keras_fip.continual.registry.METHODS`, with its defaults and grid.

Methods are named by family, that is by what they protect:

- FIP family (`fip*`, anchor "path_start"): keeps the outputs the network had
  at the start of the current path (re-anchored when each task starts) on
  remembered samples of earlier tasks, under an output distance. `fip` is the
  paper's method (Bhattacharyya distance); `fip_l2`, `fip_views`,
  `fip_views_labels` are the re-anchored twins of the DER-family variants below.
- DER family (`der*`, anchor "stored"): keeps the outputs each sample had when
  it entered the memory. `der`, `derpp`, `derpp_views` (Buzzega et al. 2020);
  `der_l2`, `der_views`, `der_views_labels` (the same output distance as the
  FIP variants; named fip_l2, fip_views, fip_views_labels before keras-fip 0.2).
- `finetune`: trains on each task in turn; nothing protects earlier tasks.
- `replay`, `er_ace`: experience replay with the same memory: cross-entropy on
  remembered samples and their labels.
- `ewc`: elastic weight consolidation (Kirkpatrick et al. 2017), online form:
  a quadratic pull towards the previous weights, weighted by the diagonal Fisher
  information accumulated over tasks.
- `joint`: trains on all tasks seen so far together: the upper bound.

Each method's default settings are the ones with the best validation accuracy
averaged over the tuned benchmark runs (digits and MNIST, 20 and 50 stored per
class, 3 seeds; `benchmarks/continual_defaults.py`), never the test split; the
re-anchored twins `fip_l2`, `fip_views`, `fip_views_labels` copy their DER twin's
defaults and grids, untuned for themselves.
"""

import warnings

from keras_fip.continual.legacy import DERModel, FIPLabelsModel, ReplayModel
from keras_fip.continual.methods.base import Method
from keras_fip.continual.methods.baselines import FineTune, Joint
from keras_fip.continual.methods.der import DER, DERPP, DERPPViews
from keras_fip.continual.methods.ewc import EWC, Consolidate, EWCPenalty, diagonal_fisher
from keras_fip.continual.methods.fip import FIP, OutputMatching
from keras_fip.continual.methods.replay import ERACE, Replay
from keras_fip.continual.plugins import Plugin, RefreshAnchors, StoreSamples, shifted_views
from keras_fip.continual.registry import METHODS, RENAMED

__all__ = [
    "DER", "DERPP", "DERPPViews", "ERACE", "EWC", "EWCPenalty", "FIP", "Consolidate", "FineTune",
    "Joint", "METHODS", "Method", "OutputMatching", "Plugin", "RefreshAnchors", "Replay",
    "StoreSamples", "VARIANTS", "describe", "diagonal_fisher", "get", "shifted_views",
    "twin_order",
    # keras-fip 0.2's model classes (files saved with them still load).
    "DERModel", "FIPLabelsModel", "ReplayModel",
]

#: The output-matching methods by name: each one's ingredients and defaults (read
#: from `METHODS`). A `der_*` keeps the outputs stored with each sample; its
#: `fip_*` twin has the same ingredients, re-anchored at each task start.
VARIANTS = {
    name: {**{k: v for k, v in entry.options.items() if k != "name" and v is not None},
           "anchor": entry.anchor}
    for name, entry in ((n, METHODS.get(n)) for n in METHODS)
    if entry.constructor.endswith((":OutputMatching", ":FIP"))
}
_warned = set()


def twin_order(names):
    """`names` with each FIP variant first, its DER twin beside it, then the rest.

    Example:
        >>> twin_order(["derpp", "der_views", "fip", "fip_views"])
        ['fip', 'fip_views', 'der_views', 'derpp']
    """
    names = list(names)
    ordered = []
    for name in names:
        if name in ordered or name not in METHODS or METHODS.get(name).anchor != "path_start":
            continue
        ordered.append(name)
        twin = METHODS.get(name).twin
        if twin in names and twin not in ordered:
            ordered.append(twin)
    return ordered + [n for n in names if n not in ordered]


def describe(method):
    """`{"family", "anchor"[, "twin"]}` of a method (a name or a `Method`), for reports.

    Args:
        method: a name in `METHODS` or a `Method`.

    Returns:
        The dict the report writes beside each method's figures.

    Raises:
        ValueError: an unknown name.

    Example:
        >>> describe("der_views")
        {'family': 'der', 'anchor': 'stored', 'twin': 'fip_views'}
    """
    if not isinstance(method, Method):
        return METHODS.get(method).describe()
    out = {"family": method.family, "anchor": method.anchor}
    return {**out, **({"twin": method.twin} if method.twin else {})}


def get(name, **kwargs):
    """A method by name (`METHODS.names()`), built with its defaults and `kwargs`.

    The FIP family `fip`, `fip_l2`, `fip_views`, `fip_views_labels`,
    `fip_labels` (re-anchored at each task start); the DER family `der`,
    `derpp`, `derpp_views`, `der_l2`, `der_views`, `der_views_labels` (outputs
    stored with each sample); replay `er_ace`, `replay`; regularisation `ewc`;
    baselines `finetune`, `joint`.

    `fip_l2`, `fip_views` and `fip_views_labels` meant the stored-logit methods
    before keras-fip 0.2: building one warns once (FutureWarning).

    Args:
        name: a name in `METHODS`, or a `Method` (returned as it is).
        **kwargs: settings replacing the method's defaults.

    Returns:
        A `Method`.

    Raises:
        ValueError: an unknown name.
        TypeError: a setting the method does not take.

    Example:
        >>> get("fip", fip_weight=100.0).get_config()["fip_weight"]
        100.0
    """
    if isinstance(name, Method):
        return name
    entry = METHODS.get(name)
    if name in RENAMED and name not in _warned:
        _warned.add(name)
        warnings.warn(
            f"{name!r} is re-anchored at each task start since keras-fip 0.2 (FIP family); "
            f"the method that kept the logits stored with each sample is now "
            f"{RENAMED[name]!r}.", FutureWarning, stacklevel=2)
    return entry.build(**kwargs)
