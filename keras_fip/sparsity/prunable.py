"""What counts towards sparsity, and how zeros are counted: one place for both.

The objective prunes these weights, the converter and the export wrap these
layers with tfmot, and every report counts zeros over the same weights.
"""

import numpy as np

#: Layers whose kernels are pruned, with the names of those kernels.
PRUNABLE_LAYERS = {
    "Dense": ("kernel",), "Conv1D": ("kernel",), "Conv2D": ("kernel",),
    "Conv3D": ("kernel",), "Conv2DTranspose": ("kernel",),
    "DepthwiseConv2D": ("depthwise_kernel",),
    "SeparableConv2D": ("depthwise_kernel", "pointwise_kernel"),
    "Embedding": ("embeddings",),
}
KERNEL_NAMES = tuple(sorted({name for names in PRUNABLE_LAYERS.values() for name in names}))
SCOPES = ("kernels", "kernels_and_biases", "all")


def prunable_variables(model, scope="kernels"):
    """The trainable variables that count towards sparsity.

    Args:
        model: a Keras model (or FIPModel).
        scope: `"kernels"` (default: dense/conv kernels and embeddings),
            `"kernels_and_biases"`, or `"all"` (every trainable variable,
            normalisation parameters included).

    Returns:
        A list of the model's trainable variables in that scope, in the model's order.

    Raises:
        ValueError: an unknown scope, or a model with no weights in it (unbuilt,
            or without Dense, Conv or Embedding layers).

    Example:
        >>> [v.path for v in prunable_variables(network)]
        ['fc1/kernel', 'fc2/kernel', 'logits/kernel']
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}.")
    chosen = []
    for variable in model.trainable_weights:
        name = variable.name.split("/")[-1].split(":")[0]
        if scope == "all" or name in KERNEL_NAMES or (scope == "kernels_and_biases" and name == "bias"):
            chosen.append(variable)
    if not chosen:
        raise ValueError(
            f"The model has no weights to sparsify in scope {scope!r} (is it built, "
            "and does it have Dense/Conv layers?)."
        )
    return chosen


def zero_fraction(arrays):
    """The fraction of exact zeros over `arrays` (weights, variables) together."""
    arrays = [np.asarray(a) for a in arrays]
    return sum(int(np.sum(a == 0)) for a in arrays) / sum(a.size for a in arrays)


def measured_sparsity(model, scope="kernels"):
    """`(overall fraction of zeros, {variable path: fraction})` over counted weights.

    Args:
        model: a Keras model (or `FIPModel`).
        scope: which weights count (see `prunable_variables`).

    Returns:
        `(fraction, per_variable)`: the fraction of exact zeros over all counted
        weights together, and each variable's.

    Raises:
        ValueError: an unknown scope, or a model with no weights in it.

    Example:
        >>> overall, per_variable = measured_sparsity(result.network)
        >>> overall     # 0.95 after sparsify(..., sparsity=0.95)
    """
    variables = prunable_variables(model, scope)
    return zero_fraction(variables), {v.path: zero_fraction([v]) for v in variables}


def layer_sparsity(model):
    """Fraction of zeros in each prunable layer's kernel, by layer name."""
    return {layer.name: zero_fraction([layer.weights[0]]) for layer in model.layers
            if type(layer).__name__ in PRUNABLE_LAYERS and layer.weights}


def masks_of(model, scope="kernels"):
    """The zero pattern of a model's prunable weights: `{variable path: mask}`.

    Args:
        model: a Keras model (or `FIPModel`).
        scope: which weights count (see `prunable_variables`).

    Returns:
        `{variable path: float32 array}`, 1 where the weight is nonzero, 0 where it is zero.

    Raises:
        ValueError: an unknown scope, or a model with no weights in it.

    Example:
        >>> masks = masks_of(result.network)
        >>> finetune(result.network, x_train, y_train, masks, steps=300)   # zeros stay zero
    """
    return {v.path: (np.asarray(v) != 0).astype(np.float32) for v in prunable_variables(model, scope)}
