"""Continual-learning methods, all on the FIP engine and one runner.

Every method wraps the same network in a `FIPModel` and is made of plugins whose
hooks run around each task (`StoreSamples`, the memory policy; `RefreshAnchors`;
`Consolidate`), so methods combine without inheriting from each other:

Methods are named by family, that is by what they protect:

- FIP family (`fip*`, anchor "path_start"): keeps the outputs the network had
  at the start of the current path (re-anchored when each task starts) on
  remembered samples of earlier tasks, under an output distance. `fip` is the
  paper's method (Bhattacharyya distance); `fip_l2`, `fip_views`,
  `fip_views_labels` are the re-anchored twins of the DER-family variants below.
- DER family (`der*`, anchor "stored"): keeps the outputs each sample had when
  it entered the memory. `der`, `derpp`, `derpp_views` (Buzzega et al. 2020);
  `der_l2`, `der_views`, `der_views_labels` (the same output distance as the
  FIP variants; named fip_l2, fip_views, fip_views_labels before keras-fip 0.2).
- `finetune`: trains on each task in turn; nothing protects earlier tasks.
- `replay`, `er_ace`: experience replay with the same memory: cross-entropy on
  remembered samples and their labels.
- `ewc`: elastic weight consolidation (Kirkpatrick et al. 2017), online form:
  a quadratic pull towards the previous weights, weighted by the diagonal Fisher
  information accumulated over tasks.
- `joint`: trains on all tasks seen so far together: the upper bound.

Each method's default settings are the ones with the best validation accuracy
averaged over the tuned benchmark runs (digits and MNIST, 20 and 50 stored per
class, 3 seeds; `benchmarks/continual_defaults.py`), never the test split; the
re-anchored twins `fip_l2`, `fip_views`, `fip_views_labels` copy their DER twin's
defaults and grids, untuned for themselves.
"""

import warnings

import numpy as np
import keras
from keras import ops

from keras_fip.continual.losses import MaskedSparseCategoricalCrossentropy
from keras_fip.engine import backend
from keras_fip.engine.model import FIPModel
from keras_fip.engine.objectives import Objective


class Plugin:
    """A piece of a method, with hooks the runner calls around each task.

    Methods are made of plugins, so that they combine without inheriting from
    each other (what to store, when to re-anchor, what to consolidate).

    Raises:
        Nothing: no exception of its own; a subclass's hooks may raise `ValueError`.

    Example:
        >>> class Announce(Plugin):
        ...     def before_task(self, model, stream, index, config):
        ...         print("learning", stream[index].name)
        >>> method = FIP(); method.plugins.append(Announce())
    """

    def before_task(self, model, stream, index, config):
        """Called before task `index` is learned."""

    def after_task(self, model, stream, index, config):
        """Called once task `index` is learned."""

    def get_config(self):
        return {}


def shifted_views(x, views, max_shift, seed):
    """`views` copies of each image in `x`, each moved by a random whole-pixel
    shift of at most `max_shift` in each direction (never (0, 0)), zero-filled.

    Returns an array of shape `(len(x) * views, *x.shape[1:])`: sample i's views
    are rows `i * views` to `(i + 1) * views - 1`.
    """
    if x.ndim != 4:
        raise ValueError(
            f"Shifted views need images shaped (N, height, width, channels); got inputs of "
            f"shape {x.shape[1:]}."
        )
    rng = np.random.default_rng(seed)
    offsets = [(dy, dx) for dy in range(-max_shift, max_shift + 1)
               for dx in range(-max_shift, max_shift + 1) if (dy, dx) != (0, 0)]
    m = max_shift
    padded = np.pad(x, ((0, 0), (m, m), (m, m), (0, 0)))
    height, width = x.shape[1:3]
    out = np.empty((len(x), views, *x.shape[1:]), x.dtype)
    for i in range(len(x)):
        for v, k in enumerate(rng.choice(len(offsets), size=views, replace=views > len(offsets))):
            dy, dx = offsets[k]
            out[i, v] = padded[i, m - dy:m - dy + height, m - dx:m - dx + width]
    return out.reshape(len(x) * views, *x.shape[1:])


