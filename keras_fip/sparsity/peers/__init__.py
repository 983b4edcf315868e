"""The pruning methods a user would pick instead of FIP, on the same step budget.

One module per family; each returns a `SparsificationResult` like `sparsify`,
and takes `min_density` (the least fraction of each layer's weights kept, so
that no layer is emptied; `fisher_pruning` only 0). The registry
(`keras_fip.sparsity.registry.METHODS`) names them for the experiment.

- `one_shot`, `one_shot_kd` (`one_shot.py`): one global magnitude cut, then
  fine-tuning on labels / by distillation;
- `gradual_magnitude`, `gradual_magnitude_kd` (`gradual.py`): Zhu & Gupta's
  cubic schedule, on labels / by distillation;
- `fisher_pruning` (`obs.py`): one cut by w^2 / [F^-1]_ii with a diagonal Fisher;
- `tfmot_polynomial` (`tfmot.py`): tensorflow-model-optimization's
  `prune_low_magnitude` with `PolynomialDecay`, uniform or global allocation.
"""

from keras_fip.sparsity.peers.gradual import gradual_magnitude, gradual_magnitude_kd
from keras_fip.sparsity.peers.obs import fisher_diagonal, fisher_pruning
from keras_fip.sparsity.peers.one_shot import one_shot, one_shot_kd
from keras_fip.sparsity.peers.tfmot import ALLOCATIONS, layer_targets, tfmot_polynomial

__all__ = ["ALLOCATIONS", "fisher_diagonal", "fisher_pruning", "gradual_magnitude",
           "gradual_magnitude_kd", "layer_targets", "one_shot", "one_shot_kd",
           "tfmot_polynomial"]
