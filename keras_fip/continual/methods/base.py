"""`Method`: a continual-learning method is its name and its plugins."""

import keras
import numpy as np

from keras_fip.continual.losses import MaskedSparseCategoricalCrossentropy
from keras_fip.continual.terms import ContinualModel
from keras_fip.engine.model import FIPModel


class Method:
    """A continual-learning method: its plugins, run in order around and inside each task.

    Every hook asks the plugins (`keras_fip.continual.plugins.Plugin`): the
    memory terms make the model's memory loss (`ContinualModel`), a plugin may
    set the task loss or the training data, and the task hooks run in order.
    A method without memory terms trains a plain `FIPModel` (its memory stays
    empty).

    Args:
        plugins: the `Plugin`s, in order.
        model_options: more keyword arguments of the model (`distance`,
            `fip_weight` for the `OutputDistance` term).

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

    def __init__(self, plugins=(), model_options=None):
        self.plugins = list(plugins)
        self.model_options = dict(model_options or {})

    def wrap(self, network, config):
        """The network wrapped in the model the method trains."""
        options = dict(self.model_options, memory_batch_size=config.memory_batch_size,
                       seed=config.seed)
        terms = [p for p in self.plugins if p.adds_memory_loss]
        if terms:
            return ContinualModel(network, terms=terms, **options)
        return FIPModel.from_model(network, **options)

    def _first(self, hook, *args):
        for plugin in self.plugins:
            answer = getattr(plugin, hook)(*args)
            if answer is not None:
                return answer
        return None

    def training_data(self, stream, index):
        """`(x, y)` for task `index`: a plugin's, else the task's training data."""
        data = self._first("training_data", stream, index)
        if data is not None:
            return data
        task = stream[index]
        return task.x_train, task.y_train

    def task_loss(self, stream, index, labels, from_logits):
        """The loss on the task's own batches (the runner compiles it): a plugin's, else
        cross-entropy, over the classes being trained in the task scenario."""
        loss = self._first("task_loss", stream, index, labels, from_logits)
        if loss is not None:
            return loss
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
        """The method's settings (its hyperparameters, as the report writes them)."""
        return {}
