"""`sparsify`: move a trained network along a FIP to a target sparsity.

A recipe on the engine's path driver (`traverse`): the objective is a
`SparsityObjective`, a `SparsityMonitor` stops the path once the weights are
within `tolerance` of the sparse set, the pruned weights then snap to exact
zeros, and an optional fine-tune with the mask held follows.

By default the path is the reference implementation's (Sparsification_Resnet_
CIFAR.ipynb, `moveSparseNet_bhDist`): the Bhattacharyya distance to the
starting network's outputs **summed** over the batch of 200, lambda 0.1 on
`w - P_s(w)`, steps of fixed length 0.01 along the normalised sum, and every
parameter counted by the magnitude projection. Against a batch *mean* the same
path has lambda `0.1 / batch_size` (the normalised direction of
`sum D + lambda r` is that of `mean D + lambda / B * r`).

The path runs the network in inference mode, as the anchors were computed:
BatchNormalization uses its moving statistics (its scale and offset are held
and not counted) and Dropout drops nothing. The path then keeps the function
users get. The reference runs both networks in training mode on the same batch
instead (batch statistics and dropout in both), which keeps a function nobody
runs and adds dropout noise to the distance.
"""

import time

import keras
import numpy as np

from keras_fip import checks
from keras_fip.engine.networks import fresh_copy, outputs_are_logits
from keras_fip.engine.steps import PathStep
from keras_fip.engine.traverse import traverse
from keras_fip.sparsity.callbacks import SparsityMonitor
from keras_fip.sparsity.objective import SparsityObjective
from keras_fip.sparsity.prunable import zero_fraction
from keras_fip.sparsity.result import SparsificationResult, check_training_data, check_validation
from keras_fip.sparsity.training import finetune


