"""Magnitude cuts: the thresholds and N:M masks of the sparse set, on any backend.

Each function has two bodies. TensorFlow keeps the code the published figures
were measured with (`_tf_*`), so its results stay bit for bit what they were;
other backends run the same algorithm in `keras.ops`, traceable by `jax.jit`
(static sizes, `ops.while_loop`, `ops.segment_sum`). Both select existing
magnitudes, so they agree exactly up to how the pruned count `floor(s * n)` is
rounded for a traced target (float32 there, float64 on TensorFlow).
"""

import numpy as np
from keras import ops

from keras_fip.engine import backend


def prune_count(sparsity, n):
    """`floor(sparsity * n)`, the number of weights pruned out of `n`.

    A Python number gives a Python int computed as TensorFlow does (the target
    as float32, the product in float64); a traced target gives an int32 tensor.
    """
    if isinstance(sparsity, (int, float, np.floating)):
        return int(np.floor(np.float64(np.float32(sparsity)) * n))
    return ops.cast(ops.floor(ops.cast(sparsity, "float32") * n), "int32")


def magnitude_threshold(magnitudes, sparsity):
    """The largest magnitude that is pruned at `sparsity` (-1 when none is).

    `magnitudes` is a flat tensor; the `floor(sparsity * n)` smallest entries are
    pruned. One sort: O(n log n).
    """
    if backend.is_tensorflow():
        return _tf_magnitude_threshold(magnitudes, sparsity)
    k = prune_count(sparsity, int(magnitudes.shape[0]))
    ordered = ops.sort(magnitudes)
    none = ops.convert_to_tensor(-1.0, magnitudes.dtype)
    if isinstance(k, int):
        return ordered[k - 1] if k > 0 else none
    return ops.where(k > 0, ops.take(ordered, ops.maximum(k - 1, 0)), none)