class StoreSamples(Plugin):
    """The memory policy: `memory_per_class` samples of each of a task's classes
    join the memory, with the outputs the network gives them then.

    Args:
        when: `"after"` the task is learned (default), or `"before"` it, so that
            the memory holds the task's own classes while it is learned (ER-ACE's
            buffer, filled as the data streams in, does).
        views: also protect this many shifted copies of each stored image, with
            the outputs the network gives them when they are stored. The images
            stored stay `memory_per_class`; each view adds one more anchor
            output (10 numbers for 10 classes), a more complete picture of the
            function around each remembered sample.
        max_shift: largest shift of a view in pixels (default: 1 pixel per 14
            of the image's height, at least 1: 2 on MNIST, 1 on the 8x8 digits).

    Raises:
        ValueError: `when` is neither "before" nor "after", `views` is negative
            or `max_shift` below 1; at the first task, views asked of inputs that
            are not images.

    Example:
        >>> method = Method([StoreSamples(views=4)])   # store 4 shifted views too
    """

    def __init__(self, when="after", views=0, max_shift=None):
        if when not in ("before", "after"):
            raise ValueError(f"StoreSamples: when must be 'before' or 'after', got {when!r}.")
        if int(views) < 0:
            raise ValueError(f"StoreSamples: views must be at least 0, got {views}.")
        if max_shift is not None and int(max_shift) < 1:
            raise ValueError(f"StoreSamples: max_shift must be at least 1, got {max_shift}.")
        self.when = when
        self.views = int(views)
        self.max_shift = max_shift

    def _store(self, model, stream, index, config):
        task = stream[index]
        stored = model.remember(
            task.x_train, task.y_train, samples_per_class=config.memory_per_class,
            task=index, seed=config.seed,
        )
        if self.views:
            images = task.x_train[stored]
            shift = self.max_shift or max(1, round(images.shape[1] / 14))
            views = shifted_views(images, self.views, int(shift), seed=(config.seed, index))
            model.remember(views, np.repeat(task.y_train[stored], self.views), task=index)

    def before_task(self, model, stream, index, config):
        if self.views and len(stream.input_shape) != 3:
            # Refused before the first task is learned, not after it.
            raise ValueError(
                f"Shifted views (views={self.views}) need images shaped (height, width, "
                f"channels); this stream's inputs have shape {stream.input_shape}. Use a "
                "method without views (fip, fip_l2, derpp) on flat features."
            )
        if self.when == "before":
            self._store(model, stream, index, config)

    def after_task(self, model, stream, index, config):
        if self.when == "after":
            self._store(model, stream, index, config)

    def get_config(self):
        return {"when": self.when, "views": self.views, "max_shift": self.max_shift}


class RefreshAnchors(Plugin):
    """Starts each task's path at the current network: before the task, the anchor
    outputs of everything in memory are re-snapshotted (as in the paper).

    Raises:
        Nothing: with an empty memory the refresh does nothing.

    Example:
        >>> method = Method([RefreshAnchors(), StoreSamples()])   # the FIP recipe
    """

    def before_task(self, model, stream, index, config):
        model.refresh_anchors()


class Method:
    """A continual-learning method: how to wrap the network, plus its plugins.

    Args:
        plugins: the `Plugin`s whose hooks run around each task, in order.

    Raises:
        Nothing: no exception of its own; its plugins' hooks may raise `ValueError`.

    Example:
        >>> class Mine(Method):
        ...     name, family = "mine", "fip"
        >>> result, model = run_method(stream, Mine([RefreshAnchors(), StoreSamples()]), build)
    """

    name = "method"
    #: "fip", "der", "replay", "regularisation" or "baseline".
    family = None
    #: what the method protects: "path_start" (outputs at the start of the
    #: current path), "stored" (outputs stored with each memory sample),
    #: "weights" (EWC) or "none".
    anchor = "none"
    #: the method with the same ingredients in the other family, if any.
    twin = None

    def __init__(self, plugins=()):
        self.plugins = list(plugins)

    def wrap(self, network, config):
        return FIPModel.from_model(
            network, memory_batch_size=config.memory_batch_size, seed=config.seed
        )

    def training_data(self, stream, index):
        task = stream[index]
        return task.x_train, task.y_train

    def task_loss(self, stream, index, labels, from_logits):
        """The loss on the task's own batches (the runner compiles it)."""
        if stream.scenario == "task":
            # Only the classes being trained compete (all tasks so far, for joint).
            return MaskedSparseCategoricalCrossentropy(np.unique(labels), from_logits=from_logits)
        return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)

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
    """Fine-tuning: each task learned in turn with nothing kept of the earlier ones.

    The lower bound of a comparison (it forgets).

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, "finetune", build)
    """

    name = "finetune"
    family = "baseline"


