"""The FIP recipes as the experiment runs them on a step budget: "fip", "fip_pull",
"fip_reference" and "fip_ramp" (see `keras_fip.sparsity.registry.METHODS`).

Each takes the registry's common arguments and returns a `SparsificationResult`.
"""

from keras_fip.sparsity.fip import sparsify
from keras_fip.sparsity.ramp import sparsify_ramp

#: `sparsify`'s settings that make the reference path, unchanged.
REFERENCE_PATH = dict(step_length=0.01, decay=False, weight=0.1, distance_reduction="sum",
                      pull_growth=1.0, threshold_every=1, scope="all", min_density=0.0,
                      tolerance=0.01, check_every=50, finetune_steps=0)


def reference_distance(network):
    """The reference sparsification's Bhattacharyya distance (one eps per batch)."""
    from keras_fip.engine.distances import Bhattacharyya
    from keras_fip.engine.networks import outputs_are_logits

    return Bhattacharyya(from_logits=outputs_are_logits(network), eps_scale=1e-3,
                         eps_floor=1e-12, eps_over="batch")


def prune_fip(network, x, y, *, sparsity, steps, batch_size, seed, verbose, scope, min_density,
              path_fraction=0.5, learning_rate=1e-3, pull_growth=1.0, label_free=False,
              validation_data=None):
    """"fip": the path (step length "auto", at most `path_fraction` of the budget), then the
    rest of the budget fine-tuning with the mask held: on labels, or label-free on the
    FIP distance to the dense network's outputs."""
    from keras_fip.sparsity.callbacks import HoldMask
    from keras_fip.sparsity.distill import distance_loss
    from keras_fip.sparsity.training import finetune, fit_masked

    path = sparsify(network, x, sparsity=sparsity, steps=max(1, int(steps * path_fraction)),
                    step_length="auto", validation_data=validation_data,
                    pull_growth=pull_growth, verbose=verbose, batch_size=batch_size, seed=seed,
                    scope=scope, min_density=min_density)
    if label_free:
        loss, targets = distance_loss(network, x)
        path.finetune_steps = fit_masked(
            path.network, x, targets, loss, steps=steps - path.path_steps,
            mask_callback=HoldMask(path.masks), batch_size=batch_size,
            learning_rate=learning_rate, seed=seed, verbose=verbose)
        return path
    path.finetune_steps = finetune(
        path.network, x, y, path.masks, steps=steps - path.path_steps, batch_size=batch_size,
        learning_rate=learning_rate, seed=seed, verbose=verbose)
    return path


def prune_fip_pull(network, x, y, *, pull_growth=1.5, **settings):
    """"fip_pull": "fip" with the pull grown x`pull_growth` per step while off track."""
    return prune_fip(network, x, y, pull_growth=pull_growth, **settings)


def prune_fip_reference(network, x, y, *, sparsity, steps, batch_size, seed, verbose, scope,
                        min_density, validation_data=None):
    """"fip_reference": the reference notebook's path as it ships, the whole budget, no
    fine-tuning; `scope` and `min_density` are ignored (it counts every parameter)."""
    return sparsify(network, x, sparsity=sparsity, steps=steps, batch_size=batch_size,
                    seed=seed, verbose=verbose, validation_data=validation_data,
                    distance=reference_distance(network), **REFERENCE_PATH)


def prune_fip_ramp(network, x, y, *, sparsity, steps, batch_size, seed, verbose, scope,
                   min_density, step_length=0.2, validation_data=None):
    """"fip_ramp": `sparsify_ramp` on the whole budget; never reads `y`."""
    return sparsify_ramp(network, x, sparsity=sparsity, steps=steps, step_length=step_length,
                         validation_data=validation_data, verbose=verbose,
                         batch_size=batch_size, seed=seed, scope=scope, min_density=min_density)
