"""Task streams: a dataset cut into a sequence of tasks.

Three scenarios, in the field's usual words:

- class-incremental: each task brings new classes; one shared head; at test time
  the network must tell every class seen so far apart.
- task-incremental: the same class splits, but the task is known at test time and
  only its classes compete (outputs of other classes are masked).
- domain-incremental: every task has all classes; the inputs change (here, a fixed
  random permutation of the pixels per task; the first task is unpermuted).
"""

from dataclasses import dataclass, field

import numpy as np

SCENARIOS = ("class", "task", "domain")


@dataclass
class Task:
    """One task: its data and the classes its labels can take."""

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple

    def __post_init__(self):
        if len(self.x_train) == 0 or len(self.x_test) == 0:
            raise ValueError(
                f"Task {self.name!r} is empty ({len(self.x_train)} training and "
                f"{len(self.x_test)} test samples)."
            )


@dataclass
class TaskStream:
    """An ordered sequence of tasks over one output head of `num_classes`."""

    tasks: list
    scenario: str
    num_classes: int
    description: str = ""
    class_order: list = field(default_factory=list)

    def __len__(self):
        return len(self.tasks)

    def __iter__(self):
        return iter(self.tasks)

    def __getitem__(self, index):
        return self.tasks[index]

    @property
    def input_shape(self):
        return tuple(self.tasks[0].x_train.shape[1:])


def split_classes(class_order, num_tasks):
    """Cuts `class_order` into `num_tasks` consecutive groups of equal size."""
    if num_tasks < 1:
        raise ValueError(f"Need at least one task, got {num_tasks}.")
    if len(class_order) % num_tasks:
        raise ValueError(
            f"{len(class_order)} classes cannot be split evenly into {num_tasks} tasks."
        )
    size = len(class_order) // num_tasks
    return [tuple(class_order[i * size:(i + 1) * size]) for i in range(num_tasks)]


def _check_class_order(class_order, num_classes):
    if class_order is None:
        return list(range(num_classes))
    order = [int(c) for c in class_order]
    if len(set(order)) != len(order):
        raise ValueError(f"The class order repeats a class: {order}.")
    unknown = [c for c in order if not 0 <= c < num_classes]
    if unknown:
        raise ValueError(
            f"The class order names classes {unknown} that the data does not have "
            f"(labels are 0..{num_classes - 1})."
        )
    return order


def _check_labels(dataset):
    for part in ("train", "test"):
        x, y = getattr(dataset, f"x_{part}"), getattr(dataset, f"y_{part}")
        if len(x) != len(y):
            raise ValueError(f"{len(x)} {part} inputs but {len(y)} labels.")
        if len(y) and (y.min() < 0 or y.max() >= dataset.num_classes):
            raise ValueError(
                f"{part} labels must lie in 0..{dataset.num_classes - 1}; found "
                f"{y.min()}..{y.max()}."
            )


def class_split(dataset, num_tasks=5, class_order=None, scenario="class"):
    """Class-incremental (or task-incremental) tasks from a `Dataset`.

    Args:
        dataset: a `keras_fip.data.Dataset`.
        num_tasks: number of tasks; the classes are split evenly.
        class_order: the order classes arrive in, e.g. `[5, 2, 7, ...]`
            (default: 0, 1, 2, ...). Classes left out are not used.
        scenario: `"class"` (shared head) or `"task"` (outputs masked per task).

    Returns:
        A `TaskStream`. Labels keep their original values in the shared head.
    """
    if scenario not in ("class", "task"):
        raise ValueError(f"class_split builds 'class' or 'task' scenarios, not {scenario!r}.")
    _check_labels(dataset)
    order = _check_class_order(class_order, dataset.num_classes)
    for part in ("train", "test"):
        labels = getattr(dataset, f"y_{part}")
        missing = [c for c in order if not np.any(labels == c)]
        if missing:
            raise ValueError(
                f"Classes {missing} have no {part} samples: a task with them would be "
                "empty or partly empty. Leave them out of the class order."
            )
    tasks = []
    for i, classes in enumerate(split_classes(order, num_tasks)):
        train = np.isin(dataset.y_train, classes)
        test = np.isin(dataset.y_test, classes)
        tasks.append(Task(
            name=f"task {i} (classes {', '.join(map(str, classes))})",
            x_train=dataset.x_train[train], y_train=dataset.y_train[train],
            x_test=dataset.x_test[test], y_test=dataset.y_test[test],
            classes=classes,
        ))
    return TaskStream(
        tasks, scenario, dataset.num_classes,
        description=f"{dataset.name}, {num_tasks} tasks by class, {scenario}-incremental",
        class_order=order,
    )


def permuted(dataset, num_tasks=5, seed=0):
    """Domain-incremental tasks: all classes, pixels permuted differently per task.

    The first task is the unpermuted data; task `i > 0` applies a fixed random
    permutation drawn from `seed`.
    """
    _check_labels(dataset)
    if num_tasks < 1:
        raise ValueError(f"Need at least one task, got {num_tasks}.")
    rng = np.random.default_rng(seed)
    shape = dataset.x_train.shape[1:]
    size = int(np.prod(shape))
    tasks = []
    for i in range(num_tasks):
        perm = np.arange(size) if i == 0 else rng.permutation(size)

        def apply(x, perm=perm):
            return x.reshape(len(x), size)[:, perm].reshape(len(x), *shape)

        tasks.append(Task(
            name=f"task {i} (permutation {i})",
            x_train=apply(dataset.x_train), y_train=dataset.y_train,
            x_test=apply(dataset.x_test), y_test=dataset.y_test,
            classes=tuple(range(dataset.num_classes)),
        ))
    return TaskStream(
        tasks, "domain", dataset.num_classes,
        description=f"{dataset.name}, {num_tasks} permuted-pixel tasks, domain-incremental",
        class_order=list(range(dataset.num_classes)),
    )


def make_stream(dataset, scenario="class", num_tasks=5, class_order=None, seed=0):
    """Builds a stream for any scenario: `"class"`, `"task"` or `"domain"`."""
    if scenario not in SCENARIOS:
        raise ValueError(f"Unknown scenario {scenario!r}; choose one of {SCENARIOS}.")
    if scenario == "domain":
        return permuted(dataset, num_tasks, seed=seed)
    return class_split(dataset, num_tasks, class_order, scenario)
