"""Weight diversification along a functionally invariant path.

The paper's robustness recipe: from one trained network, walk a path whose
secondary objective pushes the weights away from the starting network and from
the members already sampled, while the functional distance to the starting
network on the training data keeps the function. Networks sampled along the path
answer like the start on the data, but sit far from it in weight space, so an
adversarial perturbation built from the start's gradients transfers to them less.

`WeightDiversity` is that objective (a serialisable `Objective` for `FIPModel`);
`grow_ensemble` walks the path and returns the sampled members as a `FIPEnsemble`.
"""

import dataclasses
import math
import time

import numpy as np
import tensorflow as tf
import keras

from keras_fip import _checks
from keras_fip.engine.callbacks import NaNGuard
from keras_fip.engine.distances import DistanceLoss
from keras_fip.engine.model import FIPModel, _outputs_are_logits
from keras_fip.engine.objectives import Objective
from keras_fip.engine.steps import PathStep
from keras_fip.models import fresh_copy


@keras.saving.register_keras_serializable("keras_fip")
class WeightDiversity(Objective):
    """Pushes the trainable weights away from reference points in weight space.

    The term is `-weight * mean_k log(||w - w_k||^2 + eps)` over the references
    `w_k` (the starting network, then each member sampled). The logarithm keeps
    it bounded in effect: its gradient, `-2 * weight * mean_k (w - w_k) /
    ||w - w_k||^2`, shrinks as the network moves away, so the distance term
    (which grows as the function changes) wins before the function is lost; and
    it weighs the nearest reference most, pushing away from the closest member.

    The references live in non-trainable variables of fixed `capacity`, so adding
    one during `fit` needs no retracing; they are saved with the model (`.keras`)
    through `save_to` / `load_from`.

    Args:
        weight: multiplier of the term.
        capacity: most references held (the start plus the members).
        eps: added to the squared distances (keeps the log finite at a reference).

    Example:
        >>> diversity = WeightDiversity(weight=1.0, capacity=11)
        >>> diversity.add_reference(network.trainable_weights)   # the start
        >>> model = FIPModel.from_model(network, objectives=[diversity])
    """

    name = "weight_diversity"

    def __init__(self, weight=1.0, capacity=16, eps=1e-6):
        super().__init__(_checks.number(weight, "WeightDiversity weight", minimum=0))
        self.capacity = _checks.count(capacity, "WeightDiversity capacity")
        self.eps = _checks.number(eps, "WeightDiversity eps", minimum=0, strict=True)
        self._references = None  # one (capacity, *shape) variable per weight
        self._mask = None  # (capacity,) 1.0 where a reference is stored
        self._count = 0

    @property
    def num_references(self):
        return self._count

    def _build(self, shapes):
        self._references = [
            tf.Variable(tf.zeros((self.capacity, *shape)), trainable=False,
                        name=f"diversity_reference_{i}")
            for i, shape in enumerate(shapes)
        ]
        self._mask = tf.Variable(tf.zeros((self.capacity,)), trainable=False,
                                 name="diversity_mask")

    def add_reference(self, weights):
        """Stores a point to move away from.

        Args:
            weights: a list of arrays or variables, in the order of the model's
                `trainable_weights` (or a `keras.Model`, whose trainable weights
                are taken).
        """
        if isinstance(weights, keras.Model):
            weights = weights.trainable_weights
        arrays = [np.asarray(w, np.float32) for w in weights]
        if not arrays:
            raise ValueError("WeightDiversity.add_reference got no weights.")
        if self._references is None:
            self._build([a.shape for a in arrays])
        shapes = [tuple(r.shape[1:]) for r in self._references]
        if [a.shape for a in arrays] != shapes:
            raise ValueError(
                "WeightDiversity: the reference's weights do not match the ones "
                f"already stored ({len(arrays)} arrays vs {len(shapes)})."
            )
        if self._count >= self.capacity:
            raise ValueError(
                f"WeightDiversity holds at most {self.capacity} references; raise capacity."
            )
        for variable, array in zip(self._references, arrays):
            variable[self._count].assign(array)
        self._mask[self._count].assign(1.0)
        self._count += 1

    def squared_distances(self, weights):
        """`||w - w_k||^2` to each slot (0 where no reference is stored)."""
        terms = []
        for variable, reference in zip(weights, self._references):
            difference = tf.expand_dims(tf.cast(variable, tf.float32), 0) - reference
            terms.append(tf.reduce_sum(tf.reshape(tf.square(difference), (self.capacity, -1)), axis=1))
        return tf.add_n(terms)

    def call(self, model):
        if self._references is None:
            return tf.constant(0.0)
        weights = model.trainable_weights
        if len(weights) != len(self._references):
            raise ValueError(
                f"WeightDiversity has references for {len(self._references)} weights but "
                f"the model trains {len(weights)}; add references from the same "
                "trainable weights."
            )
        logs = tf.math.log(self.squared_distances(weights) + self.eps)
        count = tf.maximum(tf.reduce_sum(self._mask), 1.0)
        return -tf.reduce_sum(self._mask * logs) / count

    def save_to(self, store, prefix):
        if self._references is None:
            return
        store[f"{prefix}_count"] = np.asarray(self._count)
        for i, variable in enumerate(self._references):
            store[f"{prefix}_reference_{i}"] = variable.numpy()[: self._count]

    def load_from(self, store, prefix):
        keys = list(store.keys())
        if f"{prefix}_count" not in keys:
            return
        count = int(np.asarray(store[f"{prefix}_count"][()]))
        number = sum(1 for k in keys if k.startswith(f"{prefix}_reference_"))
        arrays = [np.asarray(store[f"{prefix}_reference_{i}"][()]) for i in range(number)]
        self._references, self._count = None, 0
        for k in range(count):
            self.add_reference([a[k] for a in arrays])

    def get_config(self):
        return {"weight": self.weight, "capacity": self.capacity, "eps": self.eps}


