"""The output-matching methods: the FIP family (`fip*`) and its DER-family twins (`der_*`)."""

from keras_fip.continual.methods.base import Method
from keras_fip.continual.plugins import RefreshAnchors, StoreSamples
from keras_fip.continual.terms import LabelLoss, OutputDistance


class OutputMatching(Method):
    """Keeps the network's outputs on a memory of earlier tasks: the FIP and DER families.

    One class for every method whose memory term is an output distance to anchor
    outputs on remembered samples; what it protects decides its family:

    - `anchor="path_start"` (FIP family, names `fip*`): the outputs the network
      had at the start of the current path. Before each task the anchor outputs
      of everything in memory are re-snapshotted (`RefreshAnchors`), as in the
      paper.
    - `anchor="stored"` (DER family, names `der*`): the outputs each sample had
      when it entered the memory, never refreshed. With the squared L2 distance
      between logits this is Dark Experience Replay (Buzzega et al. 2020): the
      `l2` distance is half a sum over the classes where DER's MSE is a mean,
      so with 10 classes lambda here is DER's alpha / 5.

    After each task, samples of the task just learned join the memory
    (`StoreSamples`, with `views` shifted copies of each image). Its plugins:
    `RefreshAnchors` (FIP family), `StoreSamples`, `OutputDistance` and, with
    a `label_weight`, `LabelLoss` on the same memory batch.

    Args:
        name: the method's name; a `fip*` name must have `anchor="path_start"`
            and a `der*` name `anchor="stored"` (what is protected is in the name).
        fip_weight: lambda, the weight of the distance term.
        distance: output distance (name, `Distance` or function).
        anchor: "path_start" (FIP family) or "stored" (DER family).
        label_weight: weight of a cross-entropy on the memory batch's labels
            added to the distance (0: none; on the same memory batch, where
            DER++ draws a second one).
        views: shifted copies of each stored image also kept, each with its
            own anchor outputs (`StoreSamples`; 0: none).
        twin: the name of the method with the same ingredients in the other
            family (None: no exact twin).

    Raises:
        ValueError: an unknown anchor, or a name whose family disagrees with it.

    Example:
        >>> der = OutputMatching(name="der_l2", fip_weight=0.03, distance="l2",
        ...                      anchor="stored", twin="fip_l2")
        >>> result, model = run_method(stream, der, build)
    """

    ANCHORS = ("path_start", "stored")

    def __init__(self, name="fip", fip_weight=300.0, distance="bhattacharyya",
                 anchor="path_start", label_weight=0.0, views=0, twin=None):
        if anchor not in self.ANCHORS:
            raise ValueError(f"{name}: anchor must be one of {self.ANCHORS}, got {anchor!r}.")
        if name.startswith("fip") and anchor != "path_start":
            raise ValueError(
                f"{name!r} protects outputs stored with each sample (anchor='stored'): that is "
                "the DER family; name it der_*. A fip* method re-anchors at each task start.")
        if name.startswith("der") and anchor != "stored":
            raise ValueError(f"{name!r}: a der* method keeps the outputs stored with each "
                             "sample (anchor='stored'); re-anchored methods are named fip*.")
        refresh = anchor == "path_start"
        super().__init__(
            [RefreshAnchors()] * refresh + [StoreSamples(views=views), OutputDistance()]
            + [LabelLoss(label_weight)] * bool(label_weight),
            model_options={"distance": distance, "fip_weight": fip_weight})
        self.name = name
        self.family = "fip" if refresh else "der"
        self.anchor = anchor
        self.twin = twin
        self.fip_weight = fip_weight
        self.distance = distance
        self.refresh_anchors = refresh
        self.label_weight = label_weight
        self.views = int(views)

    def get_config(self):
        # The keys results and checkpoints were written with: unchanged by the
        # renaming, so that a run resumes and a result reads as before.
        distance = self.distance if isinstance(self.distance, str) else repr(self.distance)
        return {"fip_weight": self.fip_weight, "distance": distance,
                "refresh_anchors": self.refresh_anchors, "label_weight": self.label_weight,
                "views": self.views}


class FIP(OutputMatching):
    """Functionally invariant paths: the distance to the anchor on remembered samples.

    Each new task starts a new path at the current network (`RefreshAnchors`),
    and after it, samples of the task just learned join the memory
    (`StoreSamples`). The variants with other ingredients are entries of
    `keras_fip.continual.registry.METHODS` (`get("fip_views")`, ...).

    Args:
        fip_weight: lambda, the weight of the distance term.
        distance: output distance (name, `Distance` or function).
        refresh_anchors: must stay True: a method keeping the outputs stored
            with each sample is the DER family (`get("der_l2")`,
            `OutputMatching(name="der_...", anchor="stored")`).
        label_weight: weight of a cross-entropy on the memory batch's labels
            added to the distance (0: the paper's method).
        views: shifted copies of each stored image also kept, each with its
            own anchor outputs (`StoreSamples`; 0: the paper's method).

    Raises:
        ValueError: `refresh_anchors=False` (that is the DER family).

    Example:
        >>> result, model = run_method(stream, FIP(fip_weight=100.0), build)
    """

    def __init__(self, fip_weight=300.0, distance="bhattacharyya", refresh_anchors=True,
                 label_weight=0.0, views=0):
        if not refresh_anchors:
            raise ValueError(
                "FIP(refresh_anchors=False) protects the outputs stored with each sample: that "
                "is the DER family. Use OutputMatching(name='der_...', anchor='stored', ...) or "
                "get('der_l2').")
        super().__init__("fip", fip_weight, distance, "path_start", label_weight, views)
