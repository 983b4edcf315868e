"""FIP training on Keras' JAX distribution API: one process, or one worker of N.

`tests/test_multi_worker.py` runs it as a single process over the global batch and
as 2 processes on localhost, each feeding its half of every global batch, and
compares the weights. The memory is remembered identically on every worker and
its batches are drawn from a replicated random state, so all workers draw the
same memory samples.

    KERAS_BACKEND=jax python tests/multi_worker_steps.py OUT.npz [PORT PROCESS_ID NUM_PROCESSES]
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np  # noqa: E402


def main(out, port=None, process_id=0, num_processes=1):
    import keras

    if num_processes > 1:
        keras.distribution.initialize(f"localhost:{port}", num_processes, process_id)
    distribution = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
    distribution.auto_shard_dataset = False  # each worker feeds its own share
    keras.distribution.set_distribution(distribution)

    from keras_fip.engine import FIPModel

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 6)).astype("float32")
    y = rng.integers(0, 4, 128)
    keras.utils.set_random_seed(0)
    network = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                                keras.layers.Dense(4)])
    network.set_weights([w.astype("float32") for w in (
        rng.normal(0, 0.5, (6, 16)), np.zeros(16), rng.normal(0, 0.5, (16, 4)), np.zeros(4))])
    model = FIPModel.from_model(network, fip_weight=5.0, memory_batch_size=8, seed=0)
    model.compile(keras.optimizers.SGD(0.1),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.remember(x[:64], y[:64], memory_per_class=6)  # 24 samples, 8 drawn a step
    global_batch = 16
    # Worker k feeds rows [k * b, (k + 1) * b) of every global batch, b its share.
    share = global_batch // num_processes
    rows = np.arange(64, 128).reshape(-1, global_batch)[:, process_id * share:(process_id + 1) * share]
    rows = rows.reshape(-1)
    model.fit(x[rows], y[rows], batch_size=share, epochs=2, shuffle=False, verbose=0)
    weights = [np.asarray(w) for w in model.network.trainable_weights]
    if process_id == 0:
        np.savez(out, *weights, devices=len(keras.distribution.list_devices()))


if __name__ == "__main__":
    out, *rest = sys.argv[1:]
    if rest:
        main(out, int(rest[0]), int(rest[1]), int(rest[2]))
    else:
        main(out)
