"""Continual-learning methods, all on the FIP engine and one runner.

Every method wraps the same network in a `FIPModel` and is made of plugins whose
hooks run around each task (`StoreSamples`, the memory policy; `RefreshAnchors`;
`Consolidate`), so methods combine without inheriting from each other:

- `fip`: keeps the network's outputs on remembered samples of earlier tasks
  (the anchor) while learning the new task: the paper's method.
- `finetune`: trains on each task in turn; nothing protects earlier tasks.
- `replay`: experience replay with the same memory: cross-entropy on remembered
  samples and their labels.
- `ewc`: elastic weight consolidation (Kirkpatrick et al. 2017), online form:
  a quadratic pull towards the previous weights, weighted by the diagonal Fisher
  information accumulated over tasks.
- `joint`: trains on all tasks seen so far together: the upper bound.
"""

import numpy as np
import tensorflow as tf
import keras

from keras_fip.engine.model import FIPModel
from keras_fip.engine.objectives import Objective


class Plugin:
    """A piece of a method, with hooks the runner calls around each task.

    Methods are made of plugins, so that they combine without inheriting from
    each other (what to store, when to re-anchor, what to consolidate).
    """

    def before_task(self, model, stream, index, config):
        """Called before task `index` is learned."""

    def after_task(self, model, stream, index, config):
        """Called once task `index` is learned."""

    def get_config(self):
        return {}


class StoreSamples(Plugin):
    """The memory policy: after each task, `memory_per_class` samples of each of
    its classes join the memory, with the outputs the network gives them then."""

    def after_task(self, model, stream, index, config):
        task = stream[index]
        model.remember(
            task.x_train, task.y_train, samples_per_class=config.memory_per_class,
            task=index, seed=config.seed,
        )


class RefreshAnchors(Plugin):
    """Starts each task's path at the current network: before the task, the anchor
    outputs of everything in memory are re-snapshotted (as in the paper)."""

    def before_task(self, model, stream, index, config):
        model.refresh_anchors()


class Method:
    """A continual-learning method: how to wrap the network, plus its plugins.

    Args:
        plugins: the `Plugin`s whose hooks run around each task, in order.
    """

    name = "method"

    def __init__(self, plugins=()):
        self.plugins = list(plugins)

    def wrap(self, network, config):
        return FIPModel.from_model(
            network, memory_batch_size=config.memory_batch_size, seed=config.seed
        )

    def training_data(self, stream, index):
        task = stream[index]
        return task.x_train, task.y_train

    def before_task(self, model, stream, index, config):
        """Called before a task is learned: runs the plugins' hooks."""
        for plugin in self.plugins:
            plugin.before_task(model, stream, index, config)

    def after_task(self, model, stream, index, config):
        """Called once a task is learned: runs the plugins' hooks."""
        for plugin in self.plugins:
            plugin.after_task(model, stream, index, config)

    def get_config(self):
        return {}


class FineTune(Method):
    name = "finetune"


class FIP(Method):
    """Functionally invariant paths: the distance to the anchor on remembered samples.

    Each new task starts a new path at the current network (`RefreshAnchors`),
    and after it, samples of the task just learned join the memory
    (`StoreSamples`).

    Args:
        fip_weight: lambda, the weight of the distance term.
        distance: output distance (name, `Distance` or function).
        refresh_anchors: re-snapshot the anchor outputs at the start of each
            task (default). When False, each sample keeps the outputs it had
            when it was stored.
    """

    name = "fip"

    def __init__(self, fip_weight=10.0, distance="bhattacharyya", refresh_anchors=True):
        plugins = [RefreshAnchors()] if refresh_anchors else []
        super().__init__(plugins + [StoreSamples()])
        self.fip_weight = fip_weight
        self.distance = distance
        self.refresh_anchors = refresh_anchors

    def wrap(self, network, config):
        return FIPModel.from_model(
            network, distance=self.distance, fip_weight=self.fip_weight,
            memory_batch_size=config.memory_batch_size, seed=config.seed,
        )

    def get_config(self):
        distance = self.distance if isinstance(self.distance, str) else repr(self.distance)
        return {"fip_weight": self.fip_weight, "distance": distance,
                "refresh_anchors": self.refresh_anchors}


