"""One-shot magnitude pruning: one global cut, then fine-tuning with the mask held.

- `one_shot`: the cut, then `steps` of fine-tuning on labels (0: the cut only,
  what the label-free experiment runs as "oneshot (no fine-tuning)").
- `one_shot_kd`: the cut, then training by distillation to the dense network's
  outputs (`keras_fip.sparsity.distill`): without labels, a label-free peer of
  FIP; with labels, labels + distillation.
"""

import time

import keras

from keras_fip import checks
from keras_fip.sparsity.distill import distillation_loss
from keras_fip.sparsity.callbacks import HoldMask
from keras_fip.sparsity.objective import SparsityObjective
from keras_fip.sparsity.prunable import measured_sparsity
from keras_fip.sparsity.result import (
    SparsificationResult, check_training, check_training_data, copy_network,
)
from keras_fip.sparsity.training import finetune, fit_masked


def one_shot(network, x, y, *, sparsity, steps=2000, batch_size=200, learning_rate=1e-3,
             scope="kernels", granularity="global", min_density=0.0, seed=0, verbose=0):
    """Global magnitude pruning at once, then `steps` of fine-tuning with the mask held.

    Args:
        network: the trained Keras model (not modified: a copy is pruned).
        x: training inputs.
        y: integer labels (needed when `steps` > 0).
        sparsity: target fraction of zero weights, in [0, 1).
        steps: fine-tuning steps after the cut (0: prune only).
        batch_size: inputs per step.
        learning_rate: Adam's learning rate.
        scope: which weights count (see `prunable_variables`).
        granularity: `"global"` (one cut over all counted weights) or `"per_layer"`.
        min_density: the least fraction of each variable kept.
        seed: seed of the batch order.
        verbose: passed to `fit`.

    Returns:
        A `SparsificationResult` (`path_steps` 0, `reached` True).

    Raises:
        ValueError: a sparsity, count or learning rate out of range, fine-tuning
            without labels, or data the network cannot take.
        FloatingPointError: the fine-tuning loss became NaN or infinite.

    Example:
        >>> result = one_shot(network, x_train, y_train, sparsity=0.95, steps=1000)
        >>> result.sparsity, result.network
    """
    network = copy_network(network)
    x, y = check_training_data(network, x, y, needs_labels=bool(steps))  # 0: prune only
    check_training(steps, batch_size, learning_rate, minimum_steps=0)
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    objective = SparsityObjective(sparsity, scope=scope, granularity=granularity,
                                  min_density=min_density)
    objective.bind(network)
    masks = objective.snap(network)
    tuned = finetune(network, x, y, masks, steps=steps, batch_size=batch_size,
                     learning_rate=learning_rate, seed=seed, verbose=verbose)
    reached, _ = measured_sparsity(network, scope)
    return SparsificationResult(
        network=network, masks=masks, sparsity=reached, path_steps=0, finetune_steps=tuned,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )


def one_shot_kd(network, x, y=None, *, sparsity, steps=2000, batch_size=200,
                learning_rate=1e-3, temperature=1.0, scope="kernels", granularity="global",
                min_density=0.0, seed=0, verbose=0):
    """`one_shot`, its fine-tuning trained by distillation to the dense network's outputs.

    Without labels (`y=None`) the distillation loss is the whole loss; with
    labels the cross-entropy on `y` is added (see `gradual_magnitude_kd`).

    Args:
        network: the trained Keras model: the teacher, not modified (a copy is pruned).
        x: training inputs.
        y: integer labels, or None for label-free pruning.
        sparsity: target fraction of zero weights, in [0, 1).
        steps: fine-tuning steps after the cut.
        batch_size: inputs per step.
        learning_rate: Adam's learning rate.
        temperature: the softmax temperature of the distillation.
        scope: which weights count (see `prunable_variables`).
        granularity: `"global"` or `"per_layer"`.
        min_density: the least fraction of each variable kept.
        seed: seed of the batch order.
        verbose: passed to `fit`.

    Returns:
        A `SparsificationResult`.

    Raises:
        ValueError: a sparsity, count or learning rate out of range, or data the
            network cannot take.

    Example:
        >>> result = one_shot_kd(network, x_train, sparsity=0.95, steps=1000)  # no labels
    """

    teacher = checks.classifier(network, "model")
    copy = copy_network(network)
    x, y = check_training_data(copy, x, y)
    check_training(steps, batch_size, learning_rate, minimum_steps=0)
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    objective = SparsityObjective(sparsity, scope=scope, granularity=granularity,
                                  min_density=min_density)
    objective.bind(copy)
    masks = objective.snap(copy)
    loss, targets = distillation_loss(teacher, x, y, temperature=temperature)
    tuned = fit_masked(copy, x, targets, loss, steps=steps, batch_size=batch_size,
                       learning_rate=learning_rate, seed=seed, verbose=verbose,
                       mask_callback=HoldMask(masks))
    reached, _ = measured_sparsity(copy, scope)
    return SparsificationResult(
        network=copy, masks=masks, sparsity=reached, path_steps=0, finetune_steps=tuned,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )


def prune_one_shot(network, x, y, *, sparsity, steps, label_free=False, **settings):
    """`one_shot` as the experiment runs it: label-free, the cut alone (no fine-tuning)."""
    if label_free:
        return one_shot(network, x, None, sparsity=sparsity, steps=0, **settings)
    return one_shot(network, x, y, sparsity=sparsity, steps=steps, **settings)
