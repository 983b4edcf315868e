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
import keras
from keras import ops

from keras_fip import checks
from keras_fip.deprecation import renamed_argument
from keras_fip.engine.distances import DistanceLoss
from keras_fip.engine.networks import (
    accuracy, fresh_copy, freeze_batch_norm as freeze, outputs_are_logits, probabilities,
)
from keras_fip.engine.steps import PathStep
from keras_fip.engine.traverse import traverse
from keras_fip.robustness.constraint import (
    FunctionalTrustRegion, MemberAcceptance, ScaledObjective, add_n,
)


@keras.saving.register_keras_serializable("keras_fip")
class WeightDiversity(ScaledObjective):
    """Pushes the trainable weights away from reference points in weight space.

    The term is `-weight * mean_k log(||w - w_k||^2 + floor)` over the references
    `w_k` (the starting network, then each member sampled). The logarithm keeps
    it bounded in effect: its gradient, `-2 * weight * mean_k (w - w_k) /
    ||w - w_k||^2`, shrinks as the network moves away, so the distance term
    (which grows as the function changes) wins before the function is lost; and
    it weighs the nearest reference most, pushing away from the closest member.

    The references live in the layer's non-trainable weights, room for
    `max_references` of them, so adding one during `fit` needs no retracing;
    Keras saves them with the model (`.keras`).

    Args:
        weight: multiplier of the term.
        max_references: most references held (the start plus the members);
            `capacity` before, still accepted for one release with a warning.
        floor: added to the squared distances (keeps the log finite at a reference).
        adaptive: hold the weight's scale in a variable that a
            `FunctionalTrustRegion` adapts during the path.

    Raises:
        ValueError: from `add_reference`: no weights, weights shaped unlike the
            network's, or more references than `max_references`.

    Example:
        >>> diversity = WeightDiversity(weight=1.0, max_references=11)
        >>> diversity.add_reference(network.trainable_weights)   # the start
        >>> model = FIPModel.from_model(network, objectives=[diversity])
    """

    def __init__(self, weight=1.0, max_references=16, floor=1e-6, name="weight_diversity",
                 eps=None, adaptive=False, **kwargs):
        if eps is not None:  # the name in files saved before keras-fip 0.2
            floor = eps
        # `capacity` before issue 23 (files saved then carry it too).
        kwargs = renamed_argument(kwargs, "capacity", "max_references", "WeightDiversity")
        max_references = kwargs.pop("max_references", max_references)
        super().__init__(checks.number(weight, "WeightDiversity weight", minimum=0),
                         name=name, adaptive=adaptive, **kwargs)
        self.max_references = checks.count(max_references, "WeightDiversity max_references")
        self.floor = checks.number(floor, "WeightDiversity floor", minimum=0, strict=True)
        self._references = None  # one (max_references, *shape) weight per network weight
        self._mask = None  # (max_references,) 1.0 where a reference is stored

    @property
    def num_references(self):
        return 0 if self._mask is None else int(np.sum(self._mask.numpy()))

    def _create(self, shapes):
        self._references = [
            self.add_weight(shape=(self.max_references, *shape), initializer="zeros",
                            trainable=False, name=f"reference_{i}")
            for i, shape in enumerate(shapes)
        ]
        self._mask = self.add_weight(shape=(self.max_references,), initializer="zeros",
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
        if slot >= self.max_references:
            raise ValueError(
                f"WeightDiversity holds at most {self.max_references} references; raise max_references."
            )
        for variable, array in zip(self._references, arrays):
            values = variable.numpy()
            values[slot] = array
            variable.assign(values)
        mask = self._mask.numpy()
        mask[slot] = 1.0
        self._mask.assign(mask)

    def member_sampled(self, network):
        """Called by `MemberSampler` when a member is taken: it becomes a reference."""
        if self.num_references < self.max_references:
            self.add_reference(network.trainable_weights)

    def squared_distances(self, weights):
        """`||w - w_k||^2` to each slot (0 where no reference is stored)."""
        terms = []
        for variable, reference in zip(weights, self._references):
            difference = ops.expand_dims(ops.cast(variable, "float32"), 0) - reference
            terms.append(ops.sum(ops.reshape(ops.square(difference), (self.max_references, -1)), axis=1))
        return add_n(terms)

    def call(self, model):
        if self._references is None:
            return ops.convert_to_tensor(0.0)
        weights = model.trainable_weights
        if len(weights) != len(self._references):
            raise ValueError(
                f"WeightDiversity has references for {len(self._references)} weights but "
                f"the model trains {len(weights)}; add references from the same "
                "trainable weights."
            )
        logs = ops.log(self.squared_distances(weights) + self.floor)
        count = ops.maximum(ops.sum(self._mask), 1.0)
        return -ops.sum(self._mask * logs) / count

    def get_config(self):
        return {**super().get_config(), "max_references": self.max_references, "floor": self.floor}


@dataclasses.dataclass
class GrowthResult:
    """What `grow_ensemble` returns.

    `cost()` sums the path's compute (`steps`, `examples`, `validation_examples`,
    `anchor_examples`, `total_examples`, `seconds`).

    Raises:
        TypeError: a required field is missing (a dataclass).

    Example:
        >>> result = grow_ensemble(network, x_train, members=5)
        >>> result.ensemble, len(result.members), result.cost()["total_examples"]

    Args:
        ensemble: the `FIPEnsemble` of the accepted members.
        members: the member networks (also `ensemble.members`).
        records: one dict per member: `member`, `step` (path steps taken when
            it was sampled), `weight_distance` (L2 from the start, all weights),
            `path_length` (steps times step length, for `PathStep` without a
            trust region), the fit logs at that point (`loss`, the distance on
            the training batches, `val_distance` under a trust region) and,
            with a validation split, `val_accuracy`.
        rejected: the candidates refused by the acceptance test, recorded the
            same way (empty without a validation split).
        steps: path steps taken; `seconds`: wall time of the path.
        config: the settings used.
        examples: training examples through the walker, forward and backward
            (`steps * batch_size`: each step's batch of `x`).
        validation_examples: validation inputs passed forward only: the
            start's accuracy and outputs on the split, every trust-region
            check and every acceptance test.
        anchor_examples: inputs passed forward only through the start to cache
            its outputs on `x` (once per path).
    """

    ensemble: object
    members: list
    records: list
    steps: int
    seconds: float
    config: dict
    rejected: list = dataclasses.field(default_factory=list)
    examples: int = 0
    validation_examples: int = 0
    anchor_examples: int = 0

    def cost(self):
        """The path's compute: `steps`, `examples` (forward + backward),
        `validation_examples` and `anchor_examples` (forward only),
        `total_examples` (their sum: a forward-only example counted as one) and
        `seconds`."""
        return {"steps": int(self.steps), "examples": int(self.examples),
                "validation_examples": int(self.validation_examples),
                "anchor_examples": int(self.anchor_examples),
                "total_examples": int(self.examples + self.validation_examples
                                      + self.anchor_examples),
                "seconds": float(self.seconds)}


class MemberSampler(keras.callbacks.Callback):
    """Samples members (copies of the walking network) along a path.

    A candidate is taken at the end of an epoch once `burn_in` steps are done
    and then every `steps_between` steps. With `acceptance` (a
    `MemberAcceptance`) it joins only when it keeps the start's validation
    accuracy; a refused candidate is recorded in `rejected`, and the trust
    region (if any) takes the walker back and shortens its steps. Each member
    is passed to the objective's `member_sampled` (`WeightDiversity` adds it as
    a reference; `RandomDirection` draws a new direction). Once `target`
    members are accepted the path stops. The members so far are saved with the
    path's checkpoints.

    Args:
        diversity: the objective told about each member (or None).
        start_weights: the starting network's weights (`get_weights()` order),
            to record the distance from the start.
        burn_in: path steps before the stretch in which members are sampled.
        steps_between: path steps between two candidates.
        acceptance: a `MemberAcceptance`, or None to accept every candidate.
        target: stop the path once this many members are accepted (None: never).
        region: the path's `FunctionalTrustRegion`, undone on a rejection.

    Raises:
        Nothing: no exception of its own; `WeightDiversity.add_reference` may raise
            `ValueError` once more members are sampled than it holds.

    Example:
        >>> sampler = MemberSampler(diversity, start_weights=network.get_weights(),
        ...                         steps_between=50, target=5)
        >>> traverse(network, x, steps=1000, objectives=[diversity], callbacks=[sampler])
        >>> members = sampler.members
    """

    def __init__(self, diversity=None, start_weights=None, burn_in=0, steps_between=1,
                 acceptance=None, target=None, region=None):
        super().__init__()
        self.diversity = diversity
        self.start_weights = start_weights
        self.burn_in = int(burn_in)
        self.steps_between = int(steps_between)
        self.acceptance = acceptance
        self.target = target
        self.region = region
        self.members = []
        self.records = []
        self.rejected = []

    def _network(self):
        return self.model.network

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.optimizer.iterations)
        if step <= self.burn_in or (step - self.burn_in) % self.steps_between:
            return
        network = self._network()
        record = {"step": step, **{k: float(v) for k, v in (logs or {}).items()}}
        if self.start_weights is not None:
            record["weight_distance"] = weight_distance(self.start_weights, network.get_weights())
        reason = None
        if self.region is not None and self.region.just_undone and self.region.back_at_member:
            # The walker was just taken back to the last member: a copy would repeat it.
            reason = "outside the trust region"
        elif self.acceptance is not None:
            accepted, record["val_accuracy"] = self.acceptance(network)
            if not accepted:
                reason = "validation accuracy below the tolerance"
                if self.region is not None:
                    self.region.candidate_rejected()
        if reason is not None:
            self.rejected.append({"candidate": len(self.members) + len(self.rejected) + 1,
                                  "reason": reason, **record})
            return
        member = fresh_copy(network)
        for layer in member.layers:  # members are for inference; trainable again
            layer.trainable = True
        self.members.append(member)
        self.records.append({"member": len(self.members), **record})
        if self.region is not None:
            self.region.member_accepted()
        if self.diversity is not None:
            self.diversity.member_sampled(network)
        if self.target is not None and len(self.members) >= self.target:
            self.model.stop_training = True

    # The path's checkpoints carry the members sampled so far.
    def save_checkpoint(self, folder):
        arrays = {f"m{i}_w{j}": w for i, member in enumerate(self.members)
                  for j, w in enumerate(member.get_weights())}
        np.savez(f"{folder}/members.npz", **arrays)
        with open(f"{folder}/members.json", "w") as f:
            json.dump({"records": self.records, "rejected": self.rejected}, f)

    def load_checkpoint(self, folder):
        with open(f"{folder}/members.json") as f:
            saved_records = json.load(f)
        if isinstance(saved_records, list):  # checkpoints before the acceptance test
            saved_records = {"records": saved_records, "rejected": []}
        self.records, self.rejected = saved_records["records"], saved_records["rejected"]
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
    """L2 distance between two lists of weight arrays (a network's `get_weights()`).

    Args:
        a: a list of arrays.
        b: a list of arrays of the same shapes, in the same order.

    Returns:
        The L2 norm of `a - b` over all arrays together, a float (computed in float64).

    Raises:
        ValueError: lists of different lengths (or numpy's error for arrays of
            different shapes).

    Example:
        >>> weight_distance(start.get_weights(), member.get_weights())
    """
    a, b = list(a), list(b)
    if len(a) != len(b):
        raise ValueError(f"Cannot compare {len(a)} weight arrays with {len(b)}.")
    return float(math.sqrt(sum(
        float(np.sum((np.asarray(x, np.float64) - np.asarray(y, np.float64)) ** 2))
        for x, y in zip(a, b)
    )))


def _weight_diversity(weight, members, seed, adaptive, start):
    objective = WeightDiversity(weight, max_references=members + 1, adaptive=adaptive)
    objective.add_reference(start.trainable_weights)
    return objective


def _random_direction(weight, members, seed, adaptive, start):
    from keras_fip.robustness.directions import RandomDirection

    return RandomDirection(weight, seed=seed, adaptive=adaptive)


#: `sampling` -> the secondary objective of the path, `make(weight, members, seed,
#: adaptive, start)`.
SAMPLINGS = {"diversity": _weight_diversity, "random_direction": _random_direction}


def grow_ensemble(
    network, x, *, members=10, steps_between=100, burn_in=0, sampling="diversity",
    diversity_weight=1.0, step_length=0.05, batch_size=128, max_candidates=None,
    acceptance=None, path=None, average="probabilities", seed=0, verbose=0, callbacks=None,
    checkpoint_dir=None, **old_keywords,
):
    """Walks a weight-diversifying FIP from `network` and samples an ensemble.

    Each path step minimises `D(start outputs, outputs)` on a batch of `x`
    (the starting network's outputs on all of `x` are computed once and cached)
    plus the secondary objective: `WeightDiversity` (away from the start and
    every member sampled so far; `sampling="diversity"`) or `RandomDirection`
    (along a random direction redrawn per member; `sampling="random_direction"`),
    with the path's optimizer (default: `PathStep`, fixed-length steps). A
    candidate member is taken every `steps_between` steps.

    With `acceptance=AcceptanceSettings((x_val, y_val), ...)` (a validation
    split carved from the training data) the members keep the function: a
    candidate is accepted only when its validation accuracy is within
    `tolerance` of the start's (the others are listed in `rejected`), and with
    `max_distance` a `FunctionalTrustRegion` holds the path within that mean
    Bhattacharyya distance of the start on `x_val`, adapting the step length and
    the objective's weight. The path then runs until `members` are accepted or
    `max_candidates` candidates were taken.

    The keywords `validation`, `tolerance`, `max_distance`, `check_every`
    (now in `acceptance`) and `distance`, `optimizer`, `initial_kick`,
    `freeze_batchnorm` (now in `path`) still work for one release, with a
    DeprecationWarning.

    Args:
        network: the trained starting network (a `keras.Model`); not modified.
        x: the data whose outputs must be kept (the training inputs).
        members: number of members to sample (the paper uses 10).
        steps_between: path steps between two candidates.
        burn_in: path steps before the stretch in which members are sampled
            (the first member comes `burn_in + steps_between` steps from the start).
        sampling: `"diversity"` or `"random_direction"` (see above).
        diversity_weight: weight of the secondary objective against the distance.
        step_length: length of each `PathStep` step in weight space.
        batch_size: samples of `x` per step.
        max_candidates: most candidates taken (default: `members` without a
            validation split, `2 * members` with it).
        acceptance: an `AcceptanceSettings` (validation split, tolerance, trust
            region), or None: every candidate is accepted.
        path: a `PathSettings` (distance, optimizer, initial kick, frozen
            BatchNormalization), or None for its defaults.
        average: how the ensemble averages its members: `"probabilities"` or
            `"logits"`.
        seed: seed of the random kick, the directions and the batch order.
        verbose: Keras fit verbosity.
        callbacks: more Keras callbacks for the path's `fit`.
        checkpoint_dir: if given, the path (members included) is checkpointed
            there, and a killed run started again with the same arguments
            continues from there (see `keras_fip.engine.traverse`).
        **old_keywords: the keywords of the signature before the groups.

    Returns:
        A `GrowthResult` (`.ensemble`, `.members`, `.records`, `.rejected`,
        `.steps`, `.seconds`).

    Raises:
        TypeError: `network` is not a `keras.Model`, or an unknown keyword.
        ValueError: an unknown `average` or `sampling`, a trust region without a
            validation split, fewer candidates than members, or counts and weights
            out of range.
        FloatingPointError: the path's loss became NaN or infinite.

    Example:
        >>> result = grow_ensemble(network, x_fit, members=10, steps_between=50,
        ...                        acceptance=AcceptanceSettings((x_val, y_val),
        ...                                                      max_distance=0.05))
        >>> result.ensemble.predict(data.x_test)
    """
    from keras_fip.robustness.settings import (
        AcceptanceSettings, PathSettings, from_old_keywords,
    )

    acceptance, path = from_old_keywords(old_keywords, acceptance, path)
    acceptance = acceptance or AcceptanceSettings()
    path = path or PathSettings()
    validation, tolerance = acceptance.validation, acceptance.tolerance
    max_distance, check_every = acceptance.max_distance, acceptance.check_every
    distance, optimizer = path.distance, path.optimizer
    initial_kick, freeze_batch_norm = path.initial_kick, path.freeze_batch_norm
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
    if sampling not in SAMPLINGS:
        raise ValueError(f"Unknown sampling {sampling!r}; choose one of {tuple(SAMPLINGS)}.")
    tolerance = checks.number(tolerance, "tolerance", minimum=0, maximum=1)
    check_every = checks.count(check_every or steps_between, "check_every")
    if max_distance is not None:
        max_distance = checks.number(max_distance, "max_distance", minimum=0, strict=True)
        if validation is None:
            raise ValueError("max_distance (the trust region) needs validation=(x_val, y_val).")
    x = checks.inputs(x, network, "x", empty="grow_ensemble got no data (x is empty).")
    if validation is not None:
        x_val, y_val = checks.labelled_pair(validation, network, "validation")
    candidates = checks.count(max_candidates or (members if validation is None else 2 * members),
                              "max_candidates")
    if candidates < members:
        raise ValueError(f"max_candidates ({candidates}) must be at least members ({members}).")
    from_logits = outputs_are_logits(network, x[:8])
    DistanceLoss(distance, from_logits=from_logits)  # an unknown distance stops here

    adaptive = max_distance is not None
    # The start, in the weights the path trains (frozen BatchNorm's excluded).
    start = freeze(fresh_copy(network)) if freeze_batch_norm else network
    objective = SAMPLINGS[sampling](diversity_weight, members, seed, adaptive, start)
    kick = step_length if initial_kick is None else float(initial_kick)
    region = acceptance = None
    if validation is not None:
        acceptance = MemberAcceptance(x_val, y_val, accuracy(network, x_val, y_val), tolerance)
        if adaptive:
            region = FunctionalTrustRegion(x_val, probabilities(network, x_val),
                                           max_distance, objective)
    sampler = MemberSampler(objective, network.get_weights(), burn_in, steps_between,
                            acceptance=acceptance, target=members, region=region)
    # Candidates come every `steps_between` steps after the burn-in: epochs end there.
    epoch_steps = math.gcd(math.gcd(burn_in, steps_between), check_every)
    walked = traverse(
        network, x, steps=burn_in + candidates * steps_between, objectives=[objective],
        step_length=step_length, optimizer=optimizer, distance=distance, batch_size=batch_size,
        epoch_steps=epoch_steps, freeze_batch_norm=freeze_batch_norm,
        callbacks=[InitialKick(kick, seed), *([region] if region else []), sampler,
                   *(callbacks or [])],
        checkpoint_dir=checkpoint_dir, seed=seed, verbose=verbose, name="diversifying path",
    )
    if not sampler.members:
        raise ValueError(
            f"No candidate of the path was accepted ({len(sampler.rejected)} rejected): every "
            f"one lost more than {tolerance:g} validation accuracy; try a shorter step_length, a "
            "smaller diversity_weight or a max_distance."
        )
    walker_optimizer = walked.fip_model.optimizer
    optimizer_name = type(walker_optimizer).__name__
    fixed_steps = (isinstance(walker_optimizer, PathStep) and not walker_optimizer.momentum
                   and region is None)
    for record in sampler.records:
        if fixed_steps:
            record["path_length"] = kick + record["step"] * step_length
    ensemble = FIPEnsemble(sampler.members, average=average, from_logits=from_logits)
    config = {
        "members": members, "steps_between": steps_between, "burn_in": burn_in,
        "diversity_weight": float(diversity_weight), "distance": str(distance),
        "optimizer": optimizer_name, "step_length": float(step_length),
        "batch_size": batch_size, "initial_kick": kick,
        "freeze_batch_norm": bool(freeze_batch_norm), "average": average, "seed": seed,
        "protected_samples": int(len(x)), "sampling": sampling,
        "objective": type(objective).__name__,
        "validation_samples": None if validation is None else int(len(x_val)),
        "tolerance": None if validation is None else tolerance,
        "start_val_accuracy": None if acceptance is None else acceptance.start_accuracy,
        "max_distance": max_distance, "max_candidates": candidates,
        "check_every": check_every if region else None,
        "accepted": len(sampler.members), "rejected": len(sampler.rejected),
        "trust_region_undone_epochs": region.rejected_epochs if region else None,
    }
    # Forward-only passes: the start on the validation split (its accuracy for the
    # acceptance test, its outputs for the trust region), every check and test.
    validation_examples = 0
    if acceptance is not None:
        validation_examples += len(x_val) + acceptance.validation_examples
    if region is not None:
        validation_examples += len(x_val) + region.validation_examples
    return GrowthResult(
        ensemble=ensemble, members=list(sampler.members), records=sampler.records,
        steps=walked.steps, seconds=walked.seconds, config=config, rejected=sampler.rejected,
        examples=int(walked.steps) * batch_size, validation_examples=validation_examples,
        anchor_examples=len(x),
    )