@keras.saving.register_keras_serializable("keras_fip")
class ReplayModel(FIPModel):
    """A `FIPModel` whose memory term is cross-entropy on the stored labels."""

    def __init__(self, *args, replay_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.replay_weight = float(replay_weight)

    def memory_loss(self, anchor_outputs, labels, outputs):
        loss = keras.losses.sparse_categorical_crossentropy(
            labels, outputs, from_logits=self.from_logits
        )
        return self.replay_weight * tf.reduce_mean(loss)

    def get_config(self):
        return {**super().get_config(), "replay_weight": self.replay_weight}


class Replay(Method):
    """Experience replay from the same memory as `fip` (same samples, same batch)."""

    name = "replay"

    def __init__(self, replay_weight=1.0):
        super().__init__([StoreSamples()])
        self.replay_weight = replay_weight

    def wrap(self, network, config):
        return ReplayModel(
            network, replay_weight=self.replay_weight,
            memory_batch_size=config.memory_batch_size, seed=config.seed,
        )

    def get_config(self):
        return {"replay_weight": self.replay_weight}


@keras.saving.register_keras_serializable("keras_fip")
class EWCPenalty(Objective):
    """`weight / 2 * sum_i F_i (w_i - w*_i)^2` over the trainable weights.

    The accumulated Fisher and the anchor weights are the layer's weights, saved
    with the model (`.keras`); zero until the first `consolidate`.
    """

    def __init__(self, weight=1.0, name="ewc", **kwargs):
        super().__init__(weight, name=name, **kwargs)
        self.fisher = None
        self.anchor = None

    def bind(self, model):
        if self.fisher is not None:
            return
        shapes = [tuple(v.shape) for v in model.trainable_weights]
        self.fisher = [self.add_weight(shape=s, initializer="zeros", trainable=False,
                                       name=f"fisher_{i}") for i, s in enumerate(shapes)]
        self.anchor = [self.add_weight(shape=s, initializer="zeros", trainable=False,
                                       name=f"anchor_{i}") for i, s in enumerate(shapes)]

    def consolidate(self, model, fisher):
        """Adds `fisher` to the accumulated Fisher and anchors at the current weights."""
        self.bind(model)
        for total, new in zip(self.fisher, fisher):
            total.assign(total + new)
        for anchor, v in zip(self.anchor, model.trainable_weights):
            anchor.assign(v)

    def call(self, model):
        terms = [
            tf.reduce_sum(f * tf.square(v - a))
            for f, v, a in zip(self.fisher, model.trainable_weights, self.anchor)
        ]
        return 0.5 * tf.add_n(terms)


def diagonal_fisher(model, x, y, num_samples=256, batch_size=32, seed=0):
    """Empirical diagonal Fisher: mean squared per-sample gradient of the log-likelihood."""
    rng = np.random.default_rng(seed)
    index = rng.permutation(len(x))[:num_samples]
    weights = model.trainable_weights

    @tf.function
    def squared_gradients(xb, yb):
        with tf.GradientTape() as tape:
            outputs = model(xb, training=False)
            losses = keras.losses.sparse_categorical_crossentropy(
                yb, outputs, from_logits=model.from_logits
            )
        jacobians = tape.jacobian(losses, weights)
        return [tf.reduce_sum(tf.square(j), axis=0) for j in jacobians]

    totals = [np.zeros(w.shape, np.float32) for w in weights]
    for start in range(0, len(index), batch_size):
        chunk = index[start:start + batch_size]
        for total, part in zip(totals, squared_gradients(x[chunk], y[chunk])):
            total += part.numpy()
    return [t / len(index) for t in totals]


class Consolidate(Plugin):
    """EWC's consolidation: after each task, the diagonal Fisher of that task is
    added to an `EWCPenalty`, anchored at the weights reached."""

    def __init__(self, ewc_weight, fisher_samples):
        self.ewc_weight = ewc_weight
        self.fisher_samples = fisher_samples

    def after_task(self, model, stream, index, config):
        task = stream[index]
        fisher = diagonal_fisher(
            model, task.x_train, task.y_train, self.fisher_samples, seed=config.seed
        )
        penalty = next((o for o in model.objectives if isinstance(o, EWCPenalty)), None)
        if penalty is None:
            penalty = EWCPenalty(self.ewc_weight)
            penalty.consolidate(model, fisher)
            model.add_objective(penalty)
        else:
            penalty.consolidate(model, fisher)


class EWC(Method):
    """Elastic weight consolidation (online).

    Args:
        ewc_weight: lambda of the quadratic penalty.
        fisher_samples: samples of each task used to estimate the Fisher.
    """

    name = "ewc"

    def __init__(self, ewc_weight=1000.0, fisher_samples=256):
        super().__init__([Consolidate(ewc_weight, fisher_samples)])
        self.ewc_weight = ewc_weight
        self.fisher_samples = fisher_samples

    def get_config(self):
        return {"ewc_weight": self.ewc_weight, "fisher_samples": self.fisher_samples}


class Joint(Method):
    """Trains on the union of all tasks seen so far (the upper bound)."""

    name = "joint"

    def training_data(self, stream, index):
        tasks = stream.tasks[:index + 1]
        return (
            np.concatenate([t.x_train for t in tasks]),
            np.concatenate([t.y_train for t in tasks]),
        )


METHODS = {m.name: m for m in (FIP, FineTune, Replay, EWC, Joint)}


def get(name, **kwargs):
    """A method by name: `fip`, `finetune`, `replay`, `ewc` or `joint`."""
    if isinstance(name, Method):
        return name
    if name not in METHODS:
        raise ValueError(f"Unknown method {name!r}; choose from {sorted(METHODS)}.")
    return METHODS[name](**kwargs)