def sparsify(network, x, y=None, *, sparsity=None, steps=2000, batch_size=200,
             step_length=0.01, decay=True, weight=0.1, tolerance=0.01, momentum=0.0,
             distance="bhattacharyya", distance_reduction="sum", pull_growth=1.0,
             check_every=10, ramp_steps=0, scope="all", granularity="global",
             min_density=0.0, structure=None, threshold_every=50, freeze_batch_norm=True,
             finetune_steps=0, finetune_learning_rate=1e-3, validation_data=None,
             callbacks=None, checkpoint_dir=None, seed=0, verbose=1):
    """Sparsifies a trained network along a functionally invariant path.

    Args:
        network: a trained Keras model (functional or Sequential), not modified.
        x: training inputs; the path keeps the network's outputs on them.
        y: labels, needed only to fine-tune after the path.
        sparsity: target fraction of zero weights in [0, 1).
        steps: most path steps (it stops earlier once within `tolerance`).
        batch_size: inputs per step (the paper: 200).
        step_length: length of each step in weight space (the paper: 0.01),
            or `"auto"`: 4 x the starting distance to the sparse set / steps,
            so that the path can reach the set within the step budget.
        decay: shrink the step length along a cosine to 1% of it by the
            last step, so the path settles onto the sparse set instead of
            oscillating around it at the scale of one step (False: constant
            steps, as in the paper).
        weight: lambda of the pull towards the sparse set (the reference: 0.1,
            against the distance summed over the batch).
        tolerance: stop once ||w - P_s(w)|| is under it (the paper: 0.01).
        momentum: heavy-ball momentum of the path steps.
        distance: output distance kept small along the path.
        distance_reduction: `"sum"` over the batch (the reference's) or
            `"mean"` (then `weight` means `batch_size` times more).
        pull_growth: off (1, the default: the reference's constant lambda,
            which may never arrive) or a factor by which lambda is multiplied
            after every step while the gap to the sparse set is more than 0.4
            of the length the path has left. It forces an arrival within
            `steps`, at the price of the function: with `step_length="auto"`
            it fires from the first step and the pull ends 10^5-10^7 times
            lambda. The result's `max_pull` and `pull_growth_steps` say
            whether and how far it fired; `kept` says what the function kept.
        check_every: steps between checks of the gap against `tolerance`
            (the reference checks every 50).
        scope: which weights count: `"all"` (default, every parameter the path
            moves, as the reference counts them), `"kernels_and_biases"` or
            `"kernels"`.
        min_density: the least fraction of each counted variable kept, so that
            no layer is emptied (0: the plain global cut).
        ramp_steps, granularity, structure, threshold_every: see
            `SparsityObjective`.
        freeze_batch_norm: run the path in inference mode, consistent with
            the cached anchors: BatchNormalization frozen, Dropout off (see the
            module notes). The returned network is the input's architecture.
        finetune_steps: steps of cross-entropy training afterwards with the
            mask held (needs `y`).
        finetune_learning_rate: Adam learning rate of the fine-tune.
        validation_data: `(x, y)` whose accuracy is shown and recorded.
        callbacks: more Keras callbacks for the path.
        checkpoint_dir: if given, the path is checkpointed there after every
            epoch, and a killed run started again with the same arguments
            continues from there (see `keras_fip.engine.traverse`).
        seed: shuffling seed.
        verbose: Keras progress bar (1), one line per epoch (2) or silent (0).

    Returns:
        A `SparsificationResult`.

    Raises:
        ValueError: a sparsity, count, step length, tolerance or factor out of
            range, fine-tuning asked for without labels, validation data or inputs
            the network cannot take, or a network that is not a single classifier.
        FloatingPointError: the path's or the fine-tune's loss became NaN or infinite.

    Example:
        >>> from keras_fip.sparsity import sparsify, export_sparse
        >>> result = sparsify(network, x_train, y_train, sparsity=0.95, steps=1000,
        ...                   step_length="auto", finetune_steps=1000,
        ...                   validation_data=(x_val, y_val))
        >>> export_sparse(result.network, "export/", check_inputs=x_test)
    """
    network = checks.classifier(network, "model")  # traverse walks a copy
    x, y = check_training_data(network, x, y)
    if finetune_steps and y is None:
        raise ValueError("Fine-tuning after the path needs labels y.")
    steps = checks.count(steps, "steps")
    batch_size = checks.count(batch_size, "batch_size")
    finetune_steps = checks.count(finetune_steps, "finetune_steps", minimum=0)
    if finetune_steps:
        checks.number(finetune_learning_rate, "finetune_learning_rate", minimum=0, strict=True)
    if not (isinstance(step_length, str) and step_length == "auto"):
        if isinstance(step_length, str):
            raise ValueError(
                f"step_length must be a number > 0 or 'auto', got {step_length!r}.")
        step_length = checks.number(step_length, "step_length", minimum=0, strict=True)
    checks.number(tolerance, "tolerance", minimum=0, strict=True)
    if validation_data is not None:
        validation_data = check_validation(network, validation_data)
    checks.number(momentum, "momentum", minimum=0)
    checks.number(pull_growth, "pull_growth", minimum=1)
    settings = dict(weight=weight, ramp_steps=ramp_steps, scope=scope, granularity=granularity,
                    structure=structure, threshold_every=threshold_every,
                    min_density=min_density)
    objective = SparsityObjective(sparsity, **settings)
    if step_length == "auto":
        start_gap = SparsityObjective(sparsity, **settings).distance_to_sparse_set(
            _frozen(network) if freeze_batch_norm else network)
        step_length = 4.0 * start_gap / steps
    length = (keras.optimizers.schedules.CosineDecay(step_length, steps, alpha=0.01)
              if decay else step_length)
    monitor = SparsityMonitor(objective, tolerance, validation_data=validation_data,
                              check_every=checks.count(check_every, "check_every"),
                              pull_growth=pull_growth, budget=steps, step_length=length)
    keras.utils.set_random_seed(seed)
    path = traverse(
        _without_dropout(network) if freeze_batch_norm else network, x, steps=steps, objectives=[objective], optimizer=PathStep(length, momentum),
        distance=distance, batch_size=batch_size,
        freeze_batch_norm=freeze_batch_norm, distance_reduction=distance_reduction,
        callbacks=[monitor, *(callbacks or [])], checkpoint_dir=checkpoint_dir, seed=seed,
        verbose=verbose, name="sparsification path",
    )
    path_steps = int(objective.step.numpy())  # the monitor may have stopped it early
    gap = objective.distance_to_sparse_set(path.fip_model)
    probe = validation_data[0] if validation_data is not None else x[:2000]
    kept_figures = _arrival(network, path.network, probe, validation_data)
    masks = objective.snap(path.network)
    # The user's architecture (Dropout, trainable BatchNorm) with the path's weights.
    walked = fresh_copy(network)
    walked.set_weights(path.network.get_weights())
    snapped = None
    if validation_data is not None:
        from keras_fip.engine.networks import accuracy

        snapped = accuracy(walked, *validation_data)
    start = time.perf_counter()
    tuned = finetune(walked, x, y, masks, steps=finetune_steps, batch_size=batch_size,
                     learning_rate=finetune_learning_rate, seed=seed,
                     verbose=verbose) if finetune_steps else 0
    return SparsificationResult(
        network=walked, masks=masks, sparsity=zero_fraction(list(masks.values())),
        path_steps=path_steps, finetune_steps=tuned, reached=bool(gap < tolerance), gap=gap,
        path=path.records, seconds=path.seconds + time.perf_counter() - start,
        accuracy_at_snap=snapped, max_pull=float(weight) * monitor.max_pull,
        pull_growth_steps=monitor.growth_steps, **kept_figures,
    )


def _arrival(start, arrived, probe, validation_data):
    """What the path kept: validation accuracy at start and arrival, and the
    exact output distance between the two networks on `probe`."""
    from keras_fip.engine.distances import Bhattacharyya
    from keras_fip.engine.networks import accuracy

    bhattacharyya = Bhattacharyya(from_logits=outputs_are_logits(start, probe[:8]))
    distance = float(np.mean(np.asarray(bhattacharyya(
        start.predict(probe, batch_size=1000, verbose=0),
        arrived.predict(probe, batch_size=1000, verbose=0)))))
    figures = {"distance_at_arrival": distance}
    if validation_data is not None:
        before, after = (accuracy(n, *validation_data) for n in (start, arrived))
        figures.update(accuracy_at_start=before, accuracy_at_arrival=after,
                       kept=bool(after >= before - 0.01))
    return figures


def _frozen(network):
    """A copy of `network` with BatchNormalization frozen, as the path walks it."""
    from keras_fip.engine.networks import freeze_batch_norm

    return freeze_batch_norm(fresh_copy(network))


def _without_dropout(network):
    """`network`, or a copy whose Dropout layers drop nothing (the anchors' mode)."""
    config = network.get_config()
    dropouts = [layer for layer in config.get("layers", [])
                if "Dropout" in layer.get("class_name", "")]
    if not dropouts:
        return network
    for layer in dropouts:
        layer["config"]["rate"] = 0.0
    kind = keras.Sequential if isinstance(network, keras.Sequential) else keras.Model
    copy = kind.from_config(config)
    copy.set_weights(network.get_weights())
    return copy
