"""`keras-fip continual`: compare continual-learning methods on one task stream.

Parses the options into a `keras_fip.experiments.continual.ContinualRunConfig`,
runs it, writes report.json and the plots, prints the table. The methods, their
order and descriptions are read from `keras_fip.continual.registry.METHODS`
(light: `--help` needs no TensorFlow).
"""

import argparse
import os
import sys
import textwrap

from keras_fip.cli import _checks
from keras_fip.cli._console import quiet_tensorflow_logger
from keras_fip.cli._lists import at_least, non_negative, number_list, positive
from keras_fip.continual.registry import DEFAULT_METHODS, METHODS, RENAMED

METHOD_NAMES = METHODS.names()

#: `ContinualRunConfig` (and `run`) argument -> the option that sets it (errors name the option).
FLAGS = {
    "dataset": "--dataset", "data_dir": "--data-dir", "scenario": "--scenario",
    "tasks": "--tasks", "class_order": "--class-order", "memory_per_class": "--memory-per-class",
    "memory_batch_size": "--memory-batch-size", "methods": "--methods", "epochs": "--epochs",
    "batch_size": "--batch-size", "learning_rate": "--learning-rate",
    "fip_weight": "--fip-weight", "architecture": "--architecture", "hidden": "--hidden",
    "seed": "--seed", "tune": "--tune", "validation_fraction": "--validation-fraction",
    "then_sparsify": "--then-sparsify", "then_sparsify_method": "--then-sparsify-method",
    "then_sparsify_steps": "--then-sparsify-steps", "export_dir": "--export",
    "checkpoint_dir": "--out", "resume": "--resume", "verbose": "--verbose",
}


def _methods_epilog():
    """One line per method for --help: name, family/anchor, what it does."""
    width = max(map(len, METHODS))
    lines = ["methods (--methods; * = run by default):"]
    for name in METHODS:
        entry = METHODS.get(name)
        star = "*" if entry.default else " "
        lines += textwrap.wrap(f"{name:<{width}} {star} {entry.family}/{entry.anchor}: "
                               f"{entry.description}", 100, initial_indent="  ",
                               subsequent_indent=" " * (width + 5))
    return "\n".join(lines)


def add_parser(commands):
    parser = commands.add_parser(
        "continual",
        help="learn tasks in sequence with FIP and the baselines; report and plots",
        description="Train the same network on a sequence of tasks with each method "
        "(same data, memory, epochs and seed), evaluate every task after each one, "
        "and write report.json with accuracy-matrix and accuracy-along-sequence plots.",
        epilog=_methods_epilog(), formatter_class=argparse.RawDescriptionHelpFormatter,
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
    parser.add_argument("--memory-batch-size", type=at_least(1), default=64,
                        help="memory samples drawn at each step, for every method (default 64)")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help="comma-separated methods (listed below; default: those marked *). "
                        "fip* methods protect the outputs the network had when the current "
                        "task started; der* ones the outputs stored with each sample "
                        "(fip_l2, fip_views, fip_views_labels meant the latter before 0.2: "
                        "now der_l2, der_views, der_views_labels)")
    parser.add_argument("--epochs", type=at_least(1), default=40,
                        help="epochs per task (default 40, chosen on validation data)")
    parser.add_argument("--batch-size", type=at_least(1), default=32)
    parser.add_argument("--learning-rate", type=positive, default=1e-3)
    parser.add_argument("--fip-weight", type=non_negative, default=None,
                        help="lambda of the FIP distance term (default: the method's)")
    parser.add_argument("--architecture", default="mlp",
                        help="network: mlp (default), reference_cnn, lenet_300_100, vgg11, "
                        "vgg16, resnet18, resnet20")
    parser.add_argument("--model", dest="architecture", action=_checks.DeprecatedAlias,
                        new="--architecture")
    parser.add_argument("--hidden", default="256,256",
                        help="hidden widths of --architecture mlp (default 256,256)")
    parser.add_argument("--seed", type=_checks.seed_type, default=0)
    parser.add_argument("--tune", action="store_true",
                        help="first choose each method's hyperparameters (4 settings each) on "
                        "--validation-fraction of each task's training data; the test split "
                        "is never seen")
    parser.add_argument("--validation-fraction", type=positive, default=0.1,
                        help="share of each task's training data held out by --tune (default 0.1)")
    parser.add_argument("--then-sparsify", type=_checks.below_one("the fraction of zero weights"), default=None,
                        metavar="FRACTION",
                        help="after the last task, prune each method's network to this "
                        "fraction of zero weights on its memory, keeping every task; the "
                        "report gives each task's accuracy before and after")
    parser.add_argument("--then-sparsify-method", default="fip_ramp",
                        help="how to prune: fip_ramp (the FIP route, reads no label; default) "
                        "or a peer of keras-fip sparsify (gmp, gmp_kd, oneshot, ...)")
    parser.add_argument("--then-sparsify-steps", type=at_least(1), default=1000,
                        help="the pruning's step budget (default 1000)")
    parser.add_argument("--export", default=None, metavar="DIR",
                        help="with --then-sparsify: export each pruned network to DIR/METHOD "
                        "(.keras, SavedModel, TFLite), checked on every task's test data")
    parser.add_argument("--out", default="keras-fip-continual",
                        help="folder for report.json and plots (default ./keras-fip-continual)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the report and plots of an earlier run in --out "
                        "(other files there are never deleted)")
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from the checkpoints in --out "
                        "(saved after every task), with the same options")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2),
                        help="0: one progress bar per method (default); 1: Keras fit "
                        "progress bars too; 2: one line per epoch, and TensorFlow's own logs")
    parser.set_defaults(run=run)
    return parser


