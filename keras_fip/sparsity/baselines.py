"""The alternatives a user would pick instead of FIP, on the same budget.

- `one_shot`: prune by global magnitude once, then fine-tune with the mask held.
- `gradual_magnitude`: gradual magnitude pruning (Zhu & Gupta 2017) with one
  global threshold on the cubic schedule, the mask updated every `frequency`
  steps, training on labels throughout.
- `one_shot_kd`, `gradual_magnitude_kd`: the same, trained by distillation to
  the dense network's outputs (`keras_fip.sparsity.distill`): without labels,
  the label-free peers of FIP; with labels, labels + distillation.
- `fisher_pruning` (`obs`): one-shot second-order pruning by w^2 / [F^-1]_ii
  with a diagonal Fisher (OBD / diagonal WoodFisher), then fine-tuning.
- `tfmot_polynomial`: tensorflow-model-optimization's `prune_low_magnitude` with
  `PolynomialDecay`, the library's recommended recipe: every layer pruned to
  the target (`allocation="uniform"`, as it ships), or each layer to its share
  of one global magnitude cut (`allocation="global"`, tfmot at its best). The
  model is converted to tf_keras for it and back.
All return a `SparsificationResult` like `sparsify`, and all take `min_density`:
the least fraction of each layer's weights kept, so that no layer is emptied.
"""

import time

import numpy as np
import keras

from keras_fip import checks
from keras_fip.engine import backend
from keras_fip.engine.batches import epoch_length, path_batches
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.sparsity.callbacks import GradualMask, HoldMask
from keras_fip.sparsity.fip import (
    SparsificationResult, check_training_data, copy_network, finetune,
)
from keras_fip.sparsity.prunable import masks_of, measured_sparsity, prunable_variables
from keras_fip.sparsity.objective import SparsityObjective, check_min_density, check_sparsity
from keras_fip.sparsity.schedules import PolynomialSparsity

ALLOCATIONS = ("uniform", "global")


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
        >>> result.sparsity, result.model
    """
    network = copy_network(network)
    x, y = check_training_data(network, x, y, needs_labels=bool(steps))  # 0: prune only
    _check_training(steps, batch_size, learning_rate, minimum_steps=0)
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
        model=network, masks=masks, sparsity=reached, path_steps=0, finetune_steps=tuned,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )


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
    from keras_fip.sparsity.distill import distillation_loss

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
    from keras_fip.sparsity.distill import fit_masked

    steps, batch_size = _check_training(steps, batch_size, learning_rate)
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
        model=network, masks=masks, sparsity=reached, path_steps=0, finetune_steps=steps,
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
    from keras_fip.sparsity.distill import distillation_loss, fit_masked

    teacher = checks.classifier(network, "model")
    copy = copy_network(network)
    x, y = check_training_data(copy, x, y)
    _check_training(steps, batch_size, learning_rate, minimum_steps=0)
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
        model=copy, masks=masks, sparsity=reached, path_steps=0, finetune_steps=tuned,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )


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
    steps, batch_size = _check_training(steps, batch_size, learning_rate)
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
        model=result, masks=masks_of(result), sparsity=reached, path_steps=0,
        finetune_steps=epochs * per_epoch, reached=True, gap=0.0, path=[],
        seconds=time.perf_counter() - start,
    )


def _check_training(steps, batch_size, learning_rate, minimum_steps=1):
    """The training budget and learning rate, checked before any work."""
    checks.number(learning_rate, "learning_rate", minimum=0, strict=True)
    return (checks.count(steps, "steps", minimum=minimum_steps),
            checks.count(batch_size, "batch_size"))


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
    `min_density` is not supported (0 only).
    """
    from keras_fip.sparsity.distill import distillation_loss, fit_masked

    if min_density:
        raise ValueError("fisher_pruning keeps no per-layer floor; use min_density=0.")
    sparsity = check_sparsity(sparsity)
    teacher = checks.classifier(network, "model")
    copy = copy_network(network)
    x, y = check_training_data(copy, x, None if label_free else y,
                               needs_labels=not label_free and bool(steps))
    _check_training(steps, batch_size, learning_rate, minimum_steps=0)
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
        model=copy, masks=masks, sparsity=reached, path_steps=0, finetune_steps=tuned,
        reached=True, gap=0.0, path=[], seconds=time.perf_counter() - start,
    )
