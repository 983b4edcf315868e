"""`sparsify_ramp`: a FIP whose sparse target rises in stages the path actually reaches.

The reference path aims at the final sparse set from its first step. Far from
that set, the pull and the distance term pull against each other: the path
either stays far from the set and its final cut removes what it never shrank
(the reference: 0.40 on LeNet-300-100 at 98%), or it is forced there and gives
up the function on the way (`fip_pull`). This path moves the *target* instead:

1. the target sparsity rises from 0 to `sparsity` along the cubic schedule of
   gradual magnitude pruning (`PolynomialSparsity`, over `end_fraction` of the
   budget), in stages `frequency` steps apart;
2. at each stage the network is brought onto that stage's sparse set: one
   global magnitude cut at the stage's target, the mask then held
   (`GradualMask`, the same callback `gmp` uses), so every stage is reached
   exactly, not approached;
3. between stages the engine's FIP steps (`traverse`: fixed-length steps along
   the normalised gradient of the output distance, `PathStep`) bring the
   network back towards the outputs the dense network gave, on unlabeled
   training inputs (the Bhattacharyya distance to the cached anchor outputs).
   Labels are never read: the function is defined by the dense network.

After the ramp the rest of the budget keeps restoring the function at the
final target; the path ends on the sparse set with exact zeros.

What this is, plainly: with the mask held and the output distance as the only
loss, this is gradual magnitude pruning trained by distillation to the dense
network's outputs without labels, with the engine's normalised fixed-length
steps (the FIP step with the identity metric on weights) in place of Adam. Its
honest peer is `gmp_kd` (the same schedule and cut, Adam on the usual
distillation loss); the labelled `gmp` is the peer a user with labels has.
The path protects the dense network's outputs under the output distance; the
report says what it kept at every recorded point (`path`: validation accuracy,
the distance to the start on validation inputs, the stage's target and the
measured sparsity), and `kept` holds when validation accuracy stayed within
`KEPT_POINTS` of the start at every one of them.
"""

import time

import keras

from keras_fip import checks
from keras_fip.engine.networks import fresh_copy, outputs_are_logits
from keras_fip.engine.steps import PathStep
from keras_fip.engine.traverse import traverse
from keras_fip.sparsity.callbacks import GradualMask, point
from keras_fip.sparsity.fip import _arrival, _without_dropout
from keras_fip.sparsity.objective import SparsityObjective
from keras_fip.sparsity.prunable import zero_fraction
from keras_fip.sparsity.result import SparsificationResult
from keras_fip.sparsity.schedules import PolynomialSparsity, check_sparsity

#: `kept`: validation accuracy within this much of the start at every recorded point.
KEPT_POINTS = 0.02
#: About this many recorded points along a path.
RECORDS = 20


class RampStages(GradualMask):
    """`GradualMask` on the path's own network, recording each point of the path.

    Binds the objective to the walked network when the path starts (the
    engine's `traverse` makes the copy it walks), cuts at each stage's target
    and holds the mask, and adds to each epoch's logs (so the path's records
    carry them): `step`, `target_sparsity`, `sparsity` (measured zeros),
    `val_distance` (mean exact Bhattacharyya distance to the dense network's
    outputs on the validation inputs, label-free) and `val_accuracy` when
    validation labels are given.
    """

    def __init__(self, objective, frequency, epoch_steps, probe, probe_outputs,
                 from_logits=True, validation_data=None):
        super().__init__(objective, frequency)
        from keras_fip.engine.distances import Bhattacharyya

        self.epoch_steps = int(epoch_steps)
        self.probe = probe
        self.probe_outputs = probe_outputs
        self.validation_data = validation_data
        self._distance = Bhattacharyya(from_logits=from_logits)

    def on_train_begin(self, logs=None):
        self.objective.bind(self.model)
        super().on_train_begin(logs)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        self.model  # noqa: B018  (syncs on JAX)
        logs.update(point(self.model, self.probe, self.probe_outputs, self._distance,
                          self.validation_data))
        logs["step"] = float(self.step)
        logs["target_sparsity"] = float(self.objective.target_at(self.step))
        logs["sparsity"] = zero_fraction(self.objective.pruned_variables)


def record_length(steps, records=RECORDS):
    """Steps between recorded points: the divisor of `steps` nearest `steps / records`."""
    divisors = [d for d in range(1, steps + 1) if steps % d == 0]
    return min(divisors, key=lambda d: abs(d - steps / records))


def step_lengths(step_length, steps, warmup=0.0, decay=True):
    """The step length of each step: a linear warm-up from 0 over `warmup` of the
    steps, then constant or a cosine decay to 1% by the last step."""
    warm = int(steps * warmup)
    if not warm:
        return (keras.optimizers.schedules.CosineDecay(step_length, steps, alpha=0.01)
                if decay else step_length)
    return keras.optimizers.schedules.CosineDecay(
        0.0, max(1, steps - warm), alpha=0.01 if decay else 1.0, warmup_target=step_length,
        warmup_steps=warm)


