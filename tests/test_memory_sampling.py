"""How a training step draws its memory batch: uniformly, at the batch's cost, the
same on every backend; the sampler before issue 26 kept by name."""

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from conftest import tensorflow_only
from keras_fip import AnchorMemory
from keras_fip.engine.memory import uniform_indices

pytestmark = pytest.mark.any_backend

TESTS = Path(__file__).parent


def memory_of(size, sampling="uniform"):
    memory = AnchorMemory(sampling=sampling)
    memory.add(np.arange(size, dtype="float32")[:, None], np.zeros((size, 2)),
               labels=np.zeros(size, int))
    return memory


def drawn(memory, batch_size, generator):
    inputs, _, _ = memory.sample(batch_size, generator)
    return np.asarray(inputs)[:, 0].astype(int)


def test_draws_are_uniform_over_the_memory():
    memory, generator = memory_of(500), keras.random.SeedGenerator(3)
    counts = np.bincount(np.concatenate([drawn(memory, 64, generator) for _ in range(400)]),
                         minlength=500)
    assert counts.sum() == 400 * 64
    expected = counts.mean()
    chi2 = ((counts - expected) ** 2 / expected).sum()
    # 499 degrees of freedom: 450 and 560 are the 6th and 93rd percentiles.
    assert 430 < chi2 < 580, chi2


def test_a_memory_no_larger_than_the_batch_is_used_whole():
    assert sorted(drawn(memory_of(5), 64, keras.random.SeedGenerator(0))) == [0, 1, 2, 3, 4]
    assert sorted(drawn(memory_of(64), 64, keras.random.SeedGenerator(0))) == list(range(64))


def test_each_draw_advances_the_seed_by_one_with_either_sampler():
    for sampling in ("uniform", "permutation"):
        generator = keras.random.SeedGenerator(11)
        first = drawn(memory_of(300, sampling), 32, generator)
        assert np.asarray(generator.state).tolist() == [11, 1]
        second = drawn(memory_of(300, sampling), 32, generator)
        assert not np.array_equal(first, second)
        restored = keras.random.SeedGenerator(11)  # a resumed run: the saved state
        restored.state.assign(np.asarray([11, 1]))
        assert np.array_equal(drawn(memory_of(300, sampling), 32, restored), second)


def test_the_permutation_sampler_draws_without_replacement():
    indices = drawn(memory_of(300, "permutation"), 64, keras.random.SeedGenerator(0))
    assert len(set(indices.tolist())) == 64


def test_sampling_is_part_of_the_memory_config_and_checked():
    memory = AnchorMemory(capacity=10, sampling="permutation")
    assert AnchorMemory.from_config(memory.get_config()).sampling == "permutation"
    assert AnchorMemory.from_config({"capacity": 10}).sampling == "uniform"  # older files
    with pytest.raises(ValueError, match="sampling"):
        AnchorMemory(sampling="shuffled")


DRAW = """
import json, sys
import numpy as np
from keras_fip.engine.memory import uniform_indices
print(json.dumps(np.asarray(uniform_indices(1000, 16, np.array([7, 41]))).tolist()))
"""


@tensorflow_only  # drives JAX from TensorFlow's run
@pytest.mark.slow
def test_the_same_indices_are_drawn_on_tensorflow_and_jax():
    pytest.importorskip("jax")
    here = np.asarray(uniform_indices(1000, 16, np.array([7, 41]))).tolist()
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    run = subprocess.run([sys.executable, "-c", DRAW], env=env, capture_output=True, text=True,
                         cwd=TESTS.parent, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == here
    assert len(here) == 16 and min(here) >= 0 and max(here) < 1000


COST = """
import jax, keras
import numpy as np
from keras_fip.engine.memory import AnchorMemory
size = 10007   # a size nothing else in the step has
memory = AnchorMemory(sampling=SAMPLING)
memory.add(np.zeros((size, 3), "float32"), np.zeros((size, 2)), labels=np.zeros(size, int))
generator = keras.random.SeedGenerator(0)
def draw(state):
    generator.state.assign(state)
    return memory.sample(64, generator)[0]
with keras.StatelessScope():
    jaxpr = jax.make_jaxpr(draw)(np.zeros(2, "uint32"))
print(sum(size in getattr(v.aval, "shape", ()) for e in jaxpr.eqns for v in e.outvars))
"""


@tensorflow_only  # drives JAX from TensorFlow's run
@pytest.mark.slow
def test_a_draw_never_computes_anything_the_size_of_the_memory():
    """Traced on JAX: no operation of the uniform sampler outputs a memory-sized array
    (the permutation sampler, for contrast, shuffles the whole index)."""
    pytest.importorskip("jax")
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"}
    counts = {}
    for sampling in ("uniform", "permutation"):
        code = COST.replace("SAMPLING", repr(sampling))
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, cwd=TESTS.parent, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        counts[sampling] = int(run.stdout.strip().splitlines()[-1])
    assert counts == {"uniform": 0, "permutation": counts["permutation"]}
    assert counts["permutation"] > 0
