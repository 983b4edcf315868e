"""The batches a path takes: a seeded stream that any step can start from.

A path's step budget is counted in batches, not passes over the data. The stream
is an endless sequence of passes, pass `p` a shuffle of the data seeded by
`(seed, p)`, so the batch at step `k` is the same in every run with the same seed:
a path resumed at step `k` sees exactly what an uninterrupted one would.
"""

import math

import numpy as np

from keras_fip.engine import backend


def path_batches(x, targets, batch_size, seed=0, start_step=0):
    """The `(x, targets)` batches of a path from step `start_step` on.

    A `tf.data.Dataset` on TensorFlow; an endless generator of NumPy batches on
    other backends (its shuffles are NumPy's, so the order differs from
    TensorFlow's for the same seed).

    Args:
        x: inputs (an array).
        targets: what each input is trained towards (labels or cached anchor
            outputs), one per input.
        batch_size: samples per batch; every batch is full when the data holds at
            least one batch (the remainder of a pass is dropped).
        seed: seed of the shuffles.
        start_step: how many batches of the stream to skip.

    Example:
        >>> data = path_batches(x, anchors, batch_size=200, seed=0)
        >>> model.fit(data, epochs=5, steps_per_epoch=100)
    """
    n = len(x)
    full = n >= batch_size
    per_pass = n // batch_size if full else 1
    first_pass, skip = divmod(int(start_step), per_pass)
    if not backend.is_tensorflow():
        return _numpy_batches(x, targets, batch_size, seed, first_pass, skip, full)
    import tensorflow as tf

    x, targets = tf.constant(x), tf.constant(targets)

    def one_pass(index):
        # A stateless shuffle: the order of pass `index` depends on nothing else.
        order = tf.random.experimental.stateless_shuffle(
            tf.range(n), seed=tf.stack([tf.constant(int(seed), tf.int64), index]))
        batches = tf.data.Dataset.from_tensor_slices(order).batch(batch_size, drop_remainder=full)
        return batches.map(lambda i: (tf.gather(x, i), tf.gather(targets, i)))

    passes = tf.data.Dataset.range(first_pass, 2**62)
    return passes.flat_map(one_pass).skip(skip).prefetch(2)


def _numpy_batches(x, targets, batch_size, seed, first_pass, skip, full):
    x, targets = np.asarray(x), np.asarray(targets)
    n = len(x)
    stop = n - n % batch_size if full else n
    pass_index = first_pass
    while True:
        # Pass `p`'s order depends on (seed, p) only, as on TensorFlow.
        order = np.random.default_rng([int(seed), pass_index]).permutation(n)
        for start in range(0, stop, batch_size):
            if skip:
                skip -= 1
                continue
            index = order[start:start + batch_size]
            yield x[index], targets[index]
        pass_index += 1


def epoch_length(steps, n, batch_size):
    """Steps per Keras epoch for a run of exactly `steps` steps.

    A divisor of `steps` near one pass over the data (at least 100 steps), so
    budgets compare exactly and progress is logged (and checkpointed) at about
    every pass.
    """
    target = max(100, math.ceil(n / batch_size))
    divisors = [d for d in range(min(steps, 25), steps + 1) if steps % d == 0]
    return min(divisors, key=lambda d: abs(d - target))