@dataclasses.dataclass
class GrowthResult:
    """What `grow_ensemble` returns.

    Attributes:
        ensemble: the `FIPEnsemble` of the sampled members.
        members: the member networks (also `ensemble.members`).
        records: one dict per member: `member`, `step` (path steps taken when
            it was sampled), `weight_distance` (L2 from the start, all weights),
            `path_length` (steps times step length, for `PathStep`), and the
            fit logs at that point (`loss`, the distance on the training batches).
        steps: path steps taken; `seconds`: wall time of the path.
        config: the settings used.
    """

    ensemble: object
    members: list
    records: list
    steps: int
    seconds: float
    config: dict


class MemberSampler(keras.callbacks.Callback):
    """Samples a member (a copy of the network) at the end of every epoch of a path.

    With `steps_per_epoch = steps_between`, an epoch is the stretch of path
    between two members. Each sampled member is also added as a reference to the
    `WeightDiversity` objective, so the rest of the path moves away from it too.

    Args:
        network: the network walking the path (wrapped by the `FIPModel`).
        diversity: the `WeightDiversity` to add members to (or None).
        start_weights: the starting network's weights (`get_weights()` order),
            to record the distance from the start.
    """

    def __init__(self, network, diversity=None, start_weights=None):
        super().__init__()
        self.network = network
        self.diversity = diversity
        self.start_weights = start_weights
        self.members = []
        self.records = []
        self._steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        member = fresh_copy(self.network)
        for layer in member.layers:  # members are for inference; trainable again
            layer.trainable = True
        self.members.append(member)
        record = {"member": len(self.members), "step": self._steps,
                  **{k: float(v) for k, v in (logs or {}).items()}}
        if self.start_weights is not None:
            record["weight_distance"] = weight_distance(self.start_weights, member.get_weights())
        self.records.append(record)
        if self.diversity is not None and self.diversity.num_references < self.diversity.capacity:
            self.diversity.add_reference(self.network.trainable_weights)


