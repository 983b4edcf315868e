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
import json
import math

import numpy as np
import tensorflow as tf
import keras

from keras_fip import checks
from keras_fip.engine.distances import DistanceLoss
from keras_fip.engine.networks import fresh_copy, freeze_batchnorm as freeze, outputs_are_logits
from keras_fip.engine.objectives import Objective
from keras_fip.engine.steps import PathStep
from keras_fip.engine.traverse import traverse


@keras.saving.register_keras_serializable("keras_fip")
class WeightDiversity(Objective):
    """Pushes the trainable weights away from reference points in weight space.

    The term is `-weight * mean_k log(||w - w_k||^2 + floor)` over the references
    `w_k` (the starting network, then each member sampled). The logarithm keeps
    it bounded in effect: its gradient, `-2 * weight * mean_k (w - w_k) /
    ||w - w_k||^2`, shrinks as the network moves away, so the distance term
    (which grows as the function changes) wins before the function is lost; and
    it weighs the nearest reference most, pushing away from the closest member.

    The references live in the layer's non-trainable weights of fixed
    `capacity`, so adding one during `fit` needs no retracing; Keras saves them
    with the model (`.keras`).

    Args:
        weight: multiplier of the term.
        capacity: most references held (the start plus the members).
        floor: added to the squared distances (keeps the log finite at a reference).

    Example:
        >>> diversity = WeightDiversity(weight=1.0, capacity=11)
        >>> diversity.add_reference(network.trainable_weights)   # the start
        >>> model = FIPModel.from_model(network, objectives=[diversity])
    """

    def __init__(self, weight=1.0, capacity=16, floor=1e-6, name="weight_diversity",
                 eps=None, **kwargs):
        if eps is not None:  # the name in files saved before keras-fip 0.2
            floor = eps
        super().__init__(checks.number(weight, "WeightDiversity weight", minimum=0),
                         name=name, **kwargs)
        self.capacity = checks.count(capacity, "WeightDiversity capacity")
        self.floor = checks.number(floor, "WeightDiversity floor", minimum=0, strict=True)
        self._references = None  # one (capacity, *shape) weight per network weight
        self._mask = None  # (capacity,) 1.0 where a reference is stored

    @property
    def num_references(self):
        return 0 if self._mask is None else int(np.sum(self._mask.numpy()))

    def _create(self, shapes):
        self._references = [
            self.add_weight(shape=(self.capacity, *shape), initializer="zeros",
                            trainable=False, name=f"reference_{i}")
            for i, shape in enumerate(shapes)
        ]
        self._mask = self.add_weight(shape=(self.capacity,), initializer="zeros",
                                     trainable=False, name="mask")

    def bind(self, model):
        if self._references is None:
            self._create([tuple(w.shape) for w in model.trainable_weights])

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
            self._create([a.shape for a in arrays])
        shapes = [tuple(r.shape[1:]) for r in self._references]
        if [a.shape for a in arrays] != shapes:
            raise ValueError(
                "WeightDiversity: the reference's weights do not match the ones "
                f"already stored ({len(arrays)} arrays vs {len(shapes)})."
            )
        slot = self.num_references
        if slot >= self.capacity:
            raise ValueError(
                f"WeightDiversity holds at most {self.capacity} references; raise capacity."
            )
        for variable, array in zip(self._references, arrays):
            values = variable.numpy()
            values[slot] = array
            variable.assign(values)
        mask = self._mask.numpy()
        mask[slot] = 1.0
        self._mask.assign(mask)

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
        logs = tf.math.log(self.squared_distances(weights) + self.floor)
        count = tf.maximum(tf.reduce_sum(self._mask), 1.0)
        return -tf.reduce_sum(self._mask * logs) / count

    def get_config(self):
        return {**super().get_config(), "capacity": self.capacity, "floor": self.floor}


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
    """Samples members (copies of the walking network) along a path.

    A member is taken at the end of an epoch once `burn_in` steps are done and
    then every `steps_between` steps; each is also added as a reference to the
    `WeightDiversity` objective, so the rest of the path moves away from it too.
    The members sampled so far are saved with the path's checkpoints.

    Args:
        diversity: the `WeightDiversity` to add members to (or None).
        start_weights: the starting network's weights (`get_weights()` order),
            to record the distance from the start.
        burn_in: path steps before the stretch in which members are sampled.
        steps_between: path steps between two members.
    """

    def __init__(self, diversity=None, start_weights=None, burn_in=0, steps_between=1):
        super().__init__()
        self.diversity = diversity
        self.start_weights = start_weights
        self.burn_in = int(burn_in)
        self.steps_between = int(steps_between)
        self.members = []
        self.records = []

    def _network(self):
        return self.model.network

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.optimizer.iterations)
        if step <= self.burn_in or (step - self.burn_in) % self.steps_between:
            return
        network = self._network()
        member = fresh_copy(network)
        for layer in member.layers:  # members are for inference; trainable again
            layer.trainable = True
        self.members.append(member)
        record = {"member": len(self.members), "step": step,
                  **{k: float(v) for k, v in (logs or {}).items()}}
        if self.start_weights is not None:
            record["weight_distance"] = weight_distance(self.start_weights, member.get_weights())
        self.records.append(record)
        if self.diversity is not None and self.diversity.num_references < self.diversity.capacity:
            self.diversity.add_reference(network.trainable_weights)

    # The path's checkpoints carry the members sampled so far.
    def save_checkpoint(self, folder):
        arrays = {f"m{i}_w{j}": w for i, member in enumerate(self.members)
                  for j, w in enumerate(member.get_weights())}
        np.savez(f"{folder}/members.npz", **arrays)
        with open(f"{folder}/members.json", "w") as f:
            json.dump(self.records, f)

    def load_checkpoint(self, folder):
        with open(f"{folder}/members.json") as f:
            self.records = json.load(f)
        self.members = []
        with np.load(f"{folder}/members.npz") as saved:
            for i in range(len(self.records)):
                member = fresh_copy(self._network())
                for layer in member.layers:
                    layer.trainable = True
                count = len(member.get_weights())
                member.set_weights([saved[f"m{i}_w{j}"] for j in range(count)])
                self.members.append(member)


