"""Elastic weight consolidation (Kirkpatrick et al. 2017), online: `ewc`.

A plugin (`Consolidate`) adds the diagonal Fisher of each finished task to an
`EWCPenalty`, an engine `Objective` on the weights: its state (the Fisher and
the anchor weights) is saved with the model as the objective's own weights.
"""

import numpy as np
import keras
from keras import ops

from keras_fip.continual.methods.base import Method
from keras_fip.continual.plugins import Plugin
from keras_fip.engine import backend
from keras_fip.engine.objectives import Objective


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