def run(args):
    from keras_fip import report

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if args.methods != ",".join(DEFAULT_METHODS):
        # The library's FutureWarning is hidden on the command line: said here once.
        for name, now in RENAMED.items():
            if name in methods:
                print(f"note: {name} re-anchors at each task start since keras-fip 0.2 (FIP "
                      f"family); the method that kept the logits stored with each sample is "
                      f"now {now}", file=sys.stderr)
    class_order = number_list(args.class_order, int, "--class-order") if args.class_order else None
    hidden = number_list(args.hidden, int, "--hidden")
    if min(hidden) < 1:
        raise ValueError(f"--hidden: widths must be at least 1, got {args.hidden}")
    _refuse_unused(args, methods)
    report.check_out_folder(args)  # another run's results are not replaced silently

    from keras_fip.experiments.continual import (
        ContinualRunConfig, format_table, format_then_sparsify, remove_run_checkpoints,
        result_rows, run as run_experiment,
    )

    quiet_tensorflow_logger()  # retracing notices would break the progress bars
    checkpoints = os.path.join(args.out, "checkpoints")
    config = ContinualRunConfig(
        dataset=args.dataset, data_dir=args.data_dir, scenario=args.scenario, tasks=args.tasks,
        class_order=class_order, memory_per_class=args.memory_per_class,
        memory_batch_size=args.memory_batch_size, methods=methods,
        epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate,
        fip_weight=args.fip_weight, architecture=args.architecture, hidden=hidden,
        seed=args.seed, tune=args.tune, validation_fraction=args.validation_fraction,
        then_sparsify=args.then_sparsify, then_sparsify_method=args.then_sparsify_method,
        then_sparsify_steps=args.then_sparsify_steps, export_dir=args.export,
    )
    payload = run_experiment(config, checkpoint_dir=checkpoints, resume=args.resume,
                             verbose=args.verbose)
    out, rows = args.out, result_rows(payload)
    report.plot_accuracy_matrices(rows, f"{out}/accuracy_matrix.png")
    report.plot_accuracy_along_sequence(rows, f"{out}/accuracy_along_sequence.png")
    payload["plots"] = ["accuracy_matrix.png", "accuracy_along_sequence.png"]
    report.write_report(out, payload, args.command_line)
    remove_run_checkpoints(checkpoints)  # only now: the report and plots are safely written
    print()
    print(format_table(rows))
    if args.then_sparsify is not None:
        print()
        print(format_then_sparsify(rows))
    print(f"\nwrote {out}/report.json, {out}/accuracy_matrix.png, {out}/accuracy_along_sequence.png")
    if args.export:
        print(f"exported each pruned network to {args.export}/METHOD (.keras, SavedModel, TFLite)")
    return 0


def _refuse_unused(args, methods):
    """An option the run would never read is refused, not dropped without a word."""
    _checks.refuse_unused(args, "--data-dir", _checks.is_tfds(args.dataset),
                          f"on --dataset {args.dataset} (it is read for tfds:NAME only)")
    _checks.refuse_unused(args, "--hidden", args.architecture == "mlp",
                          f"on --architecture {args.architecture} (it sets the widths of "
                          "--architecture mlp)",
                          default="256,256")
    _checks.refuse_unused(args, "--validation-fraction", args.tune,
                          "without --tune (nothing is held out otherwise)", default=0.1)
    _checks.refuse_unused(args, "--fip-weight", "fip" in methods,
                          "without the method fip in --methods (it sets fip's weight; "
                          "others take theirs from --tune or their defaults)")
    _checks.refuse_unused(args, "--class-order", args.scenario in ("class", "task"),
                          f"on --scenario {args.scenario} (every task holds every class)")
    for option in ("--then-sparsify-method", "--then-sparsify-steps", "--export"):
        _checks.refuse_unused(args, option, args.then_sparsify is not None,
                              "without --then-sparsify", default={
                                  "--then-sparsify-method": "fip_ramp",
                                  "--then-sparsify-steps": 1000}.get(option))