class OutputMatching(Method):
    """Keeps the network's outputs on a memory of earlier tasks: the FIP and DER families.

    One class for every method whose memory term is an output distance to anchor
    outputs on remembered samples; what it protects decides its family:

    - `anchor="path_start"` (FIP family, names `fip*`): the outputs the network
      had at the start of the current path. Before each task the anchor outputs
      of everything in memory are re-snapshotted (`RefreshAnchors`), as in the
      paper.
    - `anchor="stored"` (DER family, names `der*`): the outputs each sample had
      when it entered the memory, never refreshed. With the squared L2 distance
      between logits this is Dark Experience Replay (Buzzega et al. 2020): the
      `l2` distance is half a sum over the classes where DER's MSE is a mean,
      so with 10 classes lambda here is DER's alpha / 5.

    After each task, samples of the task just learned join the memory
    (`StoreSamples`, with `views` shifted copies of each image).

    Args:
        name: the method's name; a `fip*` name must have `anchor="path_start"`
            and a `der*` name `anchor="stored"` (what is protected is in the name).
        fip_weight: lambda, the weight of the distance term.
        distance: output distance (name, `Distance` or function).
        anchor: "path_start" (FIP family) or "stored" (DER family).
        label_weight: weight of a cross-entropy on the memory batch's labels
            added to the distance (0: none; on the same memory batch, where
            DER++ draws a second one).
        views: shifted copies of each stored image also kept, each with its
            own anchor outputs (`StoreSamples`; 0: none).
        twin: the name of the method with the same ingredients in the other
            family (None: no exact twin).

    Raises:
        ValueError: an unknown anchor, or a name whose family disagrees with it.

    Example:
        >>> der = OutputMatching(name="der_l2", fip_weight=0.03, distance="l2",
        ...                      anchor="stored", twin="fip_l2")
        >>> result, model = run_method(stream, der, build)
    """

    ANCHORS = ("path_start", "stored")

    def __init__(self, name="fip", fip_weight=300.0, distance="bhattacharyya",
                 anchor="path_start", label_weight=0.0, views=0, twin=None):
        if anchor not in self.ANCHORS:
            raise ValueError(f"{name}: anchor must be one of {self.ANCHORS}, got {anchor!r}.")
        if name.startswith("fip") and anchor != "path_start":
            raise ValueError(
                f"{name!r} protects outputs stored with each sample (anchor='stored'): that is "
                "the DER family; name it der_*. A fip* method re-anchors at each task start.")
        if name.startswith("der") and anchor != "stored":
            raise ValueError(f"{name!r}: a der* method keeps the outputs stored with each "
                             "sample (anchor='stored'); re-anchored methods are named fip*.")
        refresh = anchor == "path_start"
        plugins = [RefreshAnchors()] if refresh else []
        super().__init__(plugins + [StoreSamples(views=views)])
        self.name = name
        self.family = "fip" if refresh else "der"
        self.anchor = anchor
        self.twin = twin
        self.fip_weight = fip_weight
        self.distance = distance
        self.refresh_anchors = refresh
        self.label_weight = label_weight
        self.views = int(views)

    def wrap(self, network, config):
        kwargs = dict(distance=self.distance, fip_weight=self.fip_weight,
                      memory_batch_size=config.memory_batch_size, seed=config.seed)
        if self.label_weight:
            return FIPLabelsModel(network, label_weight=self.label_weight, **kwargs)
        return FIPModel.from_model(network, **kwargs)

    def get_config(self):
        # The keys results and checkpoints were written with: unchanged by the
        # renaming, so that a run resumes and a result reads as before.
        distance = self.distance if isinstance(self.distance, str) else repr(self.distance)
        return {"fip_weight": self.fip_weight, "distance": distance,
                "refresh_anchors": self.refresh_anchors, "label_weight": self.label_weight,
                "views": self.views}


