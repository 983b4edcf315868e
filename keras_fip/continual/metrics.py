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
    """The mean accuracy over every task after the last one was learned.

    Args:
        matrix: the accuracy matrix, `matrix[i][j]` the accuracy on task j after
            training on tasks 0..i (a `MethodResult.accuracy_matrix`).

    Returns:
        The mean of the last row, a float.

    Raises:
        IndexError: `matrix` is empty.

    Example:
        >>> average_accuracy([[0.9, 0.0], [0.7, 0.8]])
        0.75
    """
    matrix = np.asarray(matrix, float)
    return float(matrix[-1].mean())


def backward_transfer(matrix):
    """How learning later tasks changed the earlier ones: negative is forgetting.

    Args:
        matrix: the accuracy matrix, `matrix[i][j]` the accuracy on task j after
            training on tasks 0..i.

    Returns:
        The mean over the earlier tasks j of the last row's accuracy on j minus the
        accuracy on j right after learning it; 0.0 for a single task.

    Raises:
        IndexError: `matrix` is not square.

    Example:
        >>> round(backward_transfer([[0.9, 0.0], [0.7, 0.8]]), 3)
        -0.2
    """
    matrix = np.asarray(matrix, float)
    last = len(matrix) - 1
    if last == 0:
        return 0.0
    return float(np.mean([matrix[last, j] - matrix[j, j] for j in range(last)]))


def forgetting(matrix):
    """How much of each earlier task's best accuracy was lost by the end.

    Args:
        matrix: the accuracy matrix, `matrix[i][j]` the accuracy on task j after
            training on tasks 0..i.

    Returns:
        The mean over the earlier tasks j of the best accuracy on j before the last
        task minus the last row's; 0.0 for a single task.

    Raises:
        IndexError: `matrix` is not square.

    Example:
        >>> round(forgetting([[0.9, 0.0], [0.7, 0.8]]), 3)
        0.2
    """
    matrix = np.asarray(matrix, float)
    last = len(matrix) - 1
    if last == 0:
        return 0.0
    return float(np.mean([matrix[:last, j].max() - matrix[last, j] for j in range(last)]))


def summarize(matrix):
    """The summary numbers of an accuracy matrix, as a dict.

    Args:
        matrix: the accuracy matrix, `matrix[i][j]` the accuracy on task j after
            training on tasks 0..i.

    Returns:
        `{"average_accuracy", "backward_transfer", "forgetting"}`, floats.

    Raises:
        IndexError: `matrix` is empty or not square.

    Example:
        >>> summarize([[0.9, 0.0], [0.7, 0.8]])["average_accuracy"]
        0.75
    """
    return {
        "average_accuracy": average_accuracy(matrix),
        "backward_transfer": backward_transfer(matrix),
        "forgetting": forgetting(matrix),
    }