class InitialKick(keras.callbacks.Callback):
    """A random first step of length `norm` off the start, before the path's first step.

    The diversity gradient vanishes at the start itself. Nothing happens when
    the path resumes from a checkpoint (its weights already hold the kick).
    """

    def __init__(self, norm, seed=0):
        super().__init__()
        self.norm = float(norm)
        self.seed = seed

    def on_train_begin(self, logs=None):
        if self.norm <= 0 or int(self.model.optimizer.iterations) > 0:
            return
        rng = np.random.default_rng(self.seed)
        weights = self.model.network.trainable_weights
        noise = [rng.normal(size=w.shape).astype(np.float32) for w in weights]
        scale = self.norm / math.sqrt(sum(float(np.sum(n * n)) for n in noise))
        for variable, n in zip(weights, noise):
            variable.assign_add(n * scale)


def weight_distance(a, b):
    """L2 distance between two lists of weight arrays (a network's `get_weights()`)."""
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"Cannot compare {len(a)} weight arrays with {len(b)}.")
    return float(math.sqrt(sum(
        float(np.sum((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2))
        for x, y in zip(a, b)
    )))


def grow_ensemble(
    network, x, *, members=10, steps_between=100, diversity_weight=1.0,
    burn_in=0, distance="bhattacharyya", optimizer=None, step_length=0.05, batch_size=128,
    initial_kick=None, freeze_batchnorm=True, average="probabilities", seed=0,
    verbose=0, callbacks=None, checkpoint_dir=None,
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
        optimizer: a Keras optimizer; default `PathStep(step_length)`.
        step_length: length of each `PathStep` step in weight space.
        batch_size: samples of `x` per step.
        initial_kick: norm of a random first step off the start (the
            diversity gradient is zero exactly at the start); default
            `step_length`.
        freeze_batchnorm: run BatchNormalization layers in inference mode and
            keep their parameters fixed along the path.
        average: how the ensemble averages its members: `"probabilities"` or
            `"logits"`.
        seed: seed of the random kick and the batch order.
        verbose: Keras fit verbosity.
        callbacks: more Keras callbacks for the path's `fit`.
        checkpoint_dir: if given, the path (members included) is checkpointed
            there, and a killed run started again with the same arguments
            continues from there (see `keras_fip.engine.traverse`).

    Returns:
        A `GrowthResult` (`.ensemble`, `.members`, `.records`, `.steps`, `.seconds`).

    Example:
        >>> result = grow_ensemble(network, data.x_train, members=10, steps_between=50)
        >>> result.ensemble.predict(data.x_test)
    """
    from keras_fip.robustness.ensemble import AVERAGES, FIPEnsemble

    if not isinstance(network, keras.Model):
        raise TypeError(f"grow_ensemble needs a keras.Model, got {type(network).__name__}.")
    network = checks.classifier(network, "starting network")
    members = checks.count(members, "members")
    burn_in = checks.count(burn_in, "burn_in", minimum=0)
    steps_between = checks.count(steps_between, "steps_between")
    batch_size = checks.count(batch_size, "batch_size")
    diversity_weight = checks.number(diversity_weight, "diversity_weight", minimum=0)
    step_length = checks.number(step_length, "step_length", minimum=0, strict=True)
    if initial_kick is not None:
        initial_kick = checks.number(initial_kick, "initial_kick", minimum=0)
    if average not in AVERAGES:
        raise ValueError(f"Unknown average {average!r}; choose one of {AVERAGES}.")
    x = checks.inputs(x, network, "x", empty="grow_ensemble got no data (x is empty).")
    from_logits = outputs_are_logits(network)
    DistanceLoss(distance, from_logits=from_logits)  # an unknown distance stops here

    diversity = WeightDiversity(diversity_weight, capacity=members + 1)
    # The start, in the weights the path trains (frozen BatchNorm's excluded).
    start = freeze(fresh_copy(network)) if freeze_batchnorm else network
    diversity.add_reference(start.trainable_weights)
    kick = step_length if initial_kick is None else float(initial_kick)
    sampler = MemberSampler(diversity, network.get_weights(), burn_in, steps_between)
    # Members come every `steps_between` steps after the burn-in: epochs end there.
    path = traverse(
        network, x, steps=burn_in + members * steps_between, objectives=[diversity],
        step_length=step_length, optimizer=optimizer, distance=distance, batch_size=batch_size,
        epoch_steps=math.gcd(burn_in, steps_between) if burn_in else steps_between,
        freeze_batch_norm=freeze_batchnorm,
        callbacks=[InitialKick(kick, seed), sampler, *(callbacks or [])],
        checkpoint_dir=checkpoint_dir, seed=seed, verbose=verbose, name="diversifying path",
    )
    seconds = path.seconds
    optimizer_name = type(path.model.optimizer).__name__
    for record in sampler.records:
        if isinstance(path.model.optimizer, PathStep) and not path.model.optimizer.momentum:
            record["path_length"] = kick + record["step"] * step_length
    ensemble = FIPEnsemble(sampler.members, average=average, from_logits=from_logits)
    config = {
        "members": members, "steps_between": steps_between, "burn_in": burn_in,
        "diversity_weight": float(diversity_weight), "distance": str(distance),
        "optimizer": optimizer_name, "step_length": float(step_length),
        "batch_size": batch_size, "initial_kick": kick,
        "freeze_batchnorm": bool(freeze_batchnorm), "average": average, "seed": seed,
        "protected_samples": int(len(x)),
    }
    return GrowthResult(
        ensemble=ensemble, members=list(sampler.members), records=sampler.records,
        steps=burn_in + members * steps_between, seconds=seconds, config=config,
    )