def sparsify_ramp(network, x, *, sparsity, steps=1000, batch_size=200, step_length=0.2,
                  warmup=0.25, decay=True, momentum=0.9, end_fraction=0.75, frequency=None, power=3.0,
                  distance="bhattacharyya", scope="kernels_and_biases", min_density=0.0,
                  validation_data=None, probe=None, records=RECORDS, seed=0, verbose=0):
    """Sparsifies `network` along a FIP whose target rises in stages (see the module).

    Takes inputs only: the path keeps the dense network's outputs on `x`.

    Args:
        network: the trained Keras network (not modified).
        x: unlabeled training inputs.
        sparsity: the final fraction of zero weights over `scope`, in [0, 1).
        steps: the path's step budget (exactly this many steps).
        batch_size: inputs per step.
        step_length: length of each FIP step in weight space.
        warmup: the share of the budget over which the step length grows
            linearly from 0 (the first stages cut little and need little
            restoring: full-length steps there move the function more than the
            cuts do).
        decay: shrink the step length along a cosine to 1% of it by the last step.
        momentum: heavy-ball momentum of the FIP steps (over their unit
            directions): a direction the batches agree on is followed up to
            `1 / (1 - momentum)` times faster, batch noise averages out.
        end_fraction: the share of the budget over which the target ramps up.
        frequency: steps between stages (default steps // 100, as `gmp`'s).
        power: exponent of the ramp (3: the cubic schedule of Zhu & Gupta).
        distance: the output distance the steps keep small.
        scope, min_density: what counts, and the least density of each layer.
        validation_data: `(x, y)` whose accuracy is recorded at every point
            (labels are read only to report accuracy, never by the path).
        probe: inputs on which the distance to the start is recorded
            (default: the validation inputs, else the first 2,000 of `x`).
        records: about how many points are recorded along the path.
        seed: seed of the batches.
        verbose: Keras progress bar.

    Returns:
        A `SparsificationResult`: `path` holds one record per point, the start
        first (`step` 0); `kept` is whether validation accuracy stayed within
        `KEPT_POINTS` of the start at every recorded point.

    Raises:
        ValueError: a sparsity, count, length or fraction out of range, inputs or
            validation data the network cannot take, or a network that is not a
            single classifier.
        FloatingPointError: the path's loss became NaN or infinite.

    Example:
        >>> from keras_fip.sparsity import sparsify_ramp
        >>> result = sparsify_ramp(network, x_train, sparsity=0.98, steps=4000,
        ...                        validation_data=(x_val, y_val))
        >>> result.sparsity, result.kept
    """
    network = checks.classifier(network, "model")
    x = checks.inputs(x, network, "x")
    sparsity = check_sparsity(sparsity)
    steps = checks.count(steps, "steps")
    batch_size = checks.count(batch_size, "batch_size")
    step_length = checks.number(step_length, "step_length", minimum=0, strict=True)
    checks.number(warmup, "warmup", minimum=0, maximum=1)
    checks.number(momentum, "momentum", minimum=0, maximum=1)
    checks.number(end_fraction, "end_fraction", minimum=0, strict=True, maximum=1)
    frequency = checks.count(frequency, "frequency") if frequency is not None \
        else max(1, steps // 100)
    if validation_data is not None:
        validation_data = checks.labelled_pair(validation_data, network, "validation_data")
    if probe is None:
        probe = validation_data[0] if validation_data is not None else x[:2000]
    start = time.perf_counter()
    objective = SparsityObjective(
        schedule=PolynomialSparsity(sparsity, max(1, int(steps * end_fraction)), power=power),
        scope=scope, min_density=min_density)
    walked_from = _without_dropout(network)
    from_logits = outputs_are_logits(network, x[:8])
    probe_outputs = network.predict(probe, batch_size=1000, verbose=0)
    epoch_steps = record_length(steps, records)
    stages = RampStages(objective, frequency, epoch_steps, probe, probe_outputs, from_logits,
                        validation_data)
    from keras_fip.engine.distances import Bhattacharyya

    first = {"epoch": 0, "step": 0.0, "target_sparsity": 0.0,
             "sparsity": 0.0, **point(network, probe, probe_outputs,
                                      Bhattacharyya(from_logits=from_logits), validation_data)}
    length = step_lengths(step_length, steps, warmup, decay)
    keras.utils.set_random_seed(seed)
    path = traverse(walked_from, x, steps=steps, optimizer=PathStep(length, momentum),
                    distance=distance,
                    batch_size=batch_size, epoch_steps=epoch_steps, freeze_batch_norm=True,
                    callbacks=[stages], seed=seed, verbose=verbose,
                    name="ramped sparsification path")
    for record in path.records:
        record["sparsity"] = float(record.get("sparsity", 0.0))
    records_ = [first, *path.records]
    gap = objective.distance_to_sparse_set()
    masks = objective.snap()
    walked = fresh_copy(network)
    walked.set_weights(path.network.get_weights())
    figures = _arrival(network, walked, probe, validation_data)
    kept = None
    if validation_data is not None:
        lowest = min(r["val_accuracy"] for r in records_)
        kept = bool(lowest >= first["val_accuracy"] - KEPT_POINTS)
        figures.update(kept=kept, accuracy_at_snap=figures["accuracy_at_arrival"],
                       lowest_accuracy_on_path=lowest)
    return SparsificationResult(
        network=walked, masks=masks, sparsity=zero_fraction(list(masks.values())),
        path_steps=path.steps, finetune_steps=0, reached=bool(gap < 1e-6), gap=gap,
        path=records_, seconds=time.perf_counter() - start,
        kept_rule=(f"validation accuracy within {KEPT_POINTS:g} of the start at every "
                   f"recorded point ({len(records_)} points)"), **figures)
