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
