"""Deep ensemble: the same architecture trained independently from different seeds."""

from keras_fip import checks
from keras_fip.robustness.ensemble import AVERAGES, FIPEnsemble
from keras_fip.robustness.registry import Built, EnsembleMethod
from keras_fip.robustness.training import train_network


def deep_ensemble(build, x, y, *, members=10, epochs=5, batch_size=64, learning_rate=1e-3,
                  seed=0, average="probabilities", verbose=0):
    """Trains `members` networks independently (seeds `1000 * seed + 1 + k`).

    Args:
        build: a function returning a new, uncompiled Keras classifier.
        x: training inputs.
        y: integer training labels.
        members: networks to train.
        epochs: epochs of each network.
        batch_size: the batch size.
        learning_rate: Adam's learning rate.
        seed: the ensemble's seed (each member's is derived from it).
        average: how the ensemble averages (`"probabilities"` or `"logits"`).
        verbose: passed to `fit`.

    Returns:
        `(ensemble, cost)`: a `FIPEnsemble` and the summed cost (`steps`,
        `examples`, `validation_examples`, `total_examples`, `seconds`) of
        training every member.

    Raises:
        ValueError: a count below 1, an unknown `average`, or bad data (as
            `train_network`).
        TypeError: `build` is not callable.
        FloatingPointError: a member's loss became NaN or infinite.

    Example:
        >>> from keras_fip import models
        >>> ensemble, cost = deep_ensemble(lambda: models.reference_cnn((8, 8, 1), 10),
        ...                                x_train, y_train, members=5, epochs=20)
    """
    members = checks.count(members, "members")
    seed = checks.count(seed, "seed", minimum=0)
    if average not in AVERAGES:
        raise ValueError(f"Unknown average {average!r}; choose one of {AVERAGES}.")
    networks = []
    total = {"steps": 0, "examples": 0, "validation_examples": 0, "total_examples": 0,
             "seconds": 0.0}
    for k in range(members):
        try:
            network, cost = train_network(
                build, x, y, epochs=epochs, batch_size=batch_size, learning_rate=learning_rate,
                seed=1000 * seed + 1 + k, verbose=verbose,
            )
        except FloatingPointError as error:
            raise FloatingPointError(f"Deep-ensemble member {k + 1}: {error}") from None
        networks.append(network)
        for key in total:
            total[key] += cost[key]
    return FIPEnsemble(networks, average=average, name="deep_ensemble"), total


def _build(inputs):
    c = inputs.config
    ensemble, cost = deep_ensemble(inputs.build, inputs.x_fit, inputs.y_fit, members=c.members,
                                   seed=c.seed, average=c.average, verbose=c.verbose,
                                   epochs=c.epochs, batch_size=c.batch_size,
                                   learning_rate=c.learning_rate)
    return Built(ensemble, cost)


DEEP = EnsembleMethod(
    label="deep_ensemble",
    description="independently trained networks (seeds 1000*seed+1..members)",
    build=_build, from_start=False,
)
