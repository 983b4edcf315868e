"""Dark Experience Replay (Buzzega et al. 2020): `der`, `derpp`, `derpp_views`."""

from keras_fip.continual.methods.base import Method
from keras_fip.continual.plugins import StoreSamples
from keras_fip.continual.terms import LabelLoss, LogitMatching


class DER(Method):
    """Dark Experience Replay: match the logits stored with each memory sample.

    Its plugins: `StoreSamples` after each task (the memory of every method;
    its logits are the network's when the samples are stored), `LogitMatching`
    (`alpha * MSE` on the memory batch) and, when `beta` is not 0, `LabelLoss`
    on a second, independent memory batch (DER++).

    Args:
        alpha: weight of the logit-matching term.
        beta: weight of the second memory batch's cross-entropy (0 for DER).
        views: shifted copies of each stored image also kept, with their
            logits and labels (`StoreSamples`; 0: DER as published for MNIST).
        name: the method's name (`der`, `derpp`, `derpp_views`).

    Raises:
        ValueError: views asked of inputs that are not images (before the first task).

    Example:
        >>> result, model = run_method(stream, DER(alpha=0.3), build)
    """

    family = "der"
    anchor = "stored"

    def __init__(self, alpha=0.1, beta=0.0, views=0, name="der"):
        super().__init__([StoreSamples(views=views), LogitMatching(alpha)]
                         + [LabelLoss(beta, own_batch=True)] * bool(beta))
        self.name = name
        self.alpha, self.beta, self.views = alpha, beta, int(views)

    def get_config(self):
        return {"alpha": self.alpha, "beta": self.beta, "views": self.views}


def DERPP(alpha=0.1, beta=0.5, views=0):  # noqa: N802 (the class it was)
    """DER++: DER plus cross-entropy on a second memory batch's labels.

    Args:
        alpha: weight of the logit-matching term.
        beta: weight of the second memory batch's cross-entropy.
        views: shifted copies of each stored image also kept.

    Returns:
        The `DER` method named `derpp`.

    Raises:
        Nothing: no exception of its own (see `DER`).

    Example:
        >>> result, model = run_method(stream, DERPP(alpha=0.1, beta=0.5), build)
    """
    return DER(alpha, beta, views, name="derpp")


def DERPPViews(alpha=0.3, beta=1.0, views=4):  # noqa: N802 (the class it was)
    """`derpp_views`: DER++ with the same 4 shifted views per stored image as
    `der_views` and `fip_views`, so that the lever is measured on the peer too.

    Args:
        alpha: weight of the logit-matching term.
        beta: weight of the second memory batch's cross-entropy.
        views: shifted copies of each stored image also kept.

    Returns:
        The `DER` method named `derpp_views`.

    Raises:
        Nothing: no exception of its own (see `DER`).

    Example:
        >>> result, model = run_method(stream, DERPPViews(), build)
    """
    return DER(alpha, beta, views, name="derpp_views")
