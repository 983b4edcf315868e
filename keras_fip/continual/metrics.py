"""Continual-learning metrics computed from the accuracy matrix.

`R[i][j]` is the accuracy on task j after training on tasks 0..i. The summary
numbers follow the usual definitions (Lopez-Paz & Ranzato 2017; Chaudhry et al.
2018), computed after the last task T-1:

- average accuracy: mean over j of R[T-1][j];
- backward transfer: mean over j < T-1 of R[T-1][j] - R[j][j] (negative = forgetting);
- forgetting: mean over j < T-1 of max_{i < T-1} R[i][j] - R[T-1][j].
"""

import numpy as np


def task_accuracy(model, task, scenario="class", batch_size=512):
    """Accuracy of `model` on `task`'s test set; task-incremental masks other classes."""
    outputs = np.asarray(model.predict(task.x_test, batch_size=batch_size, verbose=0))
    if scenario == "task":
        masked = np.full_like(outputs, -np.inf)
        masked[:, list(task.classes)] = outputs[:, list(task.classes)]
        outputs = masked
    return float(np.mean(outputs.argmax(axis=-1) == task.y_test))


def average_accuracy(matrix):
    matrix = np.asarray(matrix, float)
    return float(matrix[-1].mean())


def backward_transfer(matrix):
    matrix = np.asarray(matrix, float)
    last = len(matrix) - 1
    if last == 0:
        return 0.0
    return float(np.mean([matrix[last, j] - matrix[j, j] for j in range(last)]))


def forgetting(matrix):
    matrix = np.asarray(matrix, float)
    last = len(matrix) - 1
    if last == 0:
        return 0.0
    return float(np.mean([matrix[:last, j].max() - matrix[last, j] for j in range(last)]))


def summarize(matrix):
    """The summary numbers of an accuracy matrix, as a dict."""
    return {
        "average_accuracy": average_accuracy(matrix),
        "backward_transfer": backward_transfer(matrix),
        "forgetting": forgetting(matrix),
    }
