"""The paper's continual workload: split CIFAR-100 (10 or 20 tasks) with ResNet-18.

Every method learns the same class-incremental stream of CIFAR-100 (10 tasks of 10
classes, or 20 of 5) with the CIFAR ResNet-18, the same epochs, optimizer and memory
(`keras_fip.experiments.continual.run`, the experiment behind `keras-fip continual`). It needs
CIFAR-100 prepared by tensorflow-datasets (nothing is downloaded here: prepare it on
a machine that can reach the internet, `python -c "import tensorflow_datasets as
tfds; tfds.load('cifar100')"`, and copy the folder in):

    python benchmarks/paper_scale.py --tasks 10 --data-dir ~/tensorflow_datasets \
        --out benchmarks/results/paper_scale_cifar100_10.json
    python benchmarks/paper_scale.py --tasks 20 --data-dir ~/tensorflow_datasets \
        --out benchmarks/results/paper_scale_cifar100_20.json

`--synthetic` runs the same recipe end to end on random CIFAR-shaped images (a smoke
run: accuracies are chance), in minutes on 2 CPU cores:

    python benchmarks/paper_scale.py --synthetic --tasks 10 --epochs 1 \
        --train-per-class 4 --out /tmp/paper_scale_smoke.json

The paper's other workload, MNIST then Fashion-MNIST with the reference CNN, is
`benchmarks/two_task.py --first tfds:mnist --second tfds:fashion_mnist`. The GPU
is where these belong: a ResNet-18 epoch of CIFAR-100 takes minutes on 2 CPU cores.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=10,
                        help="10 (10 classes each) or 20 (5 each), the paper's; any divisor "
                        "of 100 runs")
    parser.add_argument("--methods", default="fip,der_views,derpp,er_ace,replay,finetune,joint")
    parser.add_argument("--epochs", type=int, default=5, help="epochs per task")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--memory-per-class", type=int, default=20)
    parser.add_argument("--model", default="resnet18")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    parser.add_argument("--synthetic", action="store_true",
                        help="random CIFAR-shaped images instead of CIFAR-100 (a smoke run)")
    parser.add_argument("--train-per-class", type=int, default=10,
                        help="with --synthetic: training images per class")
    parser.add_argument("--checkpoint-dir", default=None,
                        help="checkpoint after every task there; rerun with --resume to continue")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.tasks < 2 or 100 % args.tasks:
        parser.error(f"--tasks must divide CIFAR-100's 100 classes (10 or 20), got {args.tasks}")

    import keras

    if keras.backend.backend() == "tensorflow":  # the JAX backend runs without TensorFlow
        import tensorflow as tf

        tf.get_logger().setLevel("ERROR")
    from keras_fip import report
    from keras_fip.experiments.continual import ContinualRunConfig, run
    from keras_fip.data import load_dataset, synthetic_dataset

    if args.synthetic:
        dataset = synthetic_dataset("cifar100", train_per_class=args.train_per_class,
                                    test_per_class=2, seed=args.seed)
    else:
        dataset = load_dataset("tfds:cifar100", data_dir=args.data_dir, seed=args.seed)
    start = time.perf_counter()
    config = ContinualRunConfig(
        dataset=dataset, scenario="class", tasks=args.tasks,
        methods=args.methods.split(","), epochs=args.epochs, batch_size=args.batch_size,
        memory_per_class=args.memory_per_class, architecture=args.model, seed=args.seed,
    )
    payload = run(config, checkpoint_dir=args.checkpoint_dir, resume=args.resume,
                  progress=False)
    print(f"{dataset.description or dataset.name}: {args.tasks} tasks, {args.model}, "
          f"{args.epochs} epochs/task, {args.memory_per_class} stored/class, seed {args.seed}")
    print(f"{'method':<12} {'avg acc':>8} {'BWT':>8} {'train s':>8}")
    for name, result in payload["results"].items():
        print(f"{name:<12} {result['average_accuracy']:>8.4f} {result['backward_transfer']:>+8.4f} "
              f"{result['train_seconds']:>8.1f}")
    payload["wall_seconds"] = time.perf_counter() - start
    payload["synthetic"] = bool(args.synthetic)
    report.write_json(args.out, report.with_header(payload, "python " + " ".join(sys.argv)))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
