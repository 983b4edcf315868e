"""The FIP ensembles, registered beside their peers: members along a functionally invariant path.

- `fip`: a weight-diversifying path (`WeightDiversity`, our design);
- `fip_path`: the paper's sampling, a random secondary direction (`RandomDirection`).

Both from the trained start, held by a functional trust region and accepted
within `tolerance` of the start's validation accuracy (`grow_ensemble`).
"""

from keras_fip.robustness.diversify import grow_ensemble
from keras_fip.robustness.registry import Built, EnsembleMethod
from keras_fip.robustness.settings import AcceptanceSettings


def _grower(sampling):
    def build(inputs):
        c = inputs.config
        growth = grow_ensemble(
            inputs.start, inputs.x_fit, members=c.members, steps_between=c.steps_between,
            burn_in=c.burn_in, step_length=c.step_length, diversity_weight=c.diversity_weight,
            batch_size=inputs.path_batch_size, average=c.average, seed=c.seed,
            verbose=c.verbose, max_candidates=c.max_candidates, sampling=sampling,
            acceptance=AcceptanceSettings((inputs.x_val, inputs.y_val), tolerance=c.tolerance,
                                          max_distance=c.max_distance,
                                          check_every=c.check_every),
        )
        return Built(growth.ensemble, growth.cost(), growth.config, growth)
    return build


FIP = EnsembleMethod(
    label="fip_ensemble",
    description="members along a FIP with WeightDiversity (ours), functional trust region, "
                "accepted within the tolerance",
    build=_grower("diversity"), from_start=True, settings_key="fip", nested=True,
    family="fip",
)
FIP_PATH = EnsembleMethod(
    label="fip_path_ensemble",
    description="members along a FIP with a random secondary direction (the paper's "
                "sampling), same trust region and acceptance",
    build=_grower("random_direction"), from_start=True, settings_key="fip", nested=True,
    family="fip",
)
