"""Task streams: a dataset cut into a sequence of tasks.

Three scenarios, in the field's usual words:

- class-incremental: each task brings new classes; one shared head; at test time
  the network must tell every class seen so far apart.
- task-incremental: the same class splits, but the task is known at test time and
  only its classes compete (outputs of other classes are masked).
- domain-incremental: every task has all classes; the inputs change (a fixed
  random permutation of the pixels per task, or a rotation per task; the first
  task is the original data).

`dataset_sequence` puts whole datasets one after another on one shared head (the
paper's MNIST -> Fashion-MNIST, labels of the second shifted by 10). Streams are
numpy arrays; `Task.as_dataset` gives a `tf.data` pipeline.
"""

from dataclasses import dataclass, field

import numpy as np

from keras_fip.data.arrays import check_finite

SCENARIOS = ("class", "task", "domain", "rotated")


@dataclass
class Task:
    """One task: its data and the classes its labels can take.

    Args:
        name: how reports name the task.
        x_train: training inputs.
        y_train: integer training labels (values in the stream's shared head).
        x_test: test inputs.
        y_test: integer test labels.
        classes: the labels this task's samples can have.

    Raises:
        ValueError: the training or test part is empty, or an input holds NaN or inf.

    Example:
        >>> task = stream[0]
        >>> task.name, task.classes, task.x_train.shape
    """

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
        # Refused here, where data enters a run: some CPUs' kernels turn a NaN
        # input into 0, and training would go on with NaN weights.
        for part in ("x_train", "x_test"):
            check_finite(getattr(self, part), f"{self.name}: {part}")

    def as_dataset(self, part="train", batch_size=32, shuffle=True, seed=0):
        """The task's `part` ("train" or "test") as a batched, prefetched `tf.data.Dataset`."""
        import tensorflow as tf

        if part not in ("train", "test"):
            raise ValueError(f"part must be 'train' or 'test', got {part!r}.")
        x, y = getattr(self, f"x_{part}"), getattr(self, f"y_{part}")
        data = tf.data.Dataset.from_tensor_slices((x, y))
        if shuffle:
            data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
        return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@dataclass
class TaskStream:
    """An ordered sequence of tasks over one output head of `num_classes`.

    Indexing, `len` and iteration go over the tasks; `input_shape` is the shape of
    one input.

    Args:
        tasks: the `Task`s, in the order they are learned.
        scenario: `"class"`, `"task"` or `"domain"`.
        num_classes: the size of the shared output head.
        description: one line for reports.
        class_order: the order the classes arrive in.

    Raises:
        TypeError: a required field is missing (a dataclass).

    Example:
        >>> from keras_fip.data import load_digits
        >>> stream = class_split(load_digits(), num_tasks=5)
        >>> len(stream), stream.num_classes, stream.input_shape
        (5, 10, (8, 8, 1))
    """

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


