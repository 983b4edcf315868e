"""`prune`: run one pruning method by name on a step budget (the registry's `METHODS`)."""

import warnings

from keras_fip.sparsity.registry import METHODS


def prune(method, network, x, y=None, *, sparsity, steps, batch_size=200, seed=0, verbose=0,
          scope="kernels_and_biases", min_density=0.0, label_free=False, validation_data=None,
          **settings):
    """Sparsifies `network` with the method named `method` on a budget of `steps` steps.

    Args:
        method: a name in `keras_fip.sparsity.registry.METHODS` ("fip",
            "fip_pull", "fip_reference", "fip_ramp", "oneshot", "oneshot_kd",
            "obs", "gmp", "gmp_kd", "tfmot", "tfmot_global"; each entry's
            `summary` says what it does).
        network: the trained Keras network (not modified).
        x: training inputs.
        y: integer labels, or None (a method that trains on labels then refuses).
        sparsity: the target fraction of zero weights over `scope`.
        steps: the budget, at `batch_size`.
        batch_size: inputs per step.
        seed: seed of the method's batches.
        verbose: passed to Keras' `fit`.
        scope: which weights count (see `prunable_variables`).
        min_density: the least fraction of each layer's weights kept.
        label_free: no method that can do without labels sees them: `y` is
            not passed on, and "oneshot" prunes without fine-tuning; the
            methods that need labels ("gmp", "tfmot", "tfmot_global") still
            train on them.
        validation_data: FIP methods (`walks_path`): `(x, y)` whose accuracy
            the path records, and on which what it kept at arrival is
            measured; the other methods do not take it.
        **settings: the method's own settings (its entry's `settings`, such as
            `learning_rate`, `path_fraction`, `pull_growth`, `step_length`,
            `temperature`); unset ones take the method's defaults.

    Returns:
        A `SparsificationResult` (`.network`, `.sparsity`, `.path_steps`,
        `.finetune_steps`, `.reached`, `.gap`, `.path`, `.seconds`).

    Raises:
        ValueError: an unknown method, a setting the method does not take, or
            what the method itself refuses (see its function).

    Example:
        >>> from keras_fip.sparsity import prune
        >>> result = prune("gmp", network, x_train, y_train, sparsity=0.95, steps=1000,
        ...                learning_rate=2e-3)
        >>> result.sparsity, result.network
    """
    entry = METHODS.get(method)
    unknown = sorted(set(settings) - set(entry.settings))
    if unknown:
        raise ValueError(f"The pruning method {method!r} takes no setting "
                         f"{', '.join(unknown)}; its settings: "
                         f"{', '.join(entry.settings) or 'none'}.")
    if validation_data is not None and not entry.walks_path:
        raise ValueError(f"validation_data: the pruning method {method!r} walks no path to "
                         "record it on; give it to a FIP method only.")
    if label_free and entry.label_free:
        y = None  # from here on, this method cannot read a label
    if entry.takes_label_free:
        settings["label_free"] = label_free
    if entry.walks_path:
        settings["validation_data"] = validation_data
    return entry.resolve()(network, x, y, sparsity=sparsity, steps=steps, batch_size=batch_size,
                           seed=seed, verbose=verbose, scope=scope, min_density=min_density,
                           **settings)


def run_method(method, network, x, y, *, sparsity, steps, batch_size=200, seed=0, verbose=0,
               scope="kernels_and_biases", min_density=0.0, learning_rate=1e-3,
               path_fraction=0.5, pull_growth=1.5, step_length=0.2, temperature=1.0,
               label_free=False, validation_data=None):
    """Deprecated: `prune` (this name goes in the next release).

    Takes every method's settings, as it always did, and passes each method
    those it reads; `validation_data` reaches the FIP methods only.

    Args:
        method, network, x, y, sparsity, steps, batch_size, seed, verbose, scope,
        min_density, label_free, validation_data: as for `prune`.
        learning_rate, path_fraction, pull_growth, step_length, temperature:
            the settings, each passed to the methods that take it.

    Returns:
        What `prune` returns.

    Raises:
        ValueError: as `prune`.

    Example:
        >>> result = run_method("gmp", network, x, y, sparsity=0.9, steps=100)  # prune(...)
    """
    warnings.warn("run_method is now keras_fip.sparsity.prune; the old name goes in the next "
                  "release.", DeprecationWarning, stacklevel=2)
    entry = METHODS.get(method)
    offered = dict(learning_rate=learning_rate, path_fraction=path_fraction,
                   pull_growth=pull_growth, step_length=step_length, temperature=temperature)
    return prune(method, network, x, y, sparsity=sparsity, steps=steps, batch_size=batch_size,
                 seed=seed, verbose=verbose, scope=scope, min_density=min_density,
                 label_free=label_free,
                 validation_data=validation_data if entry.walks_path else None,
                 **{k: v for k, v in offered.items() if k in entry.settings})
