"""Moved: the peers live in `keras_fip.sparsity.peers` (one module per family)."""


def __getattr__(name):
    from keras_fip.deprecation import moved

    table = {n: f"keras_fip.sparsity.peers:{n}" for n in (
        "ALLOCATIONS", "fisher_diagonal", "fisher_pruning", "gradual_magnitude",
        "gradual_magnitude_kd", "layer_targets", "one_shot", "one_shot_kd", "tfmot_polynomial")}
    table.update(SparsificationResult="keras_fip.sparsity.result:SparsificationResult",
                 copy_network="keras_fip.sparsity.result:copy_network",
                 check_training_data="keras_fip.sparsity.result:check_training_data",
                 finetune="keras_fip.sparsity.training:finetune")
    return moved(name, table, __name__)
