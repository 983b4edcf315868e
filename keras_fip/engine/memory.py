"""The anchor memory: protected inputs and the anchor's cached outputs on them.

Its size is what was remembered, never the dataset: per stored sample, the input
as float32 plus one float32 per output and 8 bytes of label and task id. 50 CIFAR
images per class of CIFAR-100 (5,000 images, 32x32x3, 100 outputs) take
5,000 * (3,072 * 4 + 100 * 4 + 8) bytes, about 63 MB.

`remember` snapshots what the network outputs on a few inputs. Those outputs never
change afterwards, so they are computed once here and never again during training.
On TensorFlow the buffers live in `tf.Variable`s whose first dimension is left
unknown, so the compiled train step reads whatever the memory holds without being
traced again when it grows. Other backends (JAX) have no variable of changing
shape: the step holds the buffers as constants and is traced again whenever they
change (`version`), which happens between `fit` calls, once a task. Choosing what
to keep is bookkeeping done on the host, in NumPy, at the moment something is
remembered (rare), never in the step.
"""

import numpy as np
import keras
from keras import ops

from keras_fip.engine import backend

POLICIES = ("balanced", "reservoir")
SAMPLERS = ("uniform", "permutation")
_GOLDEN = 0x9E3779B9  # 2**32 / golden ratio: spreads consecutive counters apart


def _mix32(x):
    """A bijection on uint32 whose output bits each depend on every input bit
    (the "lowbias32" integer hash found by C. Wellons' hash-prospector)."""
    for shift, multiplier in ((16, 0x7FEB352D), (15, 0x846CA68B)):
        x = ops.bitwise_xor(x, ops.right_shift(x, shift))
        x = ops.multiply(x, ops.cast(multiplier, "uint32"))
    return ops.bitwise_xor(x, ops.right_shift(x, 16))


def uniform_indices(size, batch_size, seed_state):
    """Indices into a memory of `size` samples: `batch_size` drawn uniformly with
    replacement, or `0 .. size - 1` when `size <= batch_size`.

    Counter-based: index i is a hash of (seed state, i) modulo `size`, so the
    work is O(batch) and the numbers are the same on every backend (integer ops
    only). The modulo's bias is below size / 2**32.

    Args:
        size: the memory's size (a Python int, or a scalar tensor when the
            memory lives in a variable of unknown length).
        batch_size: a Python int.
        seed_state: the two numbers of a `SeedGenerator`'s state (`next()`).
    """
    state = ops.cast(seed_state, "uint32")
    key = _mix32(ops.bitwise_xor(state[0], _mix32(state[1] + ops.cast(_GOLDEN, "uint32"))))
    if isinstance(size, int):  # known when traced (JAX)
        if size <= batch_size:
            return ops.arange(size, dtype="int32")
        count = batch_size
    else:
        count = ops.minimum(ops.cast(batch_size, "int32"), ops.cast(size, "int32"))
    counter = ops.cast(ops.arange(count, dtype="int32"), "uint32")
    hashed = _mix32(key + counter * ops.cast(_GOLDEN, "uint32"))
    drawn = ops.cast(hashed % ops.cast(size, "uint32"), "int32")
    if isinstance(size, int):
        return drawn
    # Unknown when traced (TensorFlow): the whole memory, in order, when it is small.
    return ops.where(ops.cast(size, "int32") <= batch_size, ops.arange(count, dtype="int32"),
                     drawn)


