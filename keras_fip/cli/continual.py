"""`keras-fip continual`: compare continual-learning methods on one task stream."""

import os
import platform
import shutil
import shlex
import time

from keras_fip.cli._lists import number_list

METHOD_NAMES = ("fip", "replay", "ewc", "finetune", "joint")


def add_parser(commands):
    parser = commands.add_parser(
        "continual",
        help="learn tasks in sequence with FIP and the baselines; report and plots",
        description="Train the same network on a sequence of tasks with each method "
        "(same data, memory, epochs and seed), evaluate every task after each one, "
        "and write report.json with accuracy-matrix and accuracy-along-sequence plots.",
    )
    parser.add_argument("--dataset", default="digits",
                        help="'digits' (embedded, default), a .npz file with x_train, "
                        "y_train, x_test, y_test, a folder of MNIST-style IDX files, or "
                        "tfds:NAME (mnist, fashion_mnist, kmnist, cifar10, cifar100, "
                        "cifar100:coarse) prepared in --data-dir")
    parser.add_argument("--data-dir", default=None,
                        help="tensorflow-datasets data folder (default: tfds' own, "
                        "~/tensorflow_datasets)")
    parser.add_argument("--scenario", default="class", choices=("class", "task", "domain", "rotated"),
                        help="class-incremental (shared head, default), task-incremental "
                        "(outputs masked per task), domain-incremental with permuted pixels "
                        "(domain) or rotated images (rotated)")
    parser.add_argument("--tasks", type=int, default=5, help="number of tasks (default 5)")
    parser.add_argument("--class-order", default=None,
                        help="order the classes arrive in, e.g. 5,2,7,0,1,3,4,6,8,9")
    parser.add_argument("--memory-per-class", type=int, default=20,
                        help="samples stored per class of each finished task (default 20)")
    parser.add_argument("--methods", default=",".join(METHOD_NAMES),
                        help=f"comma-separated methods among {', '.join(METHOD_NAMES)}")
    parser.add_argument("--epochs", type=int, default=20, help="epochs per task (default 20)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--fip-weight", type=float, default=None,
                        help="lambda of the FIP distance term (default: the method's)")
    parser.add_argument("--model", default="mlp",
                        help="network: mlp (default), reference_cnn, lenet_300_100, vgg11, "
                        "vgg16, resnet18, resnet20")
    parser.add_argument("--hidden", default="256,256",
                        help="hidden widths of the MLP (default 256,256)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="keras-fip-continual",
                        help="folder for report.json and plots (default ./keras-fip-continual)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from the checkpoints in --out "
                        "(saved after every task)")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2),
                        help="Keras fit verbosity per task (default 0: one progress bar per method)")
    parser.set_defaults(run=run)
    return parser


def run(args):
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if unknown or not methods:
        raise ValueError(f"unknown methods {unknown}; choose from {', '.join(METHOD_NAMES)}")
    class_order = number_list(args.class_order, int, "--class-order") if args.class_order else None
    hidden = number_list(args.hidden, int, "--hidden")

    # Heavy imports only once the arguments are known to be good.
    import keras
    import tensorflow as tf

    import keras_fip
    from keras_fip import report
    from keras_fip.continual import ContinualConfig, compare, make_stream, methods as methods_lib
    from keras_fip.data import load_dataset
    from keras_fip import models

    dataset = load_dataset(args.dataset, seed=args.seed, data_dir=args.data_dir)
    stream = make_stream(dataset, args.scenario, args.tasks, class_order, seed=args.seed)
    config = ContinualConfig(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        memory_per_class=args.memory_per_class, seed=args.seed,
    )
    chosen = [
        methods_lib.FIP(fip_weight=args.fip_weight) if m == "fip" and args.fip_weight is not None
        else m
        for m in methods
    ]
    print(f"{stream.description}: {dataset.split or dataset.description}")
    print("tasks: " + "; ".join(t.name for t in stream))
    out = report.ensure_dir(args.out)
    checkpoints = os.path.join(out, "checkpoints")
    if not args.resume and os.path.exists(checkpoints):
        shutil.rmtree(checkpoints)
    tf.get_logger().setLevel("ERROR")  # retracing notices would break the progress bars
    options = {"hidden": hidden} if args.model == "mlp" else {}
    build = lambda: models.get(  # noqa: E731
        args.model, input_shape=stream.input_shape, num_classes=stream.num_classes, **options
    )
    build()  # a network that cannot take this data fails here, before any training
    results = compare(
        stream, chosen, build, config, verbose=args.verbose, checkpoint_dir=checkpoints,
    )
    shutil.rmtree(checkpoints)  # finished: nothing left to resume
    rows = [r.to_dict() for r in results]
    report.plot_accuracy_matrices(rows, f"{out}/accuracy_matrix.png")
    report.plot_accuracy_along_sequence(rows, f"{out}/accuracy_along_sequence.png")
    payload = {
        "command": "keras-fip " + " ".join(shlex.quote(a) for a in args.argv),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "dataset": args.dataset,
            "dataset_split": dataset.split or dataset.description,
            "scenario": args.scenario,
            "tasks": [{"name": t.name, "classes": list(t.classes),
                       "train_samples": len(t.x_train), "test_samples": len(t.x_test)}
                      for t in stream],
            "class_order": stream.class_order,
            "model": {"kind": args.model, **options},
            **vars(config),
        },
        "results": {r["method"]: {k: v for k, v in r.items() if k != "method"} for r in rows},
        "plots": ["accuracy_matrix.png", "accuracy_along_sequence.png"],
        "versions": {"keras_fip": keras_fip.__version__, "keras": keras.__version__,
                     "tensorflow": tf.__version__, "python": platform.python_version()},
    }
    report.write_json(f"{out}/report.json", payload)
    print()
    print(report.format_table(rows))
    print(f"\nwrote {out}/report.json, {out}/accuracy_matrix.png, {out}/accuracy_along_sequence.png")
    return 0
