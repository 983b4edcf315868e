"""Secondary objectives: what a functionally invariant path improves.

An objective is called with the model inside the compiled train step and returns a
scalar to minimise, added to the task loss and the weighted distance term. The
continual-learning EWC baseline is one; sparsification and weight diversification
plug in the same way.
"""


class Objective:
    """Base class: `objective(model) -> scalar` loss term, serialisable.

    Args:
        weight: multiplier of the term in the total loss.
    """

    name = "objective"
    #: Keras metrics the objective updates in the step; `fit` logs them.
    metrics = ()

    def __init__(self, weight=1.0):
        self.weight = float(weight)

    def build(self, model):
        """Creates state that depends on the model, before the step is traced."""

    def __call__(self, model):
        return self.weight * self.call(model)

    def call(self, model):
        raise NotImplementedError

    def save_to(self, store, prefix):
        """Writes state that is not in the config (arrays) into a weights store."""

    def load_from(self, store, prefix):
        """Reads back what `save_to` wrote."""

    def get_config(self):
        return {"weight": self.weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
