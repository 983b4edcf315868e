"""Task builders on small synthetic arrays."""

import numpy as np
import pytest

from keras_fip.continual import class_split, dataset_sequence, make_stream, permuted, rotated
from keras_fip.data import Dataset


def images(num_classes=4, per_class=6, shape=(6, 6, 1), seed=0, name="toy"):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(num_classes), per_class)
    x = rng.random((len(y), *shape)).astype("float32")
    return Dataset(x, y, x[::2], y[::2], name=name, num_classes=num_classes)


def test_classes_per_task_and_any_order():
    stream = class_split(images(num_classes=6), class_order=[5, 4, 3, 2, 1, 0], classes_per_task=3)
    assert len(stream) == 2 and stream[0].classes == (5, 4, 3)
    assert set(stream[1].y_train) == {0, 1, 2}
    with pytest.raises(ValueError, match="tasks of 4"):
        class_split(images(num_classes=6), classes_per_task=4)


def test_dataset_sequence_shifts_labels_onto_a_shared_head():
    first, second = images(name="a"), images(seed=1, name="b")
    stream = dataset_sequence([first, second])
    assert stream.num_classes == 8 and stream.scenario == "class"
    np.testing.assert_array_equal(stream[1].y_train, second.y_train + 4)
    assert stream[1].classes == (4, 5, 6, 7)
    with pytest.raises(ValueError, match="different input shapes"):
        dataset_sequence([first, images(shape=(5, 5, 1))])


def test_rotated_tasks_are_deterministic_and_keep_labels():
    data = images()
    a, b = rotated(data, num_tasks=3), rotated(data, num_tasks=3)
    np.testing.assert_array_equal(a[0].x_train, data.x_train)  # first task: unrotated
    np.testing.assert_array_equal(a[2].x_train, b[2].x_train)
    assert not np.allclose(a[1].x_train, data.x_train)
    np.testing.assert_array_equal(a[1].y_train, data.y_train)
    assert a[2].x_train.min() >= 0 and a[2].x_train.max() <= 1
    # Rotating by 90 degrees twice is rotating by 180 once.
    quarter = rotated(data, 2, angles=[0, 90])[1].x_train
    np.testing.assert_allclose(
        rotated(Dataset(quarter, data.y_train, quarter, data.y_train, name="q"), 2, angles=[0, 90])[1].x_train,
        rotated(data, 2, angles=[0, 180])[1].x_train, atol=1e-5,
    )


def test_permutations_depend_only_on_the_seed():
    data = images()
    np.testing.assert_array_equal(permuted(data, 3, seed=5)[2].x_train, permuted(data, 3, seed=5)[2].x_train)
    assert not np.array_equal(permuted(data, 3, seed=5)[2].x_train, permuted(data, 3, seed=6)[2].x_train)


def test_tasks_as_tf_data_pipelines():
    stream = make_stream(images(), "class", num_tasks=2)
    batches = list(stream[0].as_dataset("train", batch_size=4, seed=0))
    assert sum(len(y) for _, y in batches) == len(stream[0].y_train)
    again = next(iter(stream[0].as_dataset("train", batch_size=4, seed=0)))
    np.testing.assert_array_equal(batches[0][1].numpy(), again[1].numpy())
    with pytest.raises(ValueError, match="part"):
        stream[0].as_dataset("validation")


def test_unknown_scenario_is_a_clear_error():
    with pytest.raises(ValueError, match="Unknown scenario"):
        make_stream(images(), "online")
