"""The paper-scale recipe (split CIFAR-100, ResNet-18) runs end to end on random
CIFAR-shaped data, as `benchmarks/paper_scale.py --synthetic`."""

import json
import os
import subprocess
import sys

import pytest

from keras_fip.data import synthetic_dataset

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_synthetic_data_is_shaped_like_cifar100_with_balanced_classes():
    data = synthetic_dataset("cifar100", train_per_class=3, test_per_class=1, seed=0)
    assert data.x_train.shape == (300, 32, 32, 3) and data.x_test.shape == (100, 32, 32, 3)
    assert data.num_classes == 100
    assert set(data.y_train.tolist()) == set(range(100))
    with pytest.raises(ValueError, match="like must be one of"):
        synthetic_dataset("imagenet")


def test_split_cifar100_recipe_runs_end_to_end_on_synthetic_data(tmp_path):
    out = tmp_path / "smoke.json"
    command = [sys.executable, os.path.join(ROOT, "benchmarks", "paper_scale.py"),
               "--synthetic", "--tasks", "2", "--epochs", "1", "--train-per-class", "1",
               "--memory-per-class", "1", "--methods", "fip,derpp", "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text())
    assert report["synthetic"] is True
    assert report["config"]["model"]["kind"] == "resnet18"
    for name in ("fip", "derpp"):
        matrix = report["results"][name]["accuracy_matrix"]
        assert len(matrix) == 2 and len(matrix[1]) == 2  # two tasks of 50 classes each
