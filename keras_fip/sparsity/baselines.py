"""The alternatives a user would pick instead of FIP, on the same budget.

- `one_shot`: prune by global magnitude once, then fine-tune with the mask held.
- `tfmot_polynomial`: tensorflow-model-optimization's `prune_low_magnitude` with
  `PolynomialDecay`, the library's recommended recipe (each layer pruned to the
  target; the model is converted to tf_keras for it and back).
Both return a `SparsificationResult` like `sparsify`.
"""

import time

import keras

from keras_fip import checks
from keras_fip.engine.batches import epoch_length, path_batches
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.sparsity.fip import (
    SparsificationResult, check_training_data, copy_network, finetune,
)
from keras_fip.sparsity.prunable import masks_of, measured_sparsity
from keras_fip.sparsity.objective import SparsityObjective, check_sparsity


def one_shot(network, x, y, *, sparsity, steps=2000, batch_size=200, learning_rate=1e-3,
             scope="kernels", granularity="global", seed=0, verbose=0):
    """Global magnitude pruning at once, then `steps` of fine-tuning with the mask held."""
    network = copy_network(network)
    x, y = check_training_data(network, x, y, needs_labels=True)
    _check_training(steps, batch_size, learning_rate, minimum_steps=0)  # 0: prune only
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    objective = SparsityObjective(sparsity, scope=scope, granularity=granularity)
    objective.bind(network)
    masks = objective.snap(network)
    tuned = finetune(network, x, y, masks, steps=steps, batch_size=batch_size,
                     learning_rate=learning_rate, seed=seed, verbose=verbose)
    reached, _ = measured_sparsity(network, scope)
    return SparsificationResult(
        model=network, masks=masks, sparsity=reached, path_steps=0, finetune_steps=tuned,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )


def tfmot_polynomial(network, x, y, *, sparsity, steps=2000, batch_size=200,
                     learning_rate=1e-3, end_fraction=0.75, frequency=None, seed=0, verbose=0):
    """tfmot's `prune_low_magnitude` with `PolynomialDecay` from 0 to `sparsity`.

    The sparsity ramps over the first `end_fraction` of the steps and the rest
    fine-tunes at the target; masks update every `frequency` steps (default:
    steps // 100, at least 1).
    """
    from keras_fip.sparsity._tfmot import tfmot
    from keras_fip.sparsity.convert import from_tf_keras, to_tf_keras

    sparsity = check_sparsity(sparsity)
    network = copy_network(network)
    x, y = check_training_data(network, x, y, needs_labels=True)
    steps, batch_size = _check_training(steps, batch_size, learning_rate)
    checks.number(end_fraction, "end_fraction", minimum=0, strict=True, maximum=1)
    if frequency is not None:
        frequency = checks.count(frequency, "frequency")
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    module = tfmot()
    import tf_keras

    schedule = module.sparsity.keras.PolynomialDecay(
        initial_sparsity=0.0, final_sparsity=sparsity, begin_step=0,
        end_step=max(1, int(steps * end_fraction)), frequency=frequency or max(1, steps // 100),
    )
    pruned = module.sparsity.keras.prune_low_magnitude(to_tf_keras(network), pruning_schedule=schedule)
    pruned.compile(tf_keras.optimizers.Adam(learning_rate),
                   tf_keras.losses.SparseCategoricalCrossentropy(
                       from_logits=outputs_are_logits(network)))
    per_epoch = epoch_length(steps, len(x), batch_size)
    epochs = steps // per_epoch
    data = path_batches(x, y, batch_size, seed)
    pruned.fit(data, epochs=epochs, steps_per_epoch=per_epoch, verbose=verbose,
               callbacks=[module.sparsity.keras.UpdatePruningStep()])
    result = from_tf_keras(module.sparsity.keras.strip_pruning(pruned))
    reached, _ = measured_sparsity(result)
    return SparsificationResult(
        model=result, masks=masks_of(result), sparsity=reached, path_steps=0,
        finetune_steps=epochs * per_epoch, reached=True, gap=0.0, path=[],
        seconds=time.perf_counter() - start,
    )


def _check_training(steps, batch_size, learning_rate, minimum_steps=1):
    """The training budget and learning rate, checked before any work."""
    checks.number(learning_rate, "learning_rate", minimum=0, strict=True)
    return (checks.count(steps, "steps", minimum=minimum_steps),
            checks.count(batch_size, "batch_size"))
