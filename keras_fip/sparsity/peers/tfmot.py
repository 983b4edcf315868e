"""tensorflow-model-optimization's pruning as it ships, and at its best: "tfmot", "tfmot_global".

`tfmot_polynomial` converts the network to tf_keras, prunes it with
`prune_low_magnitude` and `PolynomialDecay`, and converts it back. Its training
stays tf_keras' own `compile`/`fit` (not `fit_supervised`): tfmot's wrappers are
tf_keras layers and need a tf_keras model and `UpdatePruningStep`.
"""

import time

import keras
import numpy as np

from keras_fip import checks
from keras_fip.engine import backend
from keras_fip.engine.batches import epoch_length, path_batches
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.sparsity.objective import SparsityObjective, check_min_density, check_sparsity
from keras_fip.sparsity.prunable import masks_of, measured_sparsity, prunable_variables
from keras_fip.sparsity.result import (
    SparsificationResult, check_training, check_training_data, copy_network,
)

ALLOCATIONS = ("uniform", "global")


def layer_targets(network, sparsity, *, scope="kernels", allocation="uniform", min_density=0.0):
    """Per-layer kernel sparsities for tfmot, `{layer name: target}`.

    tfmot prunes kernels only. So that a tfmot model has as many nonzero weights
    over `scope` as a cut at `sparsity` over `scope` leaves, the kernels are
    pruned to `1 - (kept - dense) / kernels`, where `dense` counts the other
    weights of `scope` (biases...), which tfmot leaves as they are. That kernel
    sparsity is then given to every layer (`"uniform"`) or shared out by one
    global magnitude cut over the kernels (`"global"`); `min_density` keeps at
    least that fraction of every layer.
    """
    if allocation not in ALLOCATIONS:
        raise ValueError(f"allocation must be one of {ALLOCATIONS}, got {allocation!r}.")
    min_density = check_min_density(min_density)
    kernels = prunable_variables(network, "kernels")
    counted = sum(int(np.prod(v.shape)) for v in prunable_variables(network, scope))
    size = sum(int(np.prod(v.shape)) for v in kernels)
    kept = counted - int(np.floor(sparsity * counted)) - (counted - size)
    kernel_sparsity = min(max(1.0 - kept / size, 0.0), np.nextafter(1.0, 0.0))
    names = [v.path.split("/")[-2] for v in kernels]
    if allocation == "uniform":
        return {name: min(kernel_sparsity, 1.0 - min_density) for name in names}
    objective = SparsityObjective(kernel_sparsity, scope="kernels", min_density=min_density)
    objective.bind(network)
    masks = objective.masks_at(kernel_sparsity)
    return {name: 1.0 - float(np.mean(np.asarray(mask))) for name, mask in zip(names, masks)}


def tfmot_polynomial(network, x, y, *, sparsity, steps=2000, batch_size=200,
                     learning_rate=1e-3, end_fraction=0.75, frequency=None, scope="kernels",
                     allocation="uniform", min_density=0.0, seed=0, verbose=0):
    """tfmot's `prune_low_magnitude` with `PolynomialDecay` from 0 to each layer's target.

    The sparsity ramps over the first `end_fraction` of the steps and the rest
    fine-tunes at the target; masks update every `frequency` steps (default:
    steps // 100, at least 1). Each layer's target comes from `layer_targets`:
    `"uniform"` (tfmot as it ships: every layer to the target) or `"global"`
    (each layer to its share of one global magnitude cut).

    Args:
        network: the trained Keras model (not modified: a copy is pruned).
        x: training inputs.
        y: integer labels.
        sparsity: the target fraction of zero weights over `scope`, in [0, 1).
        steps: training steps in all.
        batch_size: inputs per step.
        learning_rate: Adam's learning rate.
        end_fraction: share of the steps over which the sparsity ramps, in (0, 1].
        frequency: steps between two mask updates.
        scope: which weights count towards `sparsity` (tfmot prunes kernels only).
        allocation: `"uniform"` or `"global"`.
        min_density: the least fraction of each layer kept.
        seed: seed of the batch order.
        verbose: passed to `fit`.

    Returns:
        A `SparsificationResult`, its model back in Keras 3.

    Raises:
        ValueError: a sparsity, count, fraction or learning rate out of range, an
            unknown allocation, or data the network cannot take.
        UnsupportedModelError: a layer tfmot's converter cannot take.
        RuntimeError: a Keras backend other than TensorFlow (`UnsupportedBackendError`).
        ImportError: tensorflow-model-optimization or tf-keras is not installed.

    Example:
        >>> result = tfmot_polynomial(network, x_train, y_train, sparsity=0.95,
        ...                           steps=2000, allocation="global")
    """
    from keras_fip.sparsity._tfmot import tfmot
    from keras_fip.sparsity.convert import from_tf_keras, to_tf_keras

    backend.require_tensorflow("tfmot_polynomial (tensorflow-model-optimization's pruning)")
    sparsity = check_sparsity(sparsity)
    network = copy_network(network)
    targets = layer_targets(network, sparsity, scope=scope, allocation=allocation,
                            min_density=min_density)
    x, y = check_training_data(network, x, y, needs_labels=True)
    steps, batch_size = check_training(steps, batch_size, learning_rate)
    checks.number(end_fraction, "end_fraction", minimum=0, strict=True, maximum=1)
    if frequency is not None:
        frequency = checks.count(frequency, "frequency")
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    module = tfmot()
    import tf_keras

    def wrap(layer):
        target = targets.get(layer.name, 0.0)
        if target <= 0.0:
            return layer
        schedule = module.sparsity.keras.PolynomialDecay(
            initial_sparsity=0.0, final_sparsity=target, begin_step=0,
            end_step=max(1, int(steps * end_fraction)), frequency=frequency or max(1, steps // 100),
        )
        return module.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)

    pruned = tf_keras.models.clone_model(to_tf_keras(network), clone_function=wrap)
    # tf_keras' own compile/fit, not `fit_supervised` (a Keras 3 function): tfmot's
    # pruning wrappers are tf_keras layers and need `UpdatePruningStep`.
    pruned.compile(tf_keras.optimizers.Adam(learning_rate),
                   tf_keras.losses.SparseCategoricalCrossentropy(
                       from_logits=outputs_are_logits(network, x[:8])))
    per_epoch = epoch_length(steps, len(x), batch_size)
    epochs = steps // per_epoch
    data = path_batches(x, y, batch_size, seed)
    pruned.fit(data, epochs=epochs, steps_per_epoch=per_epoch, verbose=verbose,
               callbacks=[module.sparsity.keras.UpdatePruningStep()])
    result = from_tf_keras(module.sparsity.keras.strip_pruning(pruned))
    reached, _ = measured_sparsity(result, scope)
    return SparsificationResult(
        network=result, masks=masks_of(result), sparsity=reached, path_steps=0,
        finetune_steps=epochs * per_epoch, reached=True, gap=0.0, path=[],
        seconds=time.perf_counter() - start,
    )


def prune_global(network, x, y, **settings):
    """`tfmot_polynomial` with `allocation="global"`: what "tfmot_global" runs."""
    return tfmot_polynomial(network, x, y, allocation="global", **settings)
