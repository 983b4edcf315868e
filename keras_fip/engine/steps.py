"""The constrained path step: move a fixed length along the combined direction.

`PathStep` is a Keras optimizer, so choosing the update rule is choosing the
optimizer in `compile`: any Keras optimizer applies the gradient of
`task loss + lambda * D + objectives` (the paper's continual-learning practice);
`PathStep(step_length)` normalises that gradient over all weights together and
moves exactly `step_length` along it (the paper's path sampler, the `||theta|| <= epsilon`
constraint).
"""

import keras
from keras import ops

from keras_fip.engine import backend


@keras.saving.register_keras_serializable("keras_fip")
class PathStep(keras.optimizers.SGD):
    """Steps of fixed length `step_length` along the normalised gradient.

    The gradient over all trainable weights together is normalised to unit
    length, then applied by Keras' SGD with learning rate `step_length`: each
    step moves exactly `step_length` in weight space.

    Args:
        step_length: length of each step in weight space (the global L2 norm of the
            update over all trainable weights), or a learning-rate schedule.
        momentum: heavy-ball momentum over the unit directions (0 disables it):
            `v = momentum * v - step_length * d; w += v`, so a step is at most
            `step_length / (1 - momentum)` long.
        name: optimizer name.

    Raises:
        ValueError: a `step_length` that is not positive, or a momentum outside [0, 1).

    Example:
        >>> model.compile(optimizer=PathStep(step_length=0.01), loss=...)
    """

    def __init__(self, step_length=0.01, momentum=0.0, name="path_step", epsilon=None, **kwargs):
        if epsilon is not None:  # the name in files saved before keras-fip 0.2
            step_length = epsilon
        if not callable(step_length) and not step_length > 0:
            raise ValueError(f"PathStep needs step_length > 0, got {step_length}.")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"PathStep momentum must be in [0, 1), got {momentum}.")
        kwargs.pop("nesterov", None)
        super().__init__(learning_rate=step_length, momentum=float(momentum), name=name, **kwargs)

    def apply(self, grads, trainable_variables=None):
        grads = list(grads)
        if backend.is_tensorflow():
            present, scale = self._tensorflow_scale(grads)
        else:
            # JAX: the gradient is already the whole batch's (Keras' distribution
            # API shards the batch but not the loss).
            present = [g for g in grads if g is not None]
            norm = ops.sqrt(sum(ops.sum(ops.square(ops.cast(g, "float32"))) for g in present))
            scale = 1.0 / ops.maximum(norm, 1e-12)
        present = iter(present)
        grads = [None if g is None else next(present) * ops.cast(scale, g.dtype) for g in grads]
        return super().apply(grads, trainable_variables)

    @staticmethod
    def _tensorflow_scale(grads):
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync if context is not None else 1
        # Dense copies: the norm of an embedding's IndexedSlices would count a
        # repeated row once per occurrence.
        present = [tf.convert_to_tensor(g) for g in grads if g is not None]
        if replicas > 1:
            # Normalise the summed gradient, not each replica's share; the base
            # class sums again across replicas, hence the division.
            present = context.all_reduce(tf.distribute.ReduceOp.SUM, present)
        norm = tf.linalg.global_norm(present)
        return present, 1.0 / (tf.maximum(norm, 1e-12) * replicas)

    def get_config(self):
        config = super().get_config()
        config["step_length"] = config.pop("learning_rate")
        config.pop("nesterov", None)
        return config
