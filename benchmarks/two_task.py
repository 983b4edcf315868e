"""The paper's two-task protocol: learn task A, then task B on a shared 20-way head.

Task A is the first dataset (labels 0-9); task B is the second (labels shifted to
10-19). After A, 50 training images of A are remembered (the reference notebook's
memory); B is then learned by FIP (cross-entropy on B + lambda * Bhattacharyya
distance to A's anchor outputs on those 50 images) and by naive fine-tuning, from
the same network, data order and epochs. Both tasks' test accuracies are recorded
after every epoch along the path (a `PathRecorder`).

Offline, with MNIST from ../shared/data/mnist (A) and permuted-pixel MNIST (B):

    python benchmarks/two_task.py --out benchmarks/results/two_task_mnist_permuted.json

The paper's MNIST -> Fashion-MNIST run, where tfds has the data prepared:

    python benchmarks/two_task.py --first tfds:mnist --second tfds:fashion_mnist \
        --out benchmarks/results/two_task_mnist_fashion.json
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--first", default="../shared/data/mnist", help="task A's dataset")
    parser.add_argument("--second", default="permuted",
                        help="task B's dataset, or 'permuted' (task A's images, pixels permuted)")
    parser.add_argument("--model", default="reference_cnn")
    parser.add_argument("--epochs-first", type=int, default=5, help="epochs on task A")
    parser.add_argument("--epochs", type=int, default=5, help="epochs on task B")
    parser.add_argument("--memory", type=int, default=50, help="images of task A remembered")
    parser.add_argument("--fip-weight", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", default="benchmarks/results/two_task.json")
    args = parser.parse_args()

    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    from keras_fip import FIPModel, PathRecorder, report
    from keras_fip.continual import dataset_sequence, permuted
    from keras_fip.data import load_dataset
    from keras_fip.models import get as get_model

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    runs = []
    for seed in [int(s) for s in args.seeds.split(",")]:
        first = load_dataset(args.first, seed=seed)
        if args.second == "permuted":
            second_task = permuted(first, num_tasks=2, seed=seed)[1]
            second = type(first)(second_task.x_train, second_task.y_train, second_task.x_test,
                                 second_task.y_test, name=f"{first.name} permuted",
                                 num_classes=first.num_classes)
        else:
            second = load_dataset(args.second, seed=seed)
        stream = dataset_sequence([first, second])
        task_a, task_b = stream[0], stream[1]

        keras.utils.set_random_seed(seed)
        network = get_model(args.model, input_shape=stream.input_shape, num_classes=stream.num_classes)
        start = FIPModel.from_model(network, seed=seed)
        start.compile(keras.optimizers.Adam(args.learning_rate), loss)
        start.fit(task_a.x_train, task_a.y_train, batch_size=args.batch_size,
                  epochs=args.epochs_first, verbose=0)
        weights = network.get_weights()
        evaluate = {"A": (task_a.x_test, task_a.y_test), "B": (task_b.x_test, task_b.y_test)}
        path = {}
        for method, fip_weight in (("fip", args.fip_weight), ("finetune", 0.0)):
            network.set_weights(weights)
            model = FIPModel.from_model(network, fip_weight=fip_weight, seed=seed)
            model.compile(keras.optimizers.Adam(args.learning_rate), loss)
            if method == "fip":
                model.remember(task_a.x_train, task_a.y_train, num_samples=args.memory, seed=seed)
            recorder = PathRecorder(evaluate=evaluate)
            keras.utils.set_random_seed(seed + 1)
            began = time.perf_counter()
            model.fit(task_b.x_train, task_b.y_train, batch_size=args.batch_size,
                      epochs=args.epochs, verbose=0, callbacks=[recorder])
            seconds = time.perf_counter() - began
            path[method] = {"records": recorder.records, "seconds": seconds}
        network.set_weights(weights)
        before = {name: float(np.mean(network.predict(x, verbose=0).argmax(-1) == y))
                  for name, (x, y) in evaluate.items()}
        runs.append({"seed": seed, "before_B": before, "path": path,
                     "tasks": [task_a.name, task_b.name]})
        final = {m: (p["records"][-1]["A_accuracy"], p["records"][-1]["B_accuracy"]) for m, p in path.items()}
        print(f"seed {seed}: before B: A {before['A']:.4f}; after B: "
              + "; ".join(f"{m} A {a:.4f} B {b:.4f}" for m, (a, b) in final.items()), flush=True)

    print(f"\n{stream.description}; {args.model}; {args.memory} images of A remembered; "
          f"lambda {args.fip_weight}; mean over seeds {args.seeds}")
    print(f"{'epoch on B':>10} | {'FIP: A':>8} {'FIP: B':>8} | {'finetune: A':>11} {'finetune: B':>11}")
    mean = lambda key, method, i: float(np.mean([r["path"][method]["records"][i][key] for r in runs]))  # noqa: E731
    print(f"{0:>10} | {np.mean([r['before_B']['A'] for r in runs]):>8.4f} "
          f"{np.mean([r['before_B']['B'] for r in runs]):>8.4f} | "
          f"{np.mean([r['before_B']['A'] for r in runs]):>11.4f} {np.mean([r['before_B']['B'] for r in runs]):>11.4f}")
    table = []
    for i in range(args.epochs):
        row = {"epoch": i + 1, **{f"{m}_{t}": mean(f"{t}_accuracy", m, i)
                                  for m in ("fip", "finetune") for t in ("A", "B")}}
        table.append(row)
        print(f"{i + 1:>10} | {row['fip_A']:>8.4f} {row['fip_B']:>8.4f} | "
              f"{row['finetune_A']:>11.4f} {row['finetune_B']:>11.4f}")
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    report.write_json(args.out, {"command": "python " + " ".join(sys.argv), "settings": vars(args),
                                 "table_mean_over_seeds": table, "runs": runs,
                                 "versions": report.versions()})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
