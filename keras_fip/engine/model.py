"""`FIPModel`: a Keras model that trains along functionally invariant paths.

Each training step minimises

    task loss  +  fip_weight * D(anchor outputs, current outputs on memory inputs)
               +  sum of secondary objectives

where the task loss is what `compile` was given, D is an output distance measured
on a batch drawn from the anchor memory (inputs the network must keep answering as
it did when they were remembered), and the objectives are extra terms such as a
pull towards sparsity. The update rule is the compiled optimizer: any Keras
optimizer (the paper's continual-learning practice) or `PathStep` (fixed-length
steps, the paper's path sampler). With an empty memory and no objectives a step is
exactly `keras.Model.train_step`.
"""


import numpy as np
import keras
from keras import ops

from keras_fip import checks
from keras_fip.deprecation import renamed_argument
from keras_fip.checks import class_ids as as_labels, finite as check_finite
from keras_fip.engine import backend
from keras_fip.engine import distances as distances_lib
from keras_fip.engine.memory import AnchorMemory
from keras_fip.engine.networks import (
    OutputKindError, input_signature_of, output_width, outputs_are_logits, trains_as_it_infers,
)


def _renamed_memory_per_class(memory_per_class, renamed):
    """`memory_per_class`, or the value given under its old name `samples_per_class`."""
    given = dict(renamed)
    if memory_per_class is not None:
        given["memory_per_class"] = memory_per_class
    given = renamed_argument(given, "samples_per_class", "memory_per_class", "remember")
    unknown = sorted(set(given) - {"memory_per_class"})
    if unknown:
        raise TypeError(f"remember() got an unexpected keyword argument {unknown[0]!r}")
    return given.get("memory_per_class")


def _scaled(value):
    # Keras divides the compiled loss by the number of replicas, because gradients
    # are summed across them (and multiplies the logged loss back); the extra
    # terms must be divided the same way.
    replicas = backend.num_replicas()
    return value / replicas if replicas > 1 else value


def _as_float32(outputs):
    """Half-precision outputs (a mixed-precision policy) as float32; others as they are."""
    if keras.backend.standardize_dtype(outputs.dtype) in ("float16", "bfloat16"):
        return ops.cast(outputs, "float32")
    return outputs


def _nan_unless_finite(x, loss):
    """`loss`, or NaN when the batch holds a non-finite input.

    On some CPUs' kernels a NaN input through Dense+ReLU comes out as 0: the loss
    stays finite while the weights turn to NaN. Checking the inputs makes the
    loss say so on every CPU, so `NaNGuard` and `TerminateOnNaN` stop the run.
    """
    checks = [
        ops.all(ops.isfinite(value))
        for value in keras.tree.flatten(x)
        if value is not None and keras.backend.is_float_dtype(value.dtype)
    ]
    if not checks:
        return loss
    finite = ops.all(ops.stack(checks))
    return ops.where(finite, loss, ops.cast(float("nan"), loss.dtype))