def weight_distance(a, b):
    """L2 distance between two lists of weight arrays (a network's `get_weights()`)."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"Cannot compare {len(a)} weight arrays with {len(b)}.")
    return float(math.sqrt(sum(
        float(np.sum((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2))
        for x, y in zip(a, b)
    )))


def _raise_if_diverged(guard, where):
    if guard.triggered:
        raise FloatingPointError(
            f"The path's loss became NaN or infinite {where}; try a smaller step_size "
            "(or learning rate) or diversity_weight. The input network is unchanged."
        )


def _freeze_batchnorm(network):
    # A frozen BatchNormalization layer runs in inference mode in Keras 3: the
    # path then moves the function the user gets (moving statistics), not batch
    # statistics, and never updates the statistics behind the anchor outputs.
    for layer in network._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def grow_ensemble(
    network, x, *, members=10, steps_between=100, diversity_weight=1.0,
    burn_in=0, distance="bhattacharyya", optimizer=None, step_size=0.05, batch_size=128,
    initial_kick=None, freeze_batchnorm=True, average="probabilities", seed=0,
    verbose=0, callbacks=None,
):
    """Walks a weight-diversifying FIP from `network` and samples an ensemble.

    Each path step minimises `D(start outputs, outputs)` on a batch of `x`
    (the starting network's outputs on all of `x` are computed once and cached)
    plus `WeightDiversity` (away from the start and every member sampled so
    far), with the given optimizer (default: `PathStep`, fixed-length steps).
    A member is sampled every `steps_between` steps.

    Args:
        network: the trained starting network (a `keras.Model`); not modified.
        x: the data whose outputs must be kept (the training inputs).
        members: number of members to sample (the paper uses 10).
        steps_between: path steps between two members.
        burn_in: path steps before the stretch in which members are sampled
            (the first member comes `burn_in + steps_between` steps from the start).
        diversity_weight: weight of `WeightDiversity` against the distance.
        distance: output distance (`"bhattacharyya"`, the paper's, `"l2"`, `"kl"`,
            a `Distance` or a function).
        optimizer: a Keras optimizer; default `PathStep(step_size)`.
        step_size: length of each `PathStep` step in weight space.
        batch_size: samples of `x` per step.
        initial_kick: norm of a random first step off the start (the
            diversity gradient is zero exactly at the start); default
            `step_size`.
        freeze_batchnorm: run BatchNormalization layers in inference mode and
            keep their parameters fixed along the path.
        average: how the ensemble averages its members: `"probabilities"` or
            `"logits"`.
        seed: seed of the random kick and the batch order.
        verbose: Keras fit verbosity.
        callbacks: more Keras callbacks for the path's `fit`.

    Returns:
        A `GrowthResult` (`.ensemble`, `.members`, `.records`, `.steps`, `.seconds`).

    Example:
        >>> result = grow_ensemble(network, data.x_train, members=10, steps_between=50)
        >>> result.ensemble.predict(data.x_test)
    """
    from keras_fip.robustness.ensemble import AVERAGES, FIPEnsemble

    if not isinstance(network, keras.Model):
        raise TypeError(f"grow_ensemble needs a keras.Model, got {type(network).__name__}.")
    network = _checks.classifier(network, "starting network")
    members = _checks.count(members, "members")
    burn_in = _checks.count(burn_in, "burn_in", minimum=0)
    steps_between = _checks.count(steps_between, "steps_between")
    batch_size = _checks.count(batch_size, "batch_size")
    diversity_weight = _checks.number(diversity_weight, "diversity_weight", minimum=0)
    step_size = _checks.number(step_size, "step_size", minimum=0, strict=True)
    if initial_kick is not None:
        initial_kick = _checks.number(initial_kick, "initial_kick", minimum=0)
    if average not in AVERAGES:
        raise ValueError(f"Unknown average {average!r}; choose one of {AVERAGES}.")
    try:
        x = _checks.inputs(x, network, "x")
    except ValueError as error:
        if "empty" in str(error):
            raise ValueError("grow_ensemble got no data (x is empty).") from None
        raise
    from_logits = _outputs_are_logits(network)
    loss = DistanceLoss(distance, from_logits=from_logits)  # an unknown distance stops here

    start = time.perf_counter()
    anchors = network.predict(x, batch_size=512, verbose=0)
    walker = fresh_copy(network)
    if freeze_batchnorm:
        _freeze_batchnorm(walker)
    start_weights = network.get_weights()
    diversity = WeightDiversity(diversity_weight, capacity=members + 1)
    diversity.add_reference(walker.trainable_weights)

    # A random first step: the diversity gradient vanishes at the start itself.
    rng = np.random.default_rng(seed)
    kick = step_size if initial_kick is None else float(initial_kick)
    if kick > 0:
        noise = [rng.normal(size=w.shape).astype(np.float32) for w in walker.trainable_weights]
        norm = math.sqrt(sum(float(np.sum(n * n)) for n in noise))
        for variable, n in zip(walker.trainable_weights, noise):
            variable.assign_add(n * (kick / norm))

    model = FIPModel.from_model(walker, objectives=[diversity], seed=seed)
    model.compile(
        optimizer=optimizer if optimizer is not None else PathStep(step_size),
        loss=loss,
    )
    dataset = (
        tf.data.Dataset.from_tensor_slices((x, anchors))
        .shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        .repeat()
        .batch(batch_size, drop_remainder=len(x) >= batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
    sampler = MemberSampler(walker, diversity, start_weights)
    guard = NaNGuard()
    if burn_in:
        model.fit(dataset, epochs=1, steps_per_epoch=burn_in, verbose=verbose, shuffle=False,
                  callbacks=[guard])
        _raise_if_diverged(guard, "in the burn-in")
        sampler._steps = burn_in
    # The guard comes first: after a non-finite epoch it restores the weights and
    # stops before the sampler would keep a broken member.
    model.fit(
        dataset, epochs=members, steps_per_epoch=steps_between, verbose=verbose, shuffle=False,
        callbacks=[guard, sampler, *(callbacks or [])],
    )
    if guard.triggered:
        _raise_if_diverged(guard, f"on the stretch to member {guard.epoch + 1}")
    seconds = time.perf_counter() - start
    optimizer_name = type(model.optimizer).__name__
    for record in sampler.records:
        if isinstance(model.optimizer, PathStep) and not model.optimizer.momentum:
            record["path_length"] = kick + record["step"] * step_size
    ensemble = FIPEnsemble(sampler.members, average=average, from_logits=from_logits)
    config = {
        "members": members, "steps_between": steps_between, "burn_in": burn_in,
        "diversity_weight": float(diversity_weight), "distance": str(distance),
        "optimizer": optimizer_name, "step_size": float(step_size),
        "batch_size": batch_size, "initial_kick": kick,
        "freeze_batchnorm": bool(freeze_batchnorm), "average": average, "seed": seed,
        "protected_samples": int(len(x)),
    }
    return GrowthResult(
        ensemble=ensemble, members=list(sampler.members), records=sampler.records,
        steps=burn_in + members * steps_between, seconds=seconds, config=config,
    )