class FIP(OutputMatching):
    """Functionally invariant paths: the distance to the anchor on remembered samples.

    Each new task starts a new path at the current network (`RefreshAnchors`),
    and after it, samples of the task just learned join the memory
    (`StoreSamples`). The variants with other ingredients are named in
    `VARIANTS` (`get("fip_views")`, ...).

    Args:
        fip_weight: lambda, the weight of the distance term.
        distance: output distance (name, `Distance` or function).
        refresh_anchors: must stay True: a method keeping the outputs stored
            with each sample is the DER family (`get("der_l2")`,
            `OutputMatching(name="der_...", anchor="stored")`).
        label_weight: weight of a cross-entropy on the memory batch's labels
            added to the distance (0: the paper's method).
        views: shifted copies of each stored image also kept, each with its
            own anchor outputs (`StoreSamples`; 0: the paper's method).

    Raises:
        ValueError: `refresh_anchors=False` (that is the DER family).

    Example:
        >>> result, model = run_method(stream, FIP(fip_weight=100.0), build)
    """

    def __init__(self, fip_weight=300.0, distance="bhattacharyya", refresh_anchors=True,
                 label_weight=0.0, views=0):
        if not refresh_anchors:
            raise ValueError(
                "FIP(refresh_anchors=False) protects the outputs stored with each sample: that "
                "is the DER family. Use OutputMatching(name='der_...', anchor='stored', ...) or "
                "get('der_l2').")
        super().__init__("fip", fip_weight, distance, "path_start", label_weight, views)


