"""Losses for continual learning."""

import keras
from keras import ops


@keras.saving.register_keras_serializable("keras_fip")
class MaskedSparseCategoricalCrossentropy(keras.losses.Loss):
    """Cross-entropy over a subset of the head's classes (task-incremental training).

    Outputs of classes outside `classes` are masked out before the softmax, so a
    task only competes with itself.

    Args:
        classes: the classes of the current task.
        from_logits: whether the network outputs logits.
    """

    def __init__(self, classes, from_logits=True, name="masked_sparse_categorical_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.classes = [int(c) for c in classes]
        self.from_logits = bool(from_logits)

    def call(self, y_true, y_pred):
        num_classes = y_pred.shape[-1]
        mask = ops.sum(ops.one_hot(self.classes, num_classes), axis=0) > 0
        if self.from_logits:
            y_pred = ops.where(mask, y_pred, ops.full_like(y_pred, -1e9))
        else:
            y_pred = ops.where(mask, y_pred, ops.zeros_like(y_pred))
            y_pred = y_pred / ops.sum(y_pred, axis=-1, keepdims=True)
        return keras.losses.sparse_categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits
        )

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "from_logits": self.from_logits}