@keras.saving.register_keras_serializable("keras_fip")
class AnchorMemory:
    """Protected inputs, their labels and task ids, and the anchor's outputs.

    Args:
        capacity: most samples kept in all (None: no limit).
        policy: what to drop once full. `"balanced"` keeps the classes equally
            represented (drops from the largest class first, newest first);
            `"reservoir"` keeps a uniform sample of everything ever offered.
        seed: seed of the reservoir's choices.
        sampling: how a step draws its memory batch (`sample`): `"uniform"`,
            with replacement at a cost independent of the memory's size, or
            `"permutation"`, the sampler before issue 26 (without replacement,
            a shuffle of the whole memory per step).

    Raises:
        ValueError: a capacity below 1, an unknown policy or sampler; `add` refuses empty
            inputs, anchor outputs holding NaN or inf, and labels that do not match
            the inputs.

    Example:
        >>> memory = AnchorMemory(capacity=200, policy="balanced")
        >>> memory.add(x, anchor_outputs, labels=y, task=0)
        >>> len(memory)
    """

    def __init__(self, capacity=None, policy="balanced", seed=0, sampling="uniform"):
        if capacity is not None and int(capacity) < 1:
            raise ValueError(f"Memory capacity must be at least 1 (or None), got {capacity}.")
        if policy not in POLICIES:
            raise ValueError(f"Unknown memory policy {policy!r}; choose one of {POLICIES}.")
        if sampling not in SAMPLERS:
            raise ValueError(f"Unknown memory sampling {sampling!r}; choose one of {SAMPLERS}.")
        self.sampling = sampling
        self.capacity = None if capacity is None else int(capacity)
        self.policy = policy
        self.seed = seed
        self.num_seen = 0  # samples ever offered (the reservoir needs it)
        self._variables = None
        self._size = 0
        self.version = 0  # counts changes to the stored arrays

    # ----------------------------------------------------------------- state
    @property
    def built(self):
        return self._variables is not None

    def __len__(self):
        return self._size

    @property
    def input_shape(self):
        return None if not self.built else tuple(self._variables["inputs"].shape[1:])

    @property
    def output_dim(self):
        return None if not self.built else int(self._variables["outputs"].shape[-1])

    @property
    def nbytes(self):
        """Bytes the memory holds: per sample, the input as float32 (4 bytes a
        value), the anchor outputs (4 bytes a class) and 8 bytes of label and task."""
        return sum(value.nbytes for value in self.numpy().values())

    def numpy(self):
        """The stored arrays: `inputs`, `outputs`, `labels`, `tasks`."""
        if not self.built:
            return {}
        return {key: np.asarray(var) for key, var in self._variables.items()}

    def _assign(self, arrays):
        arrays = {
            "inputs": np.asarray(arrays["inputs"], np.float32),
            "outputs": np.asarray(arrays["outputs"], np.float32),
            "labels": np.asarray(arrays["labels"], np.int32),
            "tasks": np.asarray(arrays["tasks"], np.int32),
        }
        self.version += 1
        if not backend.is_tensorflow():
            self._variables = arrays
        elif self._variables is None:
            import tensorflow as tf

            # Unknown leading dimension: the memory can grow without a retrace.
            self._variables = {
                key: tf.Variable(
                    value,
                    trainable=False,
                    shape=tf.TensorShape([None, *value.shape[1:]]),
                    name=f"anchor_memory_{key}",
                )
                for key, value in arrays.items()
            }
        else:
            for key, value in arrays.items():
                self._variables[key].assign(value)
        self._size = len(arrays["inputs"])

    # -------------------------------------------------------------- writing
    def add(self, inputs, outputs, labels=None, task=0):
        """Adds samples with their anchor outputs, then applies the capacity policy."""
        inputs = np.asarray(inputs, np.float32)
        outputs = np.asarray(outputs, np.float32)
        if len(inputs) == 0:
            raise ValueError("Nothing to remember: the inputs are empty.")
        if len(outputs) != len(inputs):
            raise ValueError(
                f"Got {len(inputs)} inputs but {len(outputs)} anchor outputs."
            )
        if outputs.ndim != 2:
            raise ValueError(
                "Anchor outputs must be one vector per sample (batch, classes); "
                f"got shape {outputs.shape}."
            )
        if not np.all(np.isfinite(outputs)):
            raise ValueError("The anchor outputs contain NaN or infinity; nothing was stored.")
        labels = np.full(len(inputs), -1) if labels is None else np.asarray(labels).reshape(-1)
        if len(labels) != len(inputs):
            raise ValueError(f"Got {len(inputs)} inputs but {len(labels)} labels.")
        if self.built:
            if inputs.shape[1:] != self.input_shape:
                raise ValueError(
                    f"Memory holds inputs of shape {self.input_shape}; cannot add "
                    f"inputs of shape {inputs.shape[1:]}."
                )
            if outputs.shape[1] != self.output_dim:
                raise ValueError(
                    f"Memory holds {self.output_dim} outputs per sample; cannot add "
                    f"{outputs.shape[1]}."
                )
        new = {
            "inputs": inputs,
            "outputs": outputs,
            "labels": labels,
            "tasks": np.full(len(inputs), int(task)),
        }
        old = self.numpy()
        # The choices depend on the seed and on what was seen before, nothing
        # else: a memory restored from a checkpoint chooses as the original would.
        self._rng = np.random.default_rng(
            None if self.seed is None else [int(self.seed), self.num_seen]
        )
        if self.policy == "reservoir":
            kept = self._reservoir(old, new)
        else:
            merged = {k: np.concatenate([old[k], new[k]]) if old else new[k] for k in new}
            kept = self._balanced(merged)
        self.num_seen += len(inputs)
        self._assign(kept)

    def _balanced(self, arrays):
        count = len(arrays["inputs"])
        if self.capacity is None or count <= self.capacity:
            return arrays
        labels = arrays["labels"]
        classes, sizes = np.unique(labels, return_counts=True)
        # Water-filling: small classes keep everything, the rest share what is
        # left equally; within a class the survivors are drawn at random, so
        # later tasks bringing the same classes still get their share.
        quota = dict.fromkeys(classes.tolist(), 0)
        remaining = self.capacity
        order = np.argsort(sizes, kind="stable")
        for rank, i in enumerate(order):
            share = remaining // (len(order) - rank)
            quota[classes[i].item()] = min(int(sizes[i]), share)
            remaining -= quota[classes[i].item()]
        for i in order[::-1]:  # hand out the rounding leftovers, largest classes first
            if remaining and quota[classes[i].item()] < sizes[i]:
                quota[classes[i].item()] += 1
                remaining -= 1
        keep = np.zeros(count, bool)
        for label, size in quota.items():
            members = np.flatnonzero(labels == label)
            keep[self._rng.choice(members, size, replace=False)] = True
        return {k: v[keep] for k, v in arrays.items()}

    def _reservoir(self, old, new):
        stored = {k: list(v) for k, v in old.items()} if old else {k: [] for k in new}
        seen = self.num_seen
        for i in range(len(new["inputs"])):
            seen += 1
            if self.capacity is None or len(stored["inputs"]) < self.capacity:
                for k in new:
                    stored[k].append(new[k][i])
                continue
            slot = self._rng.integers(0, seen)
            if slot < self.capacity:
                for k in new:
                    stored[k][slot] = new[k][i]
        return {k: np.stack(v) for k, v in stored.items()}

    def set_outputs(self, outputs):
        """Replaces the anchor outputs of every stored sample (a new anchor)."""
        outputs = np.asarray(outputs, np.float32)
        if outputs.shape != (len(self), self.output_dim):
            raise ValueError(
                f"Expected anchor outputs of shape {(len(self), self.output_dim)}, "
                f"got {outputs.shape}."
            )
        if not np.all(np.isfinite(outputs)):
            raise ValueError("The anchor outputs contain NaN or infinity; nothing was stored.")
        self.version += 1
        if backend.is_tensorflow():
            self._variables["outputs"].assign(outputs)
        else:
            self._variables["outputs"] = outputs

    def clear(self):
        """Forgets everything (the buffers keep their shapes, emptied)."""
        if self.built:
            self._assign({k: v[:0] for k, v in self.numpy().items()})
        self.num_seen = 0

    # ------------------------------------------------------------- reading
    def sample(self, batch_size, seed):
        """Draws a batch inside a compiled step: `(inputs, outputs, labels)`.

        With `sampling="uniform"` (the default) the step costs what the batch
        costs, whatever the memory holds: `batch_size` indices drawn uniformly
        with replacement by a counter-based hash of the seed's state (the same
        draws on TensorFlow and JAX, and after a resume), the whole memory when
        it holds no more. `"permutation"` is the sampler before issue 26: a
        shuffle of the whole memory's index on every step (draws without
        replacement, at a cost that grows with the memory), kept to reproduce
        earlier figures exactly.

        Args:
            batch_size: samples drawn.
            seed: a `keras.random.SeedGenerator` (stateful; works under XLA).
                Each draw advances it by one, with either sampler.
        """
        variables = self._variables
        size = ops.shape(variables["inputs"])[0]
        if self.sampling == "permutation":
            index = keras.random.shuffle(ops.arange(size), seed=seed)[:batch_size]
        else:
            index = uniform_indices(size, batch_size, seed.next())
        return tuple(ops.take(ops.convert_to_tensor(variables[key]), index, axis=0)
                     for key in ("inputs", "outputs", "labels"))

    # --------------------------------------------------------- serialising
    def get_config(self):
        return {"capacity": self.capacity, "policy": self.policy, "seed": self.seed,
                "sampling": self.sampling}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save_to(self, store, prefix="memory"):
        """Writes the buffers into a Keras weights store (a dict-like)."""
        for key, value in self.numpy().items():
            store[f"{prefix}_{key}"] = value
        store[f"{prefix}_num_seen"] = np.asarray(self.num_seen)

    def load_from(self, store, prefix="memory"):
        keys = [f"{prefix}_{k}" for k in ("inputs", "outputs", "labels", "tasks")]
        if keys[0] not in store:
            return
        arrays = {k.split("_", 1)[1]: np.asarray(store[k]) for k in keys}
        self._assign(arrays)
        self.num_seen = int(np.asarray(store[f"{prefix}_num_seen"]))

    def __repr__(self):
        return (
            f"AnchorMemory(size={len(self)}, capacity={self.capacity}, "
            f"policy={self.policy!r}, sampling={self.sampling!r})"
        )
