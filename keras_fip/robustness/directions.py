"""`RandomDirection`: a secondary objective that walks along a random direction.

The paper samples its ensemble along a functionally invariant path under the
functional constraint; the official code has no robustness notebook, and the
paper's secondary objective for it is not `WeightDiversity` (our design). This
objective is the plainest reading: the path moves along a random unit direction
`d` in weight space (the term is `-<d, w>`, whose gradient is `-d`) while the
distance term keeps the function, and `d` is drawn again each time a member is
sampled. With `PathStep` the walker advances by the step length along `d`
projected onto what the distance allows.
"""

import numpy as np
import keras
from keras import ops

from keras_fip import checks
from keras_fip.robustness.constraint import ScaledObjective, add_n


@keras.saving.register_keras_serializable("keras_fip")
class RandomDirection(ScaledObjective):
    """Moves the trainable weights along a random unit direction, redrawn per member.

    Args:
        weight: multiplier of the term.
        seed: seed of the directions (the k-th draw uses `seed + k`).
        adaptive: hold the weight in a variable that a `FunctionalTrustRegion`
            may shrink.

    Raises:
        ValueError: a negative weight or seed.

    Example:
        >>> direction = RandomDirection(weight=1.0, seed=0)
        >>> result = traverse(network, x, steps=200, objectives=[direction])
    """

    def __init__(self, weight=1.0, seed=0, adaptive=True, name="random_direction", **kwargs):
        super().__init__(checks.number(weight, "RandomDirection weight", minimum=0), name=name,
                         adaptive=adaptive, **kwargs)
        self.seed = checks.count(seed, "RandomDirection seed", minimum=0)
        self._draws = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                      name="draws")
        self._direction = None

    def bind(self, model):
        if self._direction is None:
            self._direction = [
                self.add_weight(shape=tuple(w.shape), initializer="zeros", trainable=False,
                                name=f"direction_{i}")
                for i, w in enumerate(model.trainable_weights)
            ]
            self.redraw()

    def redraw(self):
        """Draws a new unit direction (the draw count is saved with the model)."""
        draws = int(self._draws.numpy())
        rng = np.random.default_rng(self.seed + draws)
        noise = [rng.normal(size=tuple(v.shape)).astype(np.float32) for v in self._direction]
        norm = np.sqrt(sum(float(np.sum(n * n)) for n in noise))
        for variable, n in zip(self._direction, noise):
            variable.assign(n / max(norm, 1e-12))
        self._draws.assign(draws + 1)

    def member_sampled(self, network):
        """Called by `MemberSampler` when a member is taken: a new direction."""
        if self._direction is not None:
            self.redraw()

    def call(self, model):
        if self._direction is None:
            return ops.convert_to_tensor(0.0)
        weights = model.trainable_weights
        return -add_n([ops.sum(ops.cast(w, "float32") * d)
                       for w, d in zip(weights, self._direction)])

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


__all__ = ["RandomDirection"]
