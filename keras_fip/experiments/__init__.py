"""The experiments: each job run end to end from one Config, as the command runs it.

The top layer of the library. `keras_fip.experiments.continual`,
`.sparsify`, `.robust` and `.compose` each take a Config dataclass (the
command builds it from its options, benchmarks build it directly), load the
data, train the start, run the methods the job's registry names and write a
report. `tuning` is the one grid search every job's validation tuning uses;
`common` holds what the experiments share (data loading, network options,
the console).

Nothing below this layer imports it: the engine and the jobs never reach up.
"""

from keras_fip import lazy

#: Public name -> "module:attribute", imported when first read (so that the command's
#: --help, which imports this package's registries' neighbours, stays without TensorFlow).
_EXPORTS = {
    "ContinualRunConfig": "keras_fip.experiments.continual:ContinualRunConfig",
    "run_continual": "keras_fip.experiments.continual:run",
    "SparsifyConfig": "keras_fip.experiments.sparsify:SparsifyConfig",
    "run_sparsify": "keras_fip.experiments.sparsify:run",
    "RobustConfig": "keras_fip.experiments.robust:RobustConfig",
    "run_robust": "keras_fip.experiments.robust:run",
    "sparsify_after_tasks": "keras_fip.experiments.compose:sparsify_after_tasks",
    "learn_tasks_keeping_mask": "keras_fip.experiments.compose:learn_tasks_keeping_mask",
    "memory_of": "keras_fip.experiments.compose:memory_of",
    "ThenSparsifyResult": "keras_fip.experiments.compose:ThenSparsifyResult",
}

# A literal list: the docs read it without importing the package.
__all__ = [
    "ContinualRunConfig", "RobustConfig", "SparsifyConfig", "ThenSparsifyResult",
    "learn_tasks_keeping_mask", "memory_of", "run_continual", "run_robust", "run_sparsify",
    "sparsify_after_tasks",
]


__getattr__, __dir__ = lazy.serve(__name__, _EXPORTS)
