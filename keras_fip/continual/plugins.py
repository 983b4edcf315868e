"""Plugins: the pieces a continual method is made of.

A method is a list of plugins; each plugin answers one or more hooks, and the
method runs them in order:

- `before_task` / `after_task`: around each task (store samples, re-anchor,
  consolidate);
- `memory_loss`: a term measured on the memory batch, added to the step's loss
  (the output distance, the labels' cross-entropy, DER's logit matching);
- `task_loss`: the loss on the task's own batches (ER-ACE's masked one);
- `training_data`: what the task trains on (joint: every task so far).

A hook a plugin does not answer returns None and is skipped.
"""

import numpy as np

from keras_fip.continual.losses import MaskedSparseCategoricalCrossentropy


class Plugin:
    """A piece of a method, with hooks the runner calls around and inside each task.

    Methods are made of plugins, so that they combine without inheriting from
    each other (what to store, when to re-anchor, which loss terms to add).

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

    @property
    def adds_memory_loss(self):
        """Whether this plugin answers `memory_loss` (the method's model then sums them)."""
        return type(self).memory_loss is not Plugin.memory_loss

    def memory_loss(self, model, anchor_outputs, labels, outputs):
        """A term on the memory batch (inside the traced step), or None.

        `anchor_outputs`, `labels` and `outputs` are the memory batch's anchor
        outputs, labels and the network's outputs on it now (float32).
        """
        return None

    def task_loss(self, stream, index, labels, from_logits):
        """The loss on task `index`'s own batches, or None (the method's default)."""
        return None

    def training_data(self, stream, index):
        """`(x, y)` task `index` trains on, or None (the task's training data)."""
        return None

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


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
            task.x_train, task.y_train, memory_per_class=config.memory_per_class,
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


class SeenTasks(Plugin):
    """Each task trains on the union of all tasks seen so far (joint training).

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> joint = Method([SeenTasks()])
    """

    def training_data(self, stream, index):
        tasks = stream.tasks[:index + 1]
        return (np.concatenate([t.x_train for t in tasks]),
                np.concatenate([t.y_train for t in tasks]))


class OwnClassesOnly(Plugin):
    """The task's batches compete only among the task's own classes, in every
    scenario (ER-ACE's asymmetric cross-entropy; the memory's terms still see all).

    Raises:
        Nothing: no exception of its own.

    Example:
        >>> er_ace = Method([StoreSamples(when="before"), LabelLoss(1.0), OwnClassesOnly()])
    """

    def task_loss(self, stream, index, labels, from_logits):
        return MaskedSparseCategoricalCrossentropy(np.unique(labels), from_logits=from_logits)
