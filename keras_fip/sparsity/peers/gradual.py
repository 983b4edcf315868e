"""Gradual magnitude pruning (Zhu & Gupta 2017), on labels or by distillation.

- `gradual_magnitude` ("gmp"): one global threshold on the cubic schedule, the
  mask updated every `frequency` steps, training on labels throughout.
- `gradual_magnitude_kd` ("gmp_kd"): the same schedule and cut trained by
  distillation to the dense network's outputs: without labels, the honest
  peer of `sparsify_ramp`; with labels, labels + distillation.
"""

import time

import keras

from keras_fip import checks
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.sparsity.callbacks import GradualMask
from keras_fip.sparsity.distill import distillation_loss
from keras_fip.sparsity.objective import SparsityObjective
from keras_fip.sparsity.prunable import measured_sparsity
from keras_fip.sparsity.result import (
    SparsificationResult, check_training, check_training_data, copy_network,
)
from keras_fip.sparsity.schedules import PolynomialSparsity
from keras_fip.sparsity.training import fit_masked


def gradual_magnitude(network, x, y, *, sparsity, steps=2000, batch_size=200,
                      learning_rate=1e-3, end_fraction=0.75, frequency=None, scope="kernels",
                      min_density=0.0, seed=0, verbose=0, callbacks=()):
    """Gradual magnitude pruning with one global threshold (Zhu & Gupta 2017).

    Trains on `(x, y)` with Adam for `steps` steps while the target rises from 0
    to `sparsity` along the cubic schedule over the first `end_fraction` of the
    steps; every `frequency` steps (default: steps // 100, at least 1) the mask
    is recomputed by one magnitude cut over all counted weights. The rest of the
    budget fine-tunes at the target with the mask held. `callbacks` (such as
    `PathPoints`) see the run after each step's mask.

    Args:
        network: the trained Keras model (not modified: a copy is pruned).
        x: training inputs.
        y: integer labels.
        sparsity: the final fraction of zero weights, in [0, 1).
        steps: training steps in all.
        batch_size: inputs per step.
        learning_rate: Adam's learning rate.
        end_fraction: share of the steps over which the target rises, in (0, 1].
        frequency: steps between two mask updates.
        scope: which weights count (see `prunable_variables`).
        min_density: the least fraction of each variable kept.
        seed: seed of the batch order.
        verbose: passed to `fit`.
        callbacks: more Keras callbacks.

    Returns:
        A `SparsificationResult` (`path_steps` 0, `finetune_steps` the whole budget).

    Raises:
        ValueError: a sparsity, count, fraction or learning rate out of range, or
            data the network cannot take.

    Example:
        >>> result = gradual_magnitude(network, x_train, y_train, sparsity=0.98, steps=4000)
    """
    copy = copy_network(network)
    x, y = check_training_data(copy, x, y, needs_labels=True)
    loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=outputs_are_logits(copy, x[:8]))
    return _gradual(copy, x, y, loss, sparsity=sparsity, steps=steps, batch_size=batch_size,
                    learning_rate=learning_rate, end_fraction=end_fraction,
                    frequency=frequency, scope=scope, min_density=min_density, seed=seed,
                    verbose=verbose, callbacks=callbacks)


def gradual_magnitude_kd(network, x, y=None, *, sparsity, steps=2000, batch_size=200,
                         learning_rate=1e-3, temperature=1.0, end_fraction=0.75,
                         frequency=None, scope="kernels", min_density=0.0, seed=0, verbose=0,
                         callbacks=()):
    """`gradual_magnitude` trained by distillation to the dense network's outputs.

    The same schedule, cut and budget as `gradual_magnitude`; the loss is
    `DistillationLoss` (KL to the dense network's softmax at `temperature`,
    computed once on `x`). Without labels (`y=None`) that is the whole loss,
    label-free pruning; with labels the cross-entropy on `y` is added (labels +
    distillation, the strongest labelled recipe).

    Args:
        network: the trained Keras model: the teacher, not modified (a copy is pruned).
        x: training inputs.
        y: integer labels, or None for label-free pruning.
        sparsity: the final fraction of zero weights, in [0, 1).
        steps: training steps in all.
        batch_size: inputs per step.
        learning_rate: Adam's learning rate.
        temperature: the softmax temperature of the distillation.
        end_fraction: share of the steps over which the target rises, in (0, 1].
        frequency: steps between two mask updates.
        scope: which weights count (see `prunable_variables`).
        min_density: the least fraction of each variable kept.
        seed: seed of the batch order.
        verbose: passed to `fit`.
        callbacks: more Keras callbacks.

    Returns:
        A `SparsificationResult`.

    Raises:
        ValueError: a sparsity, count, fraction or learning rate out of range, or
            data the network cannot take.

    Example:
        >>> result = gradual_magnitude_kd(network, x_train, sparsity=0.98, steps=4000)  # no labels
    """

    teacher = checks.classifier(network, "model")
    copy = copy_network(network)
    x, y = check_training_data(copy, x, y)
    loss, targets = distillation_loss(teacher, x, y, temperature=temperature)
    return _gradual(copy, x, targets, loss, sparsity=sparsity, steps=steps,
                    batch_size=batch_size, learning_rate=learning_rate,
                    end_fraction=end_fraction, frequency=frequency, scope=scope,
                    min_density=min_density, seed=seed, verbose=verbose, callbacks=callbacks)


def _gradual(network, x, targets, loss, *, sparsity, steps, batch_size, learning_rate,
             end_fraction, frequency, scope, min_density, seed, verbose, callbacks=()):
    """Gradual magnitude pruning of `network` (modified) trained on `loss(targets, .)`."""

    steps, batch_size = check_training(steps, batch_size, learning_rate)
    checks.number(end_fraction, "end_fraction", minimum=0, strict=True, maximum=1)
    frequency = checks.count(frequency, "frequency") if frequency is not None \
        else max(1, steps // 100)
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    ramp = max(1, int(steps * end_fraction))
    objective = SparsityObjective(schedule=PolynomialSparsity(sparsity, ramp, power=3.0),
                                  scope=scope, min_density=min_density)
    objective.bind(network)
    fit_masked(network, x, targets, loss, steps=steps, batch_size=batch_size,
               learning_rate=learning_rate, seed=seed, verbose=verbose,
               mask_callback=GradualMask(objective, frequency), callbacks=callbacks)
    masks = objective.snap(network)  # exactly the target (the last update already was)
    reached, _ = measured_sparsity(network, scope)
    return SparsificationResult(
        network=network, masks=masks, sparsity=reached, path_steps=0, finetune_steps=steps,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )
