"""Training a sparse network with its mask held: on labels (`finetune`) or on any targets.

Both go through the package's one supervised fit
(`keras_fip.engine.training.fit_supervised`, its `steps` mode: the seeded batch
stream, exactly `steps` steps); the mask callback (`HoldMask` or
`GradualMask`) keeps the pruned weights at zero after every step.
"""

import keras

from keras_fip import checks
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.engine.training import fit_supervised
from keras_fip.sparsity.callbacks import HoldMask
from keras_fip.sparsity.result import check_training_data


def fit_masked(network, x, targets, loss, *, steps, mask_callback, batch_size=200,
               learning_rate=1e-3, seed=0, verbose=0, callbacks=(),
               what="The training loss"):
    """Trains `network` with Adam on `loss(targets, network(x))` for exactly `steps` steps.

    `mask_callback` (`HoldMask` or `GradualMask`) keeps the pruned weights at
    zero. Returns the number of steps taken (0 when `steps` is 0).
    """
    return fit_supervised(network, x, targets, optimizer=keras.optimizers.Adam(learning_rate),
                          loss=loss, steps=steps, batch_size=batch_size, seed=seed,
                          callbacks=[mask_callback, *callbacks], verbose=verbose,
                          what=what).steps


def finetune(network, x, y, masks, *, steps, batch_size=200, learning_rate=1e-3, seed=0,
             verbose=0):
    """Trains `network` on `(x, y)` for `steps` steps with the masked weights held at zero.

    Args:
        network: the sparse Keras model, trained in place.
        x: training inputs.
        y: integer training labels.
        masks: `{variable path: mask}` (`masks_of`, `SparsificationResult.masks`):
            the weights whose mask is 0 stay exactly 0.
        steps: optimizer steps (0: nothing is trained).
        batch_size: inputs per step.
        learning_rate: Adam's learning rate.
        seed: seed of the batch order.
        verbose: Keras progress bar (1), one line per epoch (2) or silent (0).

    Returns:
        The number of steps taken, an int.

    Raises:
        ValueError: counts or a learning rate out of range, a network that is not a
            single classifier, or data it cannot take.
        FloatingPointError: the loss became NaN or infinite.

    Example:
        >>> result = sparsify(network, x_train, sparsity=0.95, steps=600)
        >>> finetune(result.network, x_train, y_train, result.masks, steps=600)
    """
    steps = checks.count(steps, "steps", minimum=0)
    batch_size = checks.count(batch_size, "batch_size")
    learning_rate = checks.number(learning_rate, "learning_rate", minimum=0, strict=True)
    network = checks.classifier(network, "model")
    x, y = check_training_data(network, x, y, needs_labels=bool(steps))  # 0: nothing to train
    if steps == 0:
        return 0
    loss = keras.losses.SparseCategoricalCrossentropy(
        from_logits=outputs_are_logits(network, x[:8]))
    return fit_masked(network, x, y, loss, steps=steps, mask_callback=HoldMask(masks),
                      batch_size=batch_size, learning_rate=learning_rate, seed=seed,
                      verbose=verbose, what="The fine-tuning loss")
