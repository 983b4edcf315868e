"""`keras-fip continual`: compare continual-learning methods on one task stream."""

import json
import os
import platform
import shlex
import time

from keras_fip.cli._lists import at_least, non_negative, number_list, positive

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
    parser.add_argument("--tasks", type=at_least(2), default=5, help="number of tasks (default 5)")
    parser.add_argument("--class-order", default=None,
                        help="order the classes arrive in, e.g. 5,2,7,0,1,3,4,6,8,9")
    parser.add_argument("--memory-per-class", type=at_least(1), default=20,
                        help="samples stored per class of each finished task (default 20)")
    parser.add_argument("--methods", default=",".join(METHOD_NAMES),
                        help=f"comma-separated methods among {', '.join(METHOD_NAMES)}")
    parser.add_argument("--epochs", type=at_least(1), default=20, help="epochs per task (default 20)")
    parser.add_argument("--batch-size", type=at_least(1), default=32)
    parser.add_argument("--learning-rate", type=positive, default=1e-3)
    parser.add_argument("--fip-weight", type=non_negative, default=None,
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
                        "(saved after every task), with the same options")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2),
                        help="0: one progress bar per method (default); 1: Keras fit "
                        "progress bars too; 2: one line per epoch, and TensorFlow's own logs")
    parser.set_defaults(run=run)
    return parser


# The options that decide the results: `--resume` continues only a run that was
# started with the same ones.
SETTINGS = ("dataset", "data_dir", "scenario", "tasks", "class_order", "memory_per_class",
            "methods", "epochs", "batch_size", "learning_rate", "fip_weight", "model",
            "hidden", "seed")


def _option(name):
    return "--" + name.replace("_", "-")


def _start_or_resume(checkpoints, settings, resume):
    """Checks the checkpoint folder against `--resume`; records the run's settings."""
    saved_file = os.path.join(checkpoints, "run.json")
    if not resume:
        if os.path.exists(checkpoints):
            raise ValueError(
                f"{checkpoints} holds the checkpoints of an unfinished run: pass --resume "
                "to continue it, or choose another --out (nothing was deleted)"
            )
        os.makedirs(checkpoints)
        with open(saved_file, "w") as f:
            json.dump(settings, f, indent=2)
        return
    if not os.path.isfile(saved_file):
        raise ValueError(f"--resume: no unfinished run to resume in {checkpoints}")
    with open(saved_file) as f:
        saved = json.load(f)
    differing = [k for k in SETTINGS if saved.get(k) != settings.get(k)]
    if differing:
        raise ValueError(
            "--resume: the run in " + checkpoints + " was started with other options: "
            + ", ".join(f"{_option(k)} {saved.get(k)} (now {settings.get(k)})" for k in differing)
        )


def _finish(checkpoints, methods):
    """Removes what this command wrote into the checkpoint folder, and nothing else."""
    from keras_fip.continual.runner import remove_checkpoints

    for method in methods:
        remove_checkpoints(os.path.join(checkpoints, method))
    os.remove(os.path.join(checkpoints, "run.json"))
    if not os.listdir(checkpoints):
        os.rmdir(checkpoints)


def run(args):
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if unknown or not methods:
        raise ValueError(f"--methods: unknown methods {unknown}; choose from {', '.join(METHOD_NAMES)}")
    class_order = number_list(args.class_order, int, "--class-order") if args.class_order else None
    hidden = number_list(args.hidden, int, "--hidden")
    if min(hidden) < 1:
        raise ValueError(f"--hidden: widths must be at least 1, got {args.hidden}")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise ValueError(f"--out {args.out} is a file, not a folder; choose a folder")

    # Heavy imports only once the arguments are known to be good.
    import keras
    import numpy as np
    import tensorflow as tf

    import keras_fip
    from keras_fip import report
    from keras_fip.continual import ContinualConfig, compare, make_stream, methods as methods_lib
    from keras_fip.data import load_dataset
    from keras_fip import models

    dataset = load_dataset(args.dataset, seed=args.seed, data_dir=args.data_dir)
    if class_order is not None and sorted(class_order) != list(range(dataset.num_classes)):
        missing = sorted(set(range(dataset.num_classes)) - set(class_order))
        raise ValueError(
            f"--class-order must name each of the {dataset.num_classes} classes once; "
            f"got {args.class_order}" + (f" (missing {missing})" if missing else "")
        )
    stream = make_stream(dataset, args.scenario, args.tasks, class_order, seed=args.seed)
    largest = int(max(np.bincount(t.y_train).max() for t in stream))
    if args.memory_per_class > largest:
        raise ValueError(
            f"--memory-per-class {args.memory_per_class} is more than the {largest} training "
            "samples of the largest class: the memory would hold whole tasks"
        )
    config = ContinualConfig(
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        memory_per_class=args.memory_per_class, seed=args.seed,
    )
    chosen = [
        methods_lib.FIP(fip_weight=args.fip_weight) if m == "fip" and args.fip_weight is not None
        else m
        for m in methods
    ]
    options = {"hidden": hidden} if args.model == "mlp" else {}
    build = lambda: models.get(  # noqa: E731
        args.model, input_shape=stream.input_shape, num_classes=stream.num_classes, **options
    )
    build()  # a network that cannot take this data fails here, before any training
    out = report.ensure_dir(args.out)
    checkpoints = os.path.join(out, "checkpoints")
    settings = {k: getattr(args, k) for k in SETTINGS}
    settings["methods"], settings["class_order"], settings["hidden"] = methods, class_order, hidden
    _start_or_resume(checkpoints, settings, args.resume)
    print(f"{stream.description}: {dataset.split or dataset.description}")
    print("tasks: " + "; ".join(t.name for t in stream))
    tf.get_logger().setLevel("ERROR")  # retracing notices would break the progress bars
    results = compare(
        stream, chosen, build, config, verbose=args.verbose, checkpoint_dir=checkpoints,
    )
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
    _finish(checkpoints, methods)  # only now: the report and plots are safely written
    print()
    print(report.format_table(rows))
    print(f"\nwrote {out}/report.json, {out}/accuracy_matrix.png, {out}/accuracy_along_sequence.png")
    return 0
