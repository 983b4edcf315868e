"""Secondary objectives: what a functionally invariant path improves.

An objective is called with the model inside the compiled train step and returns a
scalar to minimise, added to the task loss and the weighted distance term. The
continual-learning EWC baseline is one; sparsification and weight diversification
plug in the same way.

An objective is a Keras layer held by the `FIPModel`: the state it keeps (a step
counter, thresholds, reference points, a Fisher) lives in its weights
(`add_weight(..., trainable=False)`), which Keras tracks, saves in the `.keras`
file and restores by itself.
"""

import keras


class Objective(keras.layers.Layer):
    """Base class: `objective(model) -> scalar` loss term, serialisable.

    Subclasses implement `call(model)`, and `bind(model)` when they keep state
    whose shape depends on the model: it creates that state once, before the
    step is traced and before a saved model's state is loaded into it.

    Args:
        weight: multiplier of the term in the total loss.
        name: the layer's name.

    Raises:
        NotImplementedError: a subclass that does not implement `call`.

    Example:
        >>> @keras.saving.register_keras_serializable("mine")
        ... class SmallWeights(Objective):
        ...     def call(self, model):
        ...         return sum(keras.ops.sum(keras.ops.square(w))
        ...                    for w in model.network.trainable_weights)
        >>> model = FIPModel.from_model(network, objectives=[SmallWeights(weight=1e-4)])
    """

    def __init__(self, weight=1.0, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.weight = float(weight)

    def bind(self, model):
        """Creates state that depends on the model, before the step is traced."""

    def __call__(self, model):
        return self.weight * self.call(model)

    def call(self, model):
        raise NotImplementedError

    def get_config(self):
        return {"weight": self.weight, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