def class_split(dataset, num_tasks=5, class_order=None, scenario="class", classes_per_task=None):
    """Class-incremental (or task-incremental) tasks from a `Dataset`.

    Args:
        dataset: a `keras_fip.data.Dataset`.
        num_tasks: number of tasks; the classes are split evenly.
        class_order: the order classes arrive in, e.g. `[5, 2, 7, ...]`
            (default: 0, 1, 2, ...). Classes left out are not used.
        scenario: `"class"` (shared head) or `"task"` (outputs masked per task).
        classes_per_task: instead of `num_tasks`, how many classes each task
            gets (split CIFAR-100 into 10 tasks: `classes_per_task=10`).

    Returns:
        A `TaskStream`. Labels keep their original values in the shared head.

    Raises:
        ValueError: another scenario, labels outside the data's classes, a class
            order that repeats or names unknown classes, classes that do not split
            evenly, or a class with no training or test sample.

    Example:
        >>> stream = class_split(cifar100, classes_per_task=5)   # 20 tasks
    """
    if scenario not in ("class", "task"):
        raise ValueError(f"class_split builds 'class' or 'task' scenarios, not {scenario!r}.")
    _check_labels(dataset)
    order = _check_class_order(class_order, dataset.num_classes)
    if classes_per_task is not None:
        if int(classes_per_task) < 1 or len(order) % int(classes_per_task):
            raise ValueError(
                f"{len(order)} classes cannot be split into tasks of {classes_per_task}."
            )
        num_tasks = len(order) // int(classes_per_task)
    for part in ("train", "test"):
        labels = getattr(dataset, f"y_{part}")
        missing = [c for c in order if not np.any(labels == c)]
        if missing:
            raise ValueError(
                f"Classes {missing} have no {part} samples (the {part} labels span "
                f"{labels.min()}..{labels.max()}): a task with them would be empty or "
                "partly empty. Check the labels, or leave those classes out of the class order."
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

    Args:
        dataset: a `keras_fip.data.Dataset`.
        num_tasks: number of tasks (the first unpermuted).
        seed: seed of the permutations.

    Returns:
        A domain-incremental `TaskStream`; every task has every class.

    Raises:
        ValueError: fewer than one task, or labels outside the data's classes.

    Example:
        >>> from keras_fip.data import load_digits
        >>> stream = permuted(load_digits(), num_tasks=3, seed=0)
        >>> [task.name for task in stream]
        ['task 0 (permutation 0)', 'task 1 (permutation 1)', 'task 2 (permutation 2)']
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


def rotated(dataset, num_tasks=5, angles=None):
    """Domain-incremental tasks: all classes, images rotated by a fixed angle per task.

    Args:
        dataset: a `Dataset` of images `(N, H, W, C)`.
        num_tasks: number of tasks.
        angles: the angle of each task in degrees (default: evenly spaced from
            0, `180 / num_tasks` apart).

    Returns:
        A domain-incremental `TaskStream`; every task has every class.

    Raises:
        ValueError: inputs that are not images `(N, H, W, C)`, as many angles as
            tasks not given, or labels outside the data's classes.

    Example:
        >>> from keras_fip.data import load_digits
        >>> stream = rotated(load_digits(), num_tasks=3)
        >>> [task.name for task in stream]
        ['task 0 (rotated 0 degrees)', 'task 1 (rotated 60 degrees)', 'task 2 (rotated 120 degrees)']
    """
    from scipy import ndimage  # scipy ships with scikit-learn

    _check_labels(dataset)
    if dataset.x_train.ndim != 4:
        raise ValueError(
            f"rotated() needs images (N, H, W, C); got inputs of shape {dataset.x_train.shape[1:]}."
        )
    angles = [i * 180.0 / num_tasks for i in range(num_tasks)] if angles is None else list(angles)
    if len(angles) != num_tasks:
        raise ValueError(f"Got {len(angles)} angles for {num_tasks} tasks.")

    def turn(x, angle):
        if angle == 0:
            return x
        return ndimage.rotate(x, angle, axes=(1, 2), reshape=False, order=1).clip(0, 1)

    tasks = [
        Task(
            name=f"task {i} (rotated {angle:g} degrees)",
            x_train=turn(dataset.x_train, angle), y_train=dataset.y_train,
            x_test=turn(dataset.x_test, angle), y_test=dataset.y_test,
            classes=tuple(range(dataset.num_classes)),
        )
        for i, angle in enumerate(angles)
    ]
    return TaskStream(
        tasks, "domain", dataset.num_classes,
        description=f"{dataset.name}, {num_tasks} rotated tasks, domain-incremental",
        class_order=list(range(dataset.num_classes)),
    )


def dataset_sequence(datasets, names=None):
    """One task per dataset, on one shared head: the paper's MNIST -> Fashion-MNIST.

    The labels of each dataset are shifted past those of the datasets before it
    (Fashion-MNIST's 0..9 become 10..19 after MNIST), so the head has as many
    outputs as all datasets have classes together.

    Args:
        datasets: `Dataset`s with the same input shape, in the order they are learned.
        names: optional task names.

    Returns:
        A class-incremental `TaskStream` with one task per dataset.

    Raises:
        ValueError: no dataset, datasets of different input shapes, or labels
            outside a dataset's classes.

    Example:
        >>> stream = dataset_sequence([load_dataset("tfds:mnist"), load_dataset("tfds:fashion_mnist")])
        >>> stream.num_classes
        20
    """
    datasets = list(datasets)
    if not datasets:
        raise ValueError("dataset_sequence needs at least one dataset.")
    shapes = {tuple(d.x_train.shape[1:]) for d in datasets}
    if len(shapes) > 1:
        raise ValueError(f"The datasets have different input shapes: {sorted(shapes)}.")
    tasks, offset = [], 0
    for i, d in enumerate(datasets):
        _check_labels(d)
        classes = tuple(range(offset, offset + d.num_classes))
        tasks.append(Task(
            name=(names[i] if names else f"task {i} ({d.name}, labels {classes[0]}..{classes[-1]})"),
            x_train=d.x_train, y_train=d.y_train + offset,
            x_test=d.x_test, y_test=d.y_test + offset, classes=classes,
        ))
        offset += d.num_classes
    return TaskStream(
        tasks, "class", offset,
        description=" -> ".join(d.name for d in datasets) + f", shared {offset}-way head",
        class_order=list(range(offset)),
    )


def validation_stream(stream, fraction=0.1, seed=0):
    """The stream for model selection: each task's training data split in two.

    A stratified, seeded `fraction` of each task's training data becomes its
    "test" data; the rest stays its training data. Hyperparameters chosen on this
    stream never see the real test split.

    Args:
        stream: a `TaskStream`.
        fraction: share of each task's training data held out, in (0, 1).
        seed: seed of the split.

    Returns:
        A `TaskStream` with the same tasks, classes and scenario.

    Example:
        >>> tuning = validation_stream(make_stream(digits), fraction=0.1, seed=0)
    """
    from keras_fip.data.splits import VALIDATION_OFFSETS, validation_split

    tasks = []
    for task in stream:
        # The shared split, with this job's scheme and offset (its held-out images unchanged).
        x_train, y_train, x_val, y_val = validation_split(
            task.x_train, task.y_train, fraction, seed, scheme="stratified",
            offset=VALIDATION_OFFSETS["continual"])
        tasks.append(Task(name=task.name, x_train=x_train, y_train=y_train,
                          x_test=x_val, y_test=y_val, classes=task.classes))
    return TaskStream(
        tasks=tasks, scenario=stream.scenario, num_classes=stream.num_classes,
        description=f"{stream.description}; validation: {fraction:g} of each task's "
        f"training data (stratified, seed {seed})",
        class_order=stream.class_order,
    )


def make_stream(dataset, scenario="class", num_tasks=5, class_order=None, seed=0):
    """Builds a stream for any scenario: `"class"`, `"task"`, `"domain"` (permuted
    pixels) or `"rotated"` (domain-incremental by rotation).

    Args:
        dataset: a `keras_fip.data.Dataset`.
        scenario: `"class"`, `"task"`, `"domain"` or `"rotated"`.
        num_tasks: number of tasks.
        class_order: the order classes arrive in (class and task scenarios).
        seed: seed of the permutations (domain scenario).

    Returns:
        A `TaskStream` (see `class_split`, `permuted` and `rotated`).

    Raises:
        ValueError: an unknown scenario, or what the scenario's builder refuses.

    Example:
        >>> from keras_fip.data import load_digits
        >>> stream = make_stream(load_digits(), "class", num_tasks=5)
        >>> stream.description
        'digits, 5 tasks by class, class-incremental'
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"Unknown scenario {scenario!r}; choose one of {SCENARIOS}.")
    if scenario == "domain":
        return permuted(dataset, num_tasks, seed=seed)
    if scenario == "rotated":
        return rotated(dataset, num_tasks)
    return class_split(dataset, num_tasks, class_order, scenario)