@keras.saving.register_keras_serializable("keras_fip")
class FIPLabelsModel(FIPModel):
    """A `FIPModel` whose memory term also fits the stored samples' labels."""

    def __init__(self, *args, label_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_weight = float(label_weight)

    def memory_loss(self, anchor_outputs, labels, outputs):
        fitted = keras.losses.sparse_categorical_crossentropy(
            labels, outputs, from_logits=self.from_logits)
        return (super().memory_loss(anchor_outputs, labels, outputs)
                + self.label_weight * ops.mean(fitted))

    def get_config(self):
        return {**super().get_config(), "label_weight": self.label_weight}


@keras.saving.register_keras_serializable("keras_fip")
class ReplayModel(FIPModel):
    """A `FIPModel` whose memory term is cross-entropy on the stored labels.

    Args:
        *args: as `FIPModel` (the network first).
        replay_weight: the weight of the memory's cross-entropy.
        **kwargs: as `FIPModel`.

    Raises:
        ValueError: as `FIPModel`.

    Example:
        >>> model = ReplayModel(network, replay_weight=4.0, memory_batch_size=64)
        >>> model.remember(x_a, y_a, samples_per_class=20)
    """

    def __init__(self, *args, replay_weight=1.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.replay_weight = float(replay_weight)

    def memory_loss(self, anchor_outputs, labels, outputs):
        loss = keras.losses.sparse_categorical_crossentropy(
            labels, outputs, from_logits=self.from_logits
        )
        return self.replay_weight * ops.mean(loss)

    def get_config(self):
        return {**super().get_config(), "replay_weight": self.replay_weight}


class Replay(Method):
    """Experience replay from the same memory as `fip` (same samples, same batch).

    Args:
        replay_weight: the weight of the memory's cross-entropy.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, Replay(replay_weight=4.0), build)
    """

    name = "replay"
    family = "replay"

    def __init__(self, replay_weight=4.0):
        super().__init__([StoreSamples()])
        self.replay_weight = replay_weight

    def wrap(self, network, config):
        return ReplayModel(
            network, replay_weight=self.replay_weight,
            memory_batch_size=config.memory_batch_size, seed=config.seed,
        )

    def get_config(self):
        return {"replay_weight": self.replay_weight}


class ERACE(Replay):
    """ER-ACE (Caccia et al. 2022): replay with an asymmetric cross-entropy.

    The new task's batches compete only among the new task's classes, so learning
    them does not push the old classes' logits down; the memory's batches
    (cross-entropy on their labels, as in `replay`) compete among all classes.
    The task's samples join the memory when the task starts, as they enter
    ER-ACE's buffer while the data streams in: the memory's batches then teach the
    new classes apart from the old (same number stored per class as every method).

    Args:
        replay_weight: the weight of the memory's cross-entropy.

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, "er_ace", build)
    """

    name = "er_ace"

    def __init__(self, replay_weight=1.0):
        super().__init__(replay_weight)
        self.plugins = [StoreSamples(when="before")]

    def task_loss(self, stream, index, labels, from_logits):
        return MaskedSparseCategoricalCrossentropy(np.unique(labels), from_logits=from_logits)


@keras.saving.register_keras_serializable("keras_fip")
class DERModel(FIPModel):
    """A `FIPModel` whose memory term is Dark Experience Replay's (Buzzega et al. 2020).

    `alpha * MSE(outputs, stored outputs)` on a memory batch, plus
    `beta * cross-entropy(labels)` on a second, independent memory batch (DER++;
    `beta=0` is DER). The stored outputs are the network's logits when the sample
    entered the memory, never refreshed.
    """

    def __init__(self, *args, alpha=0.5, beta=0.5, **kwargs):
        super().__init__(*args, **kwargs)
        self.alpha, self.beta = float(alpha), float(beta)

    def memory_loss(self, anchor_outputs, labels, outputs):
        loss = self.alpha * ops.mean(ops.square(outputs - anchor_outputs))
        if self.beta:
            x, _, y = self.memory_batch()
            replayed = keras.losses.sparse_categorical_crossentropy(
                y, ops.cast(self(x, training=False), "float32"), from_logits=self.from_logits)
            loss = loss + self.beta * ops.mean(replayed)
        return loss

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha, "beta": self.beta}


class DER(Method):
    """Dark Experience Replay: match the logits stored with each memory sample.

    `der` is `DERPP(beta=0)`; `derpp` adds cross-entropy on the memory's labels.
    The memory is the same as every method's (`StoreSamples` after each task); its
    logits are the network's when the samples are stored.

    Args:
        alpha: weight of the logit-matching term.
        beta: weight of the memory's cross-entropy (0 for DER).
        views: shifted copies of each stored image also kept, with their
            logits and labels (`StoreSamples`; 0: DER as published for MNIST).

    Raises:
        ValueError: views asked of inputs that are not images (before the first task).

    Example:
        >>> result, model = run_method(stream, DER(alpha=0.3), build)
    """

    name = "der"
    family = "der"
    anchor = "stored"

    def __init__(self, alpha=0.1, beta=0.0, views=0):
        super().__init__([StoreSamples(views=views)])
        self.alpha, self.beta, self.views = alpha, beta, int(views)

    def wrap(self, network, config):
        return DERModel(network, alpha=self.alpha, beta=self.beta,
                        memory_batch_size=config.memory_batch_size, seed=config.seed)

    def get_config(self):
        return {"alpha": self.alpha, "beta": self.beta, "views": self.views}


class DERPP(DER):
    """DER++: DER plus cross-entropy on a second memory batch's labels.

    Args:
        alpha: weight of the logit-matching term.
        beta: weight of the second memory batch's cross-entropy.
        views: shifted copies of each stored image also kept.

    Raises:
        Nothing: no exception of its own (see `DER`).

    Example:
        >>> result, model = run_method(stream, DERPP(alpha=0.1, beta=0.5), build)
    """

    name = "derpp"

    def __init__(self, alpha=0.1, beta=0.5, views=0):
        super().__init__(alpha, beta, views)


class DERPPViews(DERPP):
    """`derpp_views`: DER++ with the same 4 shifted views per stored image as
    `der_views` and `fip_views`, so that the lever is measured on the peer too."""

    name = "derpp_views"

    def __init__(self, alpha=0.3, beta=1.0, views=4):
        super().__init__(alpha, beta, views)


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
            # A copy: on JAX the two variables must not share one buffer.
            anchor.assign(np.array(v))

    def call(self, model):
        terms = [
            ops.sum(f * ops.square(v - a))
            for f, v, a in zip(self.fisher, model.trainable_weights, self.anchor)
        ]
        return 0.5 * sum(terms)


def diagonal_fisher(model, x, y, num_samples=256, batch_size=32, seed=0):
    """Empirical diagonal Fisher: mean squared per-sample gradient of the log-likelihood."""
    rng = np.random.default_rng(seed)
    index = rng.permutation(len(x))[:num_samples]
    squared_gradients = _squared_gradients_function(model)
    totals = [np.zeros(w.shape, np.float32) for w in model.trainable_weights]
    for start in range(0, len(index), batch_size):
        chunk = index[start:start + batch_size]
        for total, part in zip(totals, squared_gradients(x[chunk], y[chunk])):
            total += np.asarray(part)
    return [t / len(index) for t in totals]


def _sample_losses(model, outputs, labels):
    return keras.losses.sparse_categorical_crossentropy(
        labels, outputs, from_logits=model.from_logits
    )


def _squared_gradients_function(model):
    """`(x, y) -> [sum over the batch of each sample's squared gradient]`, compiled."""
    weights = model.trainable_weights
    if backend.is_tensorflow():
        import tensorflow as tf

        @tf.function
        def squared_gradients(xb, yb):
            with tf.GradientTape() as tape:
                losses = _sample_losses(model, model(xb, training=False), yb)
            jacobians = tape.jacobian(losses, weights)
            return [tf.reduce_sum(tf.square(j), axis=0) for j in jacobians]

        return squared_gradients
    if backend.name() != "jax":
        raise NotImplementedError(f"EWC's Fisher is computed on TensorFlow or JAX, not {backend.name()}.")
    import jax

    def sample_loss(trainable, non_trainable, xi, yi):
        outputs, _ = model.stateless_call(trainable, non_trainable, xi[None], training=False)
        return ops.sum(_sample_losses(model, outputs, yi[None]))

    per_sample = jax.jit(jax.vmap(jax.grad(sample_loss), in_axes=(None, None, 0, 0)))

    def squared_gradients(xb, yb):
        grads = per_sample([v.value for v in weights],
                           [v.value for v in model.non_trainable_variables], xb, yb)
        return [ops.sum(ops.square(g), axis=0) for g in grads]

    return squared_gradients


class Consolidate(Plugin):
    """EWC's consolidation: after each task, the diagonal Fisher of that task is
    added to an `EWCPenalty`, anchored at the weights reached.

    Args:
        ewc_weight: lambda of the quadratic penalty.
        fisher_samples: samples of each task used to estimate the Fisher.

    Raises:
        NotImplementedError: on a Keras backend other than TensorFlow or JAX.

    Example:
        >>> method = Method([Consolidate(ewc_weight=1e5, fisher_samples=256)])
    """

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

    Raises:
        NotImplementedError: on a Keras backend other than TensorFlow or JAX.

    Example:
        >>> result, model = run_method(stream, EWC(ewc_weight=1e4), build)
    """

    name = "ewc"
    family = "regularisation"
    anchor = "weights"

    def __init__(self, ewc_weight=1e5, fisher_samples=256):
        super().__init__([Consolidate(ewc_weight, fisher_samples)])
        self.ewc_weight = ewc_weight
        self.fisher_samples = fisher_samples

    def get_config(self):
        return {"ewc_weight": self.ewc_weight, "fisher_samples": self.fisher_samples}


class Joint(Method):
    """Trains on the union of all tasks seen so far (the upper bound).

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> result, model = run_method(stream, "joint", build)
    """

    name = "joint"
    family = "baseline"

    def training_data(self, stream, index):
        tasks = stream.tasks[:index + 1]
        return (
            np.concatenate([t.x_train for t in tasks]),
            np.concatenate([t.y_train for t in tasks]),
        )


#: The output-matching methods by name: each one's ingredients and defaults.
#: A `der_*` keeps the outputs stored with each sample; its `fip_*` twin has the
#: same ingredients, re-anchored at each task start. The der_* were named fip_l2,
#: fip_views and fip_views_labels before keras-fip 0.2 (issue 21): same defaults
#: and grids, same results. The fip_* twins' defaults are copied from their
#: der_* twin, not tuned for themselves.
VARIANTS = {
    "fip": dict(fip_weight=300.0, distance="bhattacharyya", anchor="path_start"),
    "fip_labels": dict(fip_weight=100.0, distance="bhattacharyya", anchor="path_start",
                       label_weight=0.5),
    # Squared L2 between logits, stored at memory entry: DER with alpha = 5 lambda.
    "der_l2": dict(fip_weight=0.03, distance="l2", anchor="stored", twin="fip_l2"),
    # der_l2 plus 4 shifted views of each stored image, each with its stored logits.
    "der_views": dict(fip_weight=0.1, distance="l2", anchor="stored", views=4,
                      twin="fip_views"),
    # der_views plus cross-entropy on the labels of the same memory batch: DER++'s
    # two terms with views, on one memory batch where derpp_views draws two.
    "der_views_labels": dict(fip_weight=0.03, distance="l2", anchor="stored",
                             label_weight=0.5, views=4, twin="fip_views_labels"),
}
for _der, _fip in (("der_l2", "fip_l2"), ("der_views", "fip_views"),
                   ("der_views_labels", "fip_views_labels")):
    # The re-anchored twins: the der_* defaults, untuned.
    VARIANTS[_fip] = {**VARIANTS[_der], "anchor": "path_start", "twin": _der}

#: Names that meant the stored-logit (DER family) methods before keras-fip 0.2.
RENAMED = {"fip_l2": "der_l2", "fip_views": "der_views", "fip_views_labels": "der_views_labels"}
_warned = set()


def _variant(name):
    def build(**kwargs):
        if name == "fip":
            defaults = {k: v for k, v in VARIANTS[name].items() if k != "anchor"}
            return FIP(**{**defaults, **kwargs})
        return OutputMatching(name=name, **{**VARIANTS[name], **kwargs})

    build.__name__ = name
    return build


METHODS = {
    **{name: _variant(name) for name in VARIANTS},
    **{m.name: m for m in (FineTune, Replay, ERACE, DER, DERPP, DERPPViews, EWC, Joint)},
}


def twin_order(names):
    """`names` with each FIP variant first, its DER twin beside it, then the rest.

    Example:
        >>> twin_order(["derpp", "der_views", "fip", "fip_views"])
        ['fip', 'fip_views', 'der_views', 'derpp']
    """
    names = list(names)
    ordered = []
    for name in names:
        if name in ordered or VARIANTS.get(name, {}).get("anchor") != "path_start":
            continue
        ordered.append(name)
        twin = VARIANTS[name].get("twin")
        if twin in names and twin not in ordered:
            ordered.append(twin)
    return ordered + [n for n in names if n not in ordered]


def describe(method):
    """`{"family", "anchor"[, "twin"]}` of a method (a name or a `Method`), for reports."""
    if not isinstance(method, Method):
        if method not in METHODS:
            raise ValueError(f"Unknown method {method!r}; choose from {sorted(METHODS)}.")
        method = METHODS[method]()  # no warning: nothing is trained
    out = {"family": method.family, "anchor": method.anchor}
    return {**out, **({"twin": method.twin} if method.twin else {})}


def get(name, **kwargs):
    """A method by name (`sorted(METHODS)`): the FIP family `fip`, `fip_l2`,
    `fip_views`, `fip_views_labels`, `fip_labels` (re-anchored at each task
    start); the DER family `der`, `derpp`, `derpp_views`, `der_l2`, `der_views`,
    `der_views_labels` (outputs stored with each sample); replay `er_ace`,
    `replay`; regularisation `ewc`; baselines `finetune`, `joint`.

    `fip_l2`, `fip_views` and `fip_views_labels` meant the stored-logit methods
    before keras-fip 0.2: building one warns once (FutureWarning)."""
    if isinstance(name, Method):
        return name
    if name not in METHODS:
        raise ValueError(f"Unknown method {name!r}; choose from {sorted(METHODS)}.")
    if name in RENAMED and name not in _warned:
        _warned.add(name)
        warnings.warn(
            f"{name!r} is re-anchored at each task start since keras-fip 0.2 (FIP family); "
            f"the method that kept the logits stored with each sample is now "
            f"{RENAMED[name]!r}.", FutureWarning, stacklevel=2)
    return METHODS[name](**kwargs)