def structured_mask(variable, keep, group):
    """Mask keeping the `keep` largest of every `group` weights along the input axis."""
    if backend.is_tensorflow():
        return _tf_structured_mask(variable, keep, group)
    values = ops.convert_to_tensor(variable)
    moved = ops.moveaxis(ops.abs(values), -2, -1)
    shape = tuple(moved.shape)
    grouped = ops.reshape(moved, (*shape[:-1], shape[-1] // group, group))
    # The (group - keep)-th smallest in each group is the last one pruned.
    cut = ops.sort(grouped, axis=-1)[..., group - keep - 1: group - keep]
    mask = ops.reshape(ops.cast(grouped > cut, values.dtype), shape)
    return ops.moveaxis(mask, -1, -2)


def floored_thresholds(magnitudes, sparsity, min_density):
    """Per-variable thresholds of one global magnitude cut that empties no variable.

    The global cut prunes the `floor(sparsity * n)` smallest magnitudes over all
    variables together; a variable that would then keep fewer than
    `ceil(min_density * size)` weights keeps exactly that many (its largest), and
    the cut over the others is moved so that the total stays the same. Found by
    a fixed point (each round floors at least one more variable), on one sort.

    Args:
        magnitudes: flat tensors, one per variable.
        sparsity: overall fraction pruned (a scalar tensor).
        min_density: least fraction kept in each variable.

    Returns:
        A float tensor of one threshold per variable (|w| > threshold is kept).
    """
    if backend.is_tensorflow():
        return _tf_floored_thresholds(magnitudes, sparsity, min_density)
    sizes = [int(m.shape[0]) for m in magnitudes]
    floors = [int(np.ceil(min_density * n)) for n in sizes]
    values = ops.concatenate(magnitudes, 0)
    none = ops.convert_to_tensor(-1.0, values.dtype)
    ids = np.concatenate([np.full(n, i, np.int32) for i, n in enumerate(sizes)])
    order = ops.argsort(values)  # stable on JAX, as TensorFlow's is asked to be
    ordered, owner = ops.take(values, order), ops.take(ids, order)
    total = prune_count(sparsity, sum(sizes))
    prunable = np.array([n - f for n, f in zip(sizes, floors)], np.int32)
    # Threshold of a floored variable: its (size - floor)-th smallest magnitude.
    own = ops.stack([ops.sort(m)[n - f - 1] if n > f else none
                     for m, n, f in zip(magnitudes, sizes, floors)])

    def cut(floored):
        free = ops.logical_not(ops.take(floored, owner))
        budget = total - ops.sum(ops.where(floored, prunable, 0))
        seen = ops.cumsum(ops.cast(free, "int32"))
        index = ops.argmax(ops.cast(seen >= budget, "int32"))
        return ops.where(budget > 0, ops.take(ordered, index), none)

    def kept(threshold):
        return ops.segment_sum(ops.cast(values > threshold, "int32"), ids,
                               num_segments=len(sizes))

    def step(floored, _):
        new = ops.logical_or(floored, kept(cut(floored)) < np.array(floors, np.int32))
        return new, ops.any(ops.not_equal(new, floored))

    floored, _ = ops.while_loop(lambda f, changed: changed, step,
                                (ops.zeros([len(sizes)], "bool"), ops.convert_to_tensor(True)),
                                maximum_iterations=len(sizes) + 1)
    return ops.where(floored, own, cut(floored))


# ------------------------------------------------ TensorFlow, as measured
def _tf_magnitude_threshold(magnitudes, sparsity):
    import tensorflow as tf

    n = tf.size(magnitudes)
    k = tf.cast(tf.floor(tf.cast(sparsity, tf.float64) * tf.cast(n, tf.float64)), tf.int32)
    kept = n - k

    def by_sort():
        return tf.sort(magnitudes)[tf.maximum(k - 1, 0)]

    def by_top_k():
        # The k-th smallest is the smallest of the n - k + 1 largest: the same
        # value, found without sorting all n when few are kept (high sparsity),
        # several times faster than the sort on LeNet-300-100 at 98%.
        return tf.reduce_min(tf.math.top_k(magnitudes, kept + 1, sorted=False).values)

    cut = tf.cond(kept + 1 <= n // 10, by_top_k, by_sort)
    return tf.where(k > 0, cut, tf.constant(-1.0, magnitudes.dtype))


def _tf_structured_mask(variable, keep, group):
    import tensorflow as tf

    values = tf.convert_to_tensor(variable)
    moved = tf.experimental.numpy.moveaxis(tf.abs(values), -2, -1)
    shape = tf.shape(moved)
    grouped = tf.reshape(moved, tf.concat([shape[:-1], [-1, group]], 0))
    cut = tf.sort(grouped, axis=-1)[..., group - keep - 1 : group - keep]
    mask = tf.cast(grouped > cut, values.dtype)
    mask = tf.reshape(mask, shape)
    return tf.experimental.numpy.moveaxis(mask, -1, -2)


def _tf_floored_thresholds(magnitudes, sparsity, min_density):
    import tensorflow as tf

    sizes = [int(m.shape[0]) for m in magnitudes]
    floors = [int(np.ceil(min_density * n)) for n in sizes]
    values = tf.concat(magnitudes, 0)
    ids = tf.concat([tf.fill([n], i) for i, n in enumerate(sizes)], 0)
    order = tf.argsort(values, stable=True)
    ordered, owner = tf.gather(values, order), tf.gather(ids, order)
    total = tf.cast(tf.floor(tf.cast(sparsity, tf.float64) * sum(sizes)), tf.int32)
    prunable = tf.constant([n - f for n, f in zip(sizes, floors)], tf.int32)
    own = tf.stack([tf.sort(m)[n - f - 1] if n > f else tf.constant(-1.0, m.dtype)
                    for m, n, f in zip(magnitudes, sizes, floors)])

    def cut(floored):
        free = tf.logical_not(tf.gather(floored, owner))
        budget = total - tf.reduce_sum(tf.where(floored, prunable, 0))
        seen = tf.cumsum(tf.cast(free, tf.int32))
        index = tf.argmax(tf.cast(seen >= budget, tf.int32), output_type=tf.int32)
        return tf.where(budget > 0, ordered[index], tf.constant(-1.0, values.dtype))

    def kept(threshold):
        return tf.math.unsorted_segment_sum(tf.cast(values > threshold, tf.int32), ids,
                                            len(sizes))

    def step(floored, _):
        new = tf.logical_or(floored, kept(cut(floored)) < tf.constant(floors, tf.int32))
        return new, tf.reduce_any(new != floored)

    floored, _ = tf.while_loop(lambda f, changed: changed, step,
                               (tf.zeros([len(sizes)], tf.bool), tf.constant(True)),
                               maximum_iterations=len(sizes) + 1)
    return tf.where(floored, own, cut(floored))
