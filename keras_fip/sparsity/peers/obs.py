"""One-shot second-order pruning (OBD / diagonal WoodFisher), then fine-tuning: "obs"."""

import time

import keras
import numpy as np

from keras_fip import checks
from keras_fip.engine import backend
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.sparsity.callbacks import HoldMask
from keras_fip.sparsity.distill import distillation_loss
from keras_fip.sparsity.objective import check_sparsity
from keras_fip.sparsity.prunable import measured_sparsity, prunable_variables
from keras_fip.sparsity.result import (
    SparsificationResult, check_training, check_training_data, copy_network,
)
from keras_fip.sparsity.training import finetune, fit_masked


def fisher_diagonal(network, x, y=None, *, samples=1000, chunk=50, scope="kernels", seed=0):
    """The diagonal of the Fisher information of `network` over `scope`'s weights.

    With labels: the empirical Fisher, the mean over `samples` inputs of the
    squared per-sample gradient of the cross-entropy on the label. Without
    (`y=None`): the model's own Fisher, the label of each input drawn from the
    network's softmax (no label is read). Per-sample gradients by the tape's
    vectorised Jacobian, `chunk` samples at a time.

    Returns:
        A list of arrays, one per `prunable_variables(network, scope)`.
    """
    import tensorflow as tf

    backend.require_tensorflow("fisher_diagonal (per-sample gradients)")
    variables = prunable_variables(network, scope)
    rng = np.random.default_rng(seed)
    index = rng.permutation(len(x))[:samples]
    logits = outputs_are_logits(network, x[:8])
    totals = [np.zeros(v.shape, np.float64) for v in variables]
    for start in range(0, len(index), chunk):
        batch = tf.convert_to_tensor(x[index[start:start + chunk]])
        with tf.GradientTape() as tape:
            outputs = network(batch, training=False)
            log_p = tf.nn.log_softmax(outputs) if logits else tf.math.log(
                tf.maximum(outputs, 1e-12))
            if y is None:  # the model's Fisher: labels drawn from its own outputs
                labels = tf.random.stateless_categorical(
                    tf.stop_gradient(log_p), 1, seed=[seed, start])[:, 0]
            else:
                labels = tf.convert_to_tensor(np.asarray(y)[index[start:start + chunk]])
            losses = -tf.gather(log_p, tf.cast(labels, tf.int32), axis=1, batch_dims=1)
        for total, jac in zip(totals, tape.jacobian(losses, variables)):
            total += np.sum(np.square(np.asarray(jac, np.float64)), axis=0)
    return [t / len(index) for t in totals]


def fisher_pruning(network, x, y=None, *, sparsity, steps=2000, batch_size=200,
                   learning_rate=1e-3, samples=1000, damping=1e-8, temperature=1.0,
                   scope="kernels", min_density=0.0, label_free=False, seed=0, verbose=0):
    """One-shot second-order pruning (OBD / diagonal WoodFisher), then fine-tuning.

    Each weight is scored by the loss its removal costs under a diagonal Fisher
    approximation of the Hessian, `w^2 / (2 [F^-1]_ii) = w^2 (F_ii + damping) / 2`
    (Singh & Alistarh 2020 with a diagonal block; LeCun et al.'s OBD), the
    lowest-scored fraction `sparsity` over `scope` is cut in one global cut, and
    the rest of the budget fine-tunes with the mask held: on labels, or with
    `label_free` on the distillation loss to the dense network's outputs (the
    Fisher is then the model's own, its labels drawn from its outputs). A
    diagonal Fisher's OBS update of the other weights is zero, so none is made.

    Args:
        network: the trained Keras model: the teacher, not modified (a copy is pruned).
        x: training inputs.
        y: integer labels (not read with `label_free`).
        sparsity: target fraction of zero weights over `scope`, in [0, 1).
        steps: fine-tuning steps after the cut (0: prune only).
        batch_size: inputs per step.
        learning_rate: Adam's learning rate.
        samples: inputs the Fisher is averaged over.
        damping: added to the Fisher before scoring.
        temperature: the distillation temperature (with `label_free`).
        scope: which weights count (see `prunable_variables`).
        min_density: 0 only (no per-layer floor).
        label_free: the model's own Fisher and distillation, no label read.
        seed: seed of the samples and the batch order.
        verbose: passed to `fit`.

    Returns:
        A `SparsificationResult` (`path_steps` 0, `reached` True).

    Raises:
        ValueError: a nonzero `min_density`, a sparsity, count or learning rate
            out of range, fine-tuning without labels, or data the network
            cannot take.
        RuntimeError: a Keras backend other than TensorFlow (per-sample gradients).
        FloatingPointError: the fine-tuning loss became NaN or infinite.

    Example:
        >>> result = fisher_pruning(network, x_train, y_train, sparsity=0.9, steps=1000)
    """

    if min_density:
        raise ValueError("fisher_pruning keeps no per-layer floor; use min_density=0.")
    sparsity = check_sparsity(sparsity)
    teacher = checks.classifier(network, "model")
    copy = copy_network(network)
    x, y = check_training_data(copy, x, None if label_free else y,
                               needs_labels=not label_free and bool(steps))
    check_training(steps, batch_size, learning_rate, minimum_steps=0)
    start = time.perf_counter()
    keras.utils.set_random_seed(seed)
    variables = prunable_variables(copy, scope)
    fisher = fisher_diagonal(copy, x, y, samples=samples, scope=scope, seed=seed)
    scores = [np.square(np.asarray(v, np.float64)) * (f + damping)
              for v, f in zip(variables, fisher)]
    flat = np.concatenate([s.ravel() for s in scores])
    cut = int(np.floor(np.float64(np.float32(sparsity)) * flat.size))
    order = np.argsort(flat, kind="stable")
    keep = np.ones(flat.size, np.float32)
    keep[order[:cut]] = 0.0
    masks, offset = {}, 0
    for v in variables:
        n = int(np.prod(v.shape))
        mask = keep[offset:offset + n].reshape(v.shape)
        offset += n
        v.assign(np.asarray(v) * mask)
        masks[v.path] = mask
    if label_free:
        loss, targets = distillation_loss(teacher, x, temperature=temperature)
        tuned = fit_masked(copy, x, targets, loss, steps=steps, batch_size=batch_size,
                           learning_rate=learning_rate, seed=seed, verbose=verbose,
                           mask_callback=HoldMask(masks))
    else:
        tuned = finetune(copy, x, y, masks, steps=steps, batch_size=batch_size,
                         learning_rate=learning_rate, seed=seed, verbose=verbose)
    reached, _ = measured_sparsity(copy, scope)
    return SparsificationResult(
        network=copy, masks=masks, sparsity=reached, path_steps=0, finetune_steps=tuned,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )
