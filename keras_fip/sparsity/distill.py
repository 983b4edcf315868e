"""Training a sparse network towards the dense network's outputs (distillation), mask held.

What label-free pruning trains on: the dense network's outputs on unlabeled
inputs, computed once, never labels. Two losses:

- `DistillationLoss`: knowledge distillation (Hinton et al. 2015), the KL
  divergence from the teacher's softmax at temperature `T` to the student's,
  times `T^2`; with labels (`labels=True`) the cross-entropy on them is added,
  the usual "labels + distillation" recipe. The peers `oneshot_kd` and
  `gmp_kd` train on it.
- the FIP distance itself (`keras_fip.engine.distances.DistanceLoss`, the
  Bhattacharyya distance by default): what FIP's own fine-tuning trains on in
  label-free mode.

`keras_fip.sparsity.training.fit_masked` trains on either, mask held.
"""

import numpy as np
import keras
from keras import ops

from keras_fip.engine.distances import DistanceLoss
from keras_fip.engine.networks import outputs_are_logits


@keras.saving.register_keras_serializable("keras_fip")
class DistillationLoss(keras.losses.Loss):
    """`T^2 KL(softmax(t / T) || softmax(s / T))`, plus cross-entropy on labels if asked.

    Targets are the teacher's outputs (`(n, C)`), with the label appended as a
    last column when `labels=True` (`(n, C + 1)`, see `distillation_targets`).

    Args:
        temperature: T (1: the teacher's own distribution).
        labels: add the cross-entropy on the labels in the last column.
        from_logits: whether teacher and student output logits (probabilities
            are turned into log-probabilities first).
    """

    def __init__(self, temperature=1.0, labels=False, from_logits=True, name="distillation",
                 reduction="sum_over_batch_size", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not float(temperature) > 0:
            raise ValueError(f"temperature must be > 0, got {temperature!r}.")
        self.temperature = float(temperature)
        self.labels = bool(labels)
        self.from_logits = bool(from_logits)

    def _log_softmax(self, values):
        if not self.from_logits:
            values = ops.log(ops.maximum(values, 1e-12))
        return ops.log_softmax(values / self.temperature, axis=-1)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        classes = y_pred.shape[-1]
        teacher = y_true[:, :classes]
        log_q = self._log_softmax(teacher)
        log_p = self._log_softmax(y_pred)
        loss = self.temperature ** 2 * ops.sum(ops.exp(log_q) * (log_q - log_p), axis=-1)
        if self.labels:
            label = ops.cast(y_true[:, classes], "int32")
            log_p1 = (ops.log_softmax(y_pred, axis=-1) if self.from_logits
                      else ops.log(ops.maximum(y_pred, 1e-12)))
            loss = loss - ops.sum(ops.one_hot(label, classes, dtype=y_pred.dtype) * log_p1, -1)
        return loss

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction, "temperature": self.temperature,
                "labels": self.labels, "from_logits": self.from_logits}


def teacher_outputs(teacher, x, batch_size=1000):
    """The dense network's outputs on `x` (float32), computed once."""
    return np.asarray(teacher.predict(x, batch_size=batch_size, verbose=0), np.float32)


def distillation_targets(outputs, y=None):
    """`outputs`, with the labels `y` appended as a last column when given."""
    if y is None:
        return outputs
    return np.concatenate([outputs, np.asarray(y, np.float32).reshape(-1, 1)], axis=1)


def distillation_loss(teacher, x, y=None, *, temperature=1.0):
    """`(loss, targets)` to distil `teacher` on `x` (plus labels `y` when given)."""
    logits = outputs_are_logits(teacher, x[:8])
    return (DistillationLoss(temperature, labels=y is not None, from_logits=logits),
            distillation_targets(teacher_outputs(teacher, x), y))


def distance_loss(teacher, x, distance="bhattacharyya"):
    """`(loss, targets)`: the FIP output distance to `teacher`'s outputs on `x`, no labels."""
    logits = outputs_are_logits(teacher, x[:8])
    return DistanceLoss(distance, from_logits=logits), teacher_outputs(teacher, x)