@keras.saving.register_keras_serializable("keras_fip")
class FIPModel(keras.Model):
    """A Keras model trained along functionally invariant paths.

    Construct it like a Keras model, or wrap one you have:

        FIPModel(inputs, outputs)            # functional
        FIPModel([layer, layer, ...])        # sequential
        FIPModel.from_model(trained_model)   # wrap an existing network

    Args:
        network: a `keras.Model`, a list of layers (made `keras.Sequential`), or
            the functional `inputs` (then `outputs` is the second argument).
        outputs: functional outputs, when `network` holds the inputs.
        distance: output distance: `"bhattacharyya"` (default, the paper's),
            `"l2"`, `"kl"`, a `Distance` or a function.
        fip_weight: lambda, the weight of the distance term.
        memory_batch_size: memory samples drawn for the distance at each step.
        memory: an `AnchorMemory` (default: balanced, no size limit).
        objectives: secondary objectives, each `objective(model) -> scalar`.
        from_logits: whether the network outputs logits; when None, found by
            running the network on a probe batch (rows of non-negative values
            summing to 1 are probabilities, however the softmax was applied).
            Required for a network that cannot be run before `remember`.
        seed: seed of memory sampling.
        single_pass: how a training step runs the network on its memory batch.
            True: in the same forward pass as the task batch (one pass over
            both, split afterwards); False: in a pass of its own, in inference
            mode. None (default) chooses one pass exactly when the network
            trains as it infers (`engine.networks.trains_as_it_infers`: no
            BatchNormalization still learning its statistics, no dropout or
            noise, no augmentation, no activity regulariser), where both give
            the same outputs; `single_pass_active` says which ran.
        check_inputs: whether a training batch holding a non-finite input makes
            the loss NaN (see `fit`); False skips the check.

    Raises:
        ValueError: a negative or non-finite `fip_weight`, a `memory_batch_size`
            below 1, an unknown distance, a network with several outputs or a
            single output unit; `remember` and `fit` refuse empty inputs,
            labels that do not match them and inputs holding NaN or inf.
        TypeError: `from_model` given something that is not a `keras.Model`, or an
            objective that is not callable.

    Example:
        >>> model = FIPModel.from_model(network)
        >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> model.fit(x_a, y_a, epochs=5)
        >>> model.remember(x_a, y_a, memory_per_class=20)
        >>> model.fit(x_b, y_b, epochs=5)   # learns B, keeps its answers on A
    """

    def __init__(
        self,
        network=None,
        outputs=None,
        *,
        distance="bhattacharyya",
        fip_weight=10.0,
        memory_batch_size=64,
        memory=None,
        objectives=None,
        from_logits=None,
        seed=None,
        single_pass=None,
        check_inputs=True,
        name="fip_model",
        **kwargs,
    ):
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", outputs)
        super().__init__(name=name, **kwargs)
        self.network = self._as_network(network if inputs is None else inputs, outputs)
        # Named in the message, whatever the type ("30", "abc", nan).
        fip_weight = checks.number(fip_weight, "fip_weight", minimum=0)
        memory_batch_size = checks.count(memory_batch_size, "memory_batch_size")
        # Logits or probabilities is decided by what the network outputs (a probe
        # batch), now when it is built, else at `remember` on its data.
        self._from_logits_given = None if from_logits is None else bool(from_logits)
        self._from_logits = self._from_logits_given
        self._output_kind_checked = False
        self._distance_by_us = not isinstance(distance, (distances_lib.Distance, dict))
        self.distance = distances_lib.get(
            distance, from_logits=True if from_logits is None else bool(from_logits))
        if self.network.built and getattr(self.network, "outputs", None):
            if len(self.network.outputs) > 1:
                raise ValueError(
                    "FIPModel compares one output distribution per sample; this network "
                    f"has {len(self.network.outputs)} output tensors. Wrap a model with "
                    "a single classification output."
                )
            width = self.network.outputs[0].shape[-1]
            if width is not None and width < 2:
                raise ValueError(
                    "FIPModel compares output distributions and needs at least two "
                    f"outputs per sample; this network has {width}. Use a 2-unit "
                    "softmax (or logits) head for binary tasks."
                )
        self.fip_weight = float(fip_weight)
        self.memory_batch_size = int(memory_batch_size)
        self.memory = memory if memory is not None else AnchorMemory()
        self._objectives = list(objectives or [])
        self.seed = seed
        self.single_pass = None if single_pass is None else bool(single_pass)
        self.check_inputs = bool(check_inputs)
        #: Whether the last traced training step ran task and memory samples in
        #: one pass (None before the first step with a memory).
        self.single_pass_active = None
        self._memory_pass = None  # the memory batch's outputs, from the step's pass
        self._in_train_step = False
        # Memory batches for training and for evaluation come from two streams,
        # so that evaluating never changes what training draws. Their states are
        # saved with the model (see `save_own_variables`): a resumed run draws
        # what an uninterrupted one would.
        self._memory_seed = keras.random.SeedGenerator(seed)
        self._evaluation_seed = keras.random.SeedGenerator(None if seed is None else seed + 1)
        self.fip_distance_tracker = keras.metrics.Mean(name="fip_distance")
        if self.network.built:
            self.built = True
            try:
                self._check_output_kind()
            except OutputKindError:
                pass  # no probe input yet (several inputs, unknown sizes): remember() decides

    @property
    def from_logits(self):
        """Whether the network outputs logits: as given, else found on a probe batch."""
        if self._from_logits is None:
            self._check_output_kind()
        return self._from_logits

    def _check_output_kind(self, x=None):
        """Probes the network (on `x` when given) for logits or probabilities, once.

        Without an explicit `from_logits`, the outputs decide; with one, a
        warning says when they disagree. A network that cannot be probed yet
        (not built) with no `from_logits` is an `OutputKindError`.
        """
        if self._output_kind_checked:
            return
        value = outputs_are_logits(self.network, x, from_logits=self._from_logits_given,
                                   name=f"the network {self.network.name!r}")
        self._from_logits = value
        self._output_kind_checked = x is not None or self.network.built
        if self._distance_by_us:
            self.distance.from_logits = value

    @staticmethod
    def _as_network(network, outputs):
        if outputs is not None:
            return keras.Model(network, outputs)
        if isinstance(network, keras.Model):
            return network
        if isinstance(network, (list, tuple)):
            return keras.Sequential(list(network))
        if isinstance(network, keras.layers.Layer):
            return keras.Sequential([network])
        raise TypeError(
            "FIPModel needs a keras.Model, a list of layers, or functional inputs "
            f"and outputs; got {type(network).__name__}."
        )

    @classmethod
    def from_model(cls, model, **kwargs):
        """Wraps an existing (possibly trained) Keras model; weights are shared."""
        if isinstance(model, FIPModel):
            model = model.network
        if not isinstance(model, keras.Model):
            raise TypeError(f"from_model needs a keras.Model, got {type(model).__name__}.")
        return cls(model, **kwargs)

    def call(self, inputs, training=None):
        if self._in_train_step and self._one_pass_fits(inputs):
            return self._task_and_memory_pass(inputs, training)
        return self.network(inputs, training=training)

    def train_step(self, *args, **kwargs):
        # Keras' own step (every backend's), told that its forward pass may
        # carry the memory batch too; read while tracing, so it costs nothing.
        self._in_train_step = True
        try:
            return super().train_step(*args, **kwargs)
        finally:
            self._in_train_step = False
            self._memory_pass = None

    def _one_pass_fits(self, inputs):
        """Whether this step's forward pass carries the memory batch (see `single_pass`)."""
        if not self._memory_in_use():
            return False
        wanted = self.single_pass
        if wanted is None:  # decided at each trace: layers may have been frozen since
            wanted = trains_as_it_infers(self.network)
        fits = (
            wanted
            and not isinstance(inputs, (dict, list, tuple))
            and keras.backend.is_float_dtype(inputs.dtype)
            and tuple(inputs.shape[1:]) == self.memory.input_shape
        )
        self.single_pass_active = bool(fits)
        return fits

    def _task_and_memory_pass(self, inputs, training):
        """The network on the task batch and the memory batch at once; the task's outputs.

        The memory's anchor outputs, labels and outputs are kept for `compute_loss`.
        Once a step: later calls in the same step (DER++'s second memory batch)
        are the network alone.
        """
        self._in_train_step = False
        memory_x, anchor_outputs, memory_y = self.memory_batch()
        count = ops.shape(inputs)[0]
        both = self.network(ops.concatenate([inputs, ops.cast(memory_x, inputs.dtype)], axis=0),
                            training=training)
        self._memory_pass = (anchor_outputs, memory_y, _as_float32(both[count:]))
        return both[:count]

    def build(self, input_shape):
        if not self.network.built:
            self.network.build(input_shape)
        self.built = True

    # ---------------------------------------------------------- objectives
    @property
    def objectives(self):
        return tuple(self._objectives)

    def add_objective(self, objective):
        """Adds a secondary objective; the next `fit` traces a new step."""
        if not callable(objective):
            raise TypeError(f"An objective must be callable, got {objective!r}.")
        self._objectives.append(objective)
        self._reset_compiled_step()

    def clear_objectives(self):
        self._objectives.clear()
        self._reset_compiled_step()

    def _reset_compiled_step(self):
        # What the step computes is fixed when it is traced; retrace on change.
        self.train_function = None

    def _memory_in_use(self):
        return self.memory.built and len(self.memory) > 0

    def _bind_objectives(self):
        # Objectives with state (thresholds, reference weights) create it here,
        # outside the traced step, once the network's variables exist.
        for objective in self._objectives:
            if hasattr(objective, "bind"):  # a plain function keeps no state
                objective.bind(self)

    def make_train_function(self, force=False):
        self._bind_objectives()
        return super().make_train_function(force=self._memory_changed("train", force))

    def make_test_function(self, force=False):
        return super().make_test_function(force=self._memory_changed("test", force))

    def _memory_changed(self, kind, force):
        # Whether a step reads the memory is decided when it is traced: trace
        # again when the memory went from empty to filled or back. On TensorFlow
        # the step reads the memory's variables; on other backends it holds the
        # memory's arrays as constants, so any change to them retraces.
        in_use = self._memory_in_use()
        token = in_use if backend.is_tensorflow() else (in_use, self.memory.version)
        traced = getattr(self, "_traced_with_memory", {})
        changed = traced.get(kind) != token
        self._traced_with_memory = {**traced, kind: token}
        return force or changed

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`; arrays holding NaN or infinity are refused first.

        Data that arrives any other way (a `tf.data.Dataset`, a generator) is
        checked in the step: a batch with a non-finite input makes the loss NaN,
        which `NaNGuard` and `keras.callbacks.TerminateOnNaN` see on every CPU.
        """
        if isinstance(x, np.ndarray) or ops.is_tensor(x):
            check_finite(np.asarray(x), "fit(): x")
            self._check_fit_labels(x, y)
        return super().fit(x, y, *args, **kwargs)

    def _check_fit_labels(self, x, y):
        """Class-id labels (1-D, whole numbers) must be in [0, the network's outputs)."""
        if y is None or not (isinstance(y, np.ndarray) or ops.is_tensor(y)):
            return
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or y.size == 0 or not np.issubdtype(y.dtype, np.number):
            return  # one-hot targets, or not class ids: the loss decides
        if np.issubdtype(y.dtype, np.floating) and not np.all(y == np.round(y)):
            return
        classes = output_width(self.network, np.asarray(x) if self.network.built else None)
        if classes is None:
            return
        if y.min() < 0 or y.max() >= classes:
            found = y.min() if y.min() < 0 else y.max()
            raise ValueError(
                f"fit(): labels must be in [0, {classes}) for this network's {classes} "
                f"outputs; got a label {found:g}."
            )

    # -------------------------------------------------------------- memory
    def remember(
        self, x, y=None, *, memory_per_class=None, num_samples=None, task=None,
        batch_size=256, seed=None, **renamed,
    ):
        """Snapshots the current network's outputs on `x` into the anchor memory.

        From now on, training keeps the network's outputs on these inputs close
        to the outputs it gives them now. Calls accumulate (task after task).

        Args:
            x: protected inputs, shaped like the model's inputs.
            y: their integer labels (needed for `memory_per_class`, used by the
                balanced memory and by replay).
            memory_per_class: keep this many random samples of each class of `y`
                (`samples_per_class` before issue 23: still accepted for one
                release, with a warning).
            num_samples: keep this many random samples of `x` (when no labels).
            task: task id stored with the samples (default: one more than the
                last remembered task).
            batch_size: batch size for computing the anchor outputs.
            seed: seed of the choice of samples.

        Returns:
            The indices into `x` of the samples stored.
        """
        memory_per_class = _renamed_memory_per_class(memory_per_class, renamed)
        if not self.network.built:
            raise ValueError(
                "remember() needs a built model: give it an Input, call it on data, "
                "or fit it first, so that its outputs on the inputs can be computed."
            )
        network_inputs = getattr(self.network, "inputs", None) or []
        if backend.is_dataset(x) or not hasattr(x, "__len__"):
            raise TypeError(
                "remember() takes arrays x (and labels y), not a "
                f"{type(x).__name__}; collect the samples to protect into arrays first."
            )
        if len(network_inputs) > 1 or isinstance(x, (dict, list, tuple)):
            raise ValueError(
                "remember() supports models with a single input tensor; this one "
                f"takes {max(len(network_inputs), 2)} inputs."
            )
        x = check_finite(np.asarray(x, np.float32), "remember(): x")
        if len(x) == 0:
            raise ValueError("remember() got no inputs.")
        if network_inputs:
            expected = tuple(network_inputs[0].shape[1:])
            fits = len(expected) == x.ndim - 1 and all(
                e is None or e == d for e, d in zip(expected, x.shape[1:])
            )
            if not fits:
                raise ValueError(
                    f"remember() got inputs of shape {x.shape[1:]}, but the model "
                    f"takes inputs of shape {expected}."
                )
        if memory_per_class is not None and num_samples is not None:
            raise ValueError("remember(): give memory_per_class or num_samples, not both "
                             "(one of them would be ignored).")
        for name, value in (("memory_per_class", memory_per_class), ("num_samples", num_samples)):
            if value is not None:
                checks.count(value, f"remember(): {name}")
        if y is not None:
            y = as_labels(y, "remember(): y")
            if len(y) != len(x):
                raise ValueError(f"remember() got {len(x)} inputs but {len(y)} labels.")
            classes = output_width(self.network, x)  # a probe call for a subclassed model
            if classes is not None and y.max() >= classes:
                raise ValueError(
                    f"remember(): labels must be in [0, {classes}) for this network's "
                    f"{classes} outputs; got labels up to {y.max()}."
                )
        self._check_output_kind(x)
        rng = np.random.default_rng(self.seed if seed is None else seed)
        index = np.arange(len(x))
        if memory_per_class is not None:
            if y is None:
                raise ValueError("memory_per_class needs labels y.")
            index = np.concatenate([
                rng.permutation(np.flatnonzero(y == c))[:memory_per_class]
                for c in np.unique(y)
            ])
        elif num_samples is not None:
            index = rng.permutation(len(x))[:num_samples]
        index = np.sort(index)
        outputs = self._anchor_outputs(x[index], batch_size)
        if task is None:
            stored = self.memory.numpy().get("tasks", np.zeros(0))
            task = int(stored.max()) + 1 if len(stored) else 0
        self.memory.add(x[index], outputs, None if y is None else y[index], task=task)
        return index

    def refresh_anchors(self, batch_size=256):
        """Re-snapshots the anchor outputs of every stored input with the current network.

        Use it to start a new path from where the network is now.
        """
        if not len(self.memory):
            return
        inputs = self.memory.numpy()["inputs"]
        self.memory.set_outputs(self._anchor_outputs(inputs, batch_size))

    def _anchor_outputs(self, x, batch_size):
        """The network's outputs on `x` in inference mode, as NumPy, on every worker.

        Keras' `predict` cannot gather outputs spread across processes (JAX's
        distribution API on more than one machine); there every worker computes
        all of them itself, with the replicated weights.
        """
        if backend.process_count() == 1:
            return self.network.predict(x, batch_size=batch_size, verbose=0)
        return np.concatenate([
            ops.convert_to_numpy(self.network(x[start:start + batch_size], training=False))
            for start in range(0, len(x), batch_size)
        ])

    # ---------------------------------------------------------------- step
    def memory_loss(self, anchor_outputs, labels, outputs):
        """The term measured on memory samples: the weighted output distance.

        Subclasses change what is kept on the memory (replay uses the labels).
        """
        distance = ops.mean(self.distance(anchor_outputs, outputs))
        self.fip_distance_tracker.update_state(distance)
        return self.fip_weight * distance

    def memory_batch(self):
        """Draws `(inputs, anchor outputs, labels)` from the memory, inside the step.

        From the training stream of random draws, saved with the model: memory
        terms that need a second batch (DER++) take it here.
        """
        return self.memory.sample(self.memory_batch_size, self._memory_seed)

    def _distance_on_memory(self, seed):
        memory_x, anchor_outputs, memory_y = self.memory.sample(self.memory_batch_size, seed)
        # Inference mode, like the cached anchor outputs (`predict`): the
        # distance measures the function the user gets, not dropout noise or
        # batch statistics mixed with the task batch. Float32 under mixed
        # precision, as the anchors are stored: every memory term compares the
        # two, and small distances vanish in float16.
        return anchor_outputs, memory_y, _as_float32(self(memory_x, training=False))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss, plus the memory term and the objectives when training.

        Keras' own `train_step` and `test_step` call this inside their gradient
        tape and handle the loss tracker and the replica scaling. In training the
        loss is the compiled task loss + `fip_weight * D` on a memory batch + the
        objectives. In evaluation (`evaluate`, validation) it is the compiled
        loss alone, and the distance on the memory is reported as `fip_distance`,
        drawn from its own random stream so that evaluating never changes what
        training draws. A batch holding a non-finite input gives a NaN loss.
        """
        loss = super().compute_loss(
            x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training
        )
        # `super()` has read the forward pass's own losses (regularisers); the
        # memory's forward pass below starts a new call, which resets them.
        if self._memory_in_use():
            if training and self._memory_pass is not None:
                anchor_outputs, memory_y, memory_pred = self._memory_pass
                self._memory_pass = None
            else:
                seed = self._memory_seed if training else self._evaluation_seed
                anchor_outputs, memory_y, memory_pred = self._distance_on_memory(seed)
            if training:
                loss = loss + _scaled(self.memory_loss(anchor_outputs, memory_y, memory_pred))
            else:
                self.fip_distance_tracker.update_state(
                    ops.mean(self.distance(anchor_outputs, memory_pred))
                )
        if training:
            for objective in self._objectives:
                loss = loss + _scaled(objective(self))
        return _nan_unless_finite(x, loss) if self.check_inputs else loss

    # ---------------------------------------------------------- saving
    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Exports the network for inference (SavedModel and the other Keras formats).

        The memory is training state and is not exported. The input signature is
        taken from the wrapped network when it has one.
        """
        if input_signature is None:
            input_signature = input_signature_of(self.network)
        return super().export(
            filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs
        )

    def get_config(self):
        return {
            "name": self.name,
            "network": keras.saving.serialize_keras_object(self.network),
            "distance": distances_lib.serialize(self.distance),
            "fip_weight": self.fip_weight,
            "memory_batch_size": self.memory_batch_size,
            "memory": keras.saving.serialize_keras_object(self.memory),
            "objectives": [keras.saving.serialize_keras_object(o) for o in self._objectives],
            "from_logits": self._from_logits,
            "seed": self.seed,
            "single_pass": self.single_pass,
            "check_inputs": self.check_inputs,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["network"] = keras.saving.deserialize_keras_object(config["network"])
        config["distance"] = keras.saving.deserialize_keras_object(config["distance"])
        config["memory"] = keras.saving.deserialize_keras_object(config["memory"])
        config["objectives"] = [
            keras.saving.deserialize_keras_object(o) for o in config.get("objectives", [])
        ]
        return cls(**config)

    # The memory's arrays (their size changes as it fills) and the random
    # streams' states are saved beside the model's own variables, under their
    # own keys; the objectives are layers, saved by Keras itself.
    def save_own_variables(self, store):
        super().save_own_variables(store)
        # Keras does not save a SeedGenerator held outside a layer's variables.
        store["seed_memory"] = self._memory_seed.state.numpy()
        store["seed_evaluation"] = self._evaluation_seed.state.numpy()
        self.memory.save_to(store, prefix="memory")

    def load_own_variables(self, store):
        extra = ("memory_", "seed_")
        own = {k: store[k] for k in store.keys() if not k.startswith(extra)}
        super().load_own_variables(own)
        for key, generator in (("seed_memory", self._memory_seed),
                               ("seed_evaluation", self._evaluation_seed)):
            if key in store:  # files saved before the states were
                generator.state.assign(np.asarray(store[key]))
        self.memory.load_from(store, prefix="memory")
        # The objectives' state must exist before Keras loads it into them,
        # which it does right after this.
        self._bind_objectives()
        # No retrace forced here: `BackupAndRestore` loads in the middle of
        # `fit`, after the step was built. The variables keep their identity,
        # and a memory that went from empty to filled retraces by itself.
