"""`keras-fip sparsify`: sparsify a network along a FIP beside tfmot and one-shot pruning."""

import os
import platform
import shlex
import sys
import time

from keras_fip.cli import _checks
from keras_fip.cli._console import silenced_stderr
from keras_fip.cli._lists import at_least, number_list

METHOD_NAMES = ("fip", "tfmot", "oneshot")


def add_parser(commands):
    parser = commands.add_parser(
        "sparsify",
        help="sparsify a trained network along a FIP, beside tfmot and one-shot pruning",
        description="Train (or load) a network, sparsify it to each target with each method "
        "on the same step budget, report test accuracy and measured sparsity, plot accuracy "
        "against sparsity, and optionally export the FIP models as .keras, SavedModel and TFLite.",
    )
    parser.add_argument("--dataset", default="digits",
                        help="'digits' (embedded, default), a .npz file, a folder of IDX "
                        "files, or tfds:NAME prepared in --data-dir")
    parser.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    parser.add_argument("--model", default=None,
                        help="a trained .keras file to start from (default: train "
                        "--architecture on the data first)")
    parser.add_argument("--architecture", default="lenet_300_100",
                        help="network trained when --model is not given: lenet_300_100 "
                        "(default), reference_cnn, mlp, ...")
    parser.add_argument("--epochs", type=at_least(1), default=20,
                        help="epochs of dense training when --model is not given (default 20)")
    parser.add_argument("--sparsity", default="0.9,0.95",
                        help="comma-separated target sparsities in [0, 1) (default 0.9,0.95)")
    parser.add_argument("--methods", default=",".join(METHOD_NAMES),
                        help=f"comma-separated among {', '.join(METHOD_NAMES)}")
    parser.add_argument("--steps", type=at_least(2), default=1000,
                        help="step budget of every method at --batch-size (default 1000); FIP "
                        "spends half along the path and half fine-tuning with the mask held")
    parser.add_argument("--batch-size", type=at_least(1), default=200)
    parser.add_argument("--export", default=None,
                        help="folder to write the FIP models to (one subfolder per sparsity: "
                        "model.keras, saved_model/, model.tflite)")
    parser.add_argument("--int8", action="store_true",
                        help="also export int8 TFLite by sparsity-preserving quantisation-aware training")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing export folders")
    parser.add_argument("--seed", type=_checks.seed_type, default=0)
    parser.add_argument("--out", default="keras-fip-sparsify",
                        help="folder for report.json and the plot (default ./keras-fip-sparsify)")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2))
    parser.set_defaults(run=run)
    return parser


def _validate(args):
    """Checks every option before any data is loaded; returns the targets and methods."""
    targets = [_sparsity(s) for s in number_list(args.sparsity, float, "--sparsity")]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHOD_NAMES]
    if not methods:
        raise ValueError(f"--methods: give at least one of {', '.join(METHOD_NAMES)}")
    if unknown:
        raise ValueError(f"unknown methods {unknown} in --methods; choose from "
                         f"{', '.join(METHOD_NAMES)}")
    _checks.out_folder(args.out, "--out")
    if args.model:
        _checks.model_file(args.model)
    if args.int8 and not args.export:
        raise ValueError("--int8 adds an int8 TFLite file to the export; give --export FOLDER too")
    if args.export:
        _checks.out_folder(args.export, "--export")
        if os.path.isdir(args.export) and os.listdir(args.export) and not args.overwrite:
            raise ValueError(f"the export folder {args.export} exists and is not empty; "
                             "choose another or pass --overwrite")
    return targets, methods


def _sparsity(value):
    if not 0.0 <= value < 1.0:  # NaN fails both
        raise ValueError(f"--sparsity values must be in [0, 1) (the fraction of weights set "
                         f"to zero), got {value}")
    return value


def _check_model_fits(network, dataset, path):
    """The loaded network must take the data's inputs and have an output per class."""
    from keras_fip import _checks as checks

    expected = checks.input_shape(network)
    if expected is not None and not checks.fits_shape(dataset.input_shape, expected):
        raise ValueError(f"--model {path} takes inputs of shape {checks.format_shape(expected)}, "
                         f"but the dataset's are {dataset.input_shape}")
    classes = checks.num_classes(network)
    if classes is not None and classes < dataset.num_classes:
        raise ValueError(f"--model {path} has {classes} outputs, but the dataset has labels "
                         f"up to {dataset.num_classes - 1}")


def run(args):
    targets, methods = _validate(args)

    import numpy as np
    import keras
    import tensorflow as tf

    import keras_fip
    from keras_fip import models, report
    from keras_fip.data import load_dataset
    from keras_fip.sparsity import baselines, export, fip
    from keras_fip.sparsity.plots import plot_accuracy_against_sparsity

    tf.get_logger().setLevel("ERROR")
    dataset = load_dataset(args.dataset, seed=args.seed, data_dir=args.data_dir)
    _checks.check_dataset_labels(dataset)
    x, y = dataset.x_train, dataset.y_train
    keras.utils.set_random_seed(args.seed)
    if args.model:
        network = _checks.load_network(args.model)
        _check_model_fits(network, dataset, args.model)
    out = report.ensure_dir(args.out)  # a folder that cannot be made stops before training
    if not args.model:
        network = models.get(args.architecture, input_shape=x.shape[1:],
                             num_classes=dataset.num_classes)
        network.compile(keras.optimizers.Adam(1e-3),
                        keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        print(f"training {args.architecture} on {dataset.name} for {args.epochs} epochs")
        network.fit(x, y, epochs=args.epochs, batch_size=128, verbose=args.verbose)

    def accuracy(model):
        predictions = model.predict(dataset.x_test, batch_size=1000, verbose=0)
        return float(np.mean(np.argmax(predictions, -1) == dataset.y_test))

    dense_accuracy = accuracy(network)
    print(f"dense test accuracy {dense_accuracy:.4f}; step budget {args.steps} at batch "
          f"{args.batch_size}")
    results, exports = [], {}
    # A live bar on a terminal; one line at the end in a redirected log.
    progress = keras.utils.Progbar(len(targets) * len(methods), unit_name="run",
                                   verbose=1 if sys.stdout.isatty() else 2)
    for target in targets:
        for method in methods:
            if method == "fip":
                path = args.steps // 2
                result = fip.sparsify(
                    network, x, y, sparsity=target, steps=path, learning_rate="auto",
                    batch_size=args.batch_size, finetune_steps=args.steps - path,
                    seed=args.seed, verbose=args.verbose)
            elif method == "tfmot":
                result = baselines.tfmot_polynomial(network, x, y, sparsity=target, steps=args.steps,
                                                    batch_size=args.batch_size, seed=args.seed)
            else:
                result = baselines.one_shot(network, x, y, sparsity=target, steps=args.steps,
                                            batch_size=args.batch_size, seed=args.seed)
            results.append({
                "method": method, "target_sparsity": target, "accuracy": accuracy(result.model),
                "measured_sparsity": result.sparsity, "path_steps": result.path_steps,
                "finetune_steps": result.finetune_steps, "seconds": result.seconds,
            })
            if method == "fip" and args.export:
                folder = os.path.join(args.export, f"sparsity_{target:g}")
                # The converter and the TFLite runtime log from C++ to stderr.
                with silenced_stderr(args.verbose < 2):
                    exports[str(target)] = export.export_sparse(
                        result.model, folder, overwrite=args.overwrite,
                        check_inputs=dataset.x_test, int8=args.int8,
                        train_data=(x, y) if args.int8 else None).to_dict()
            progress.add(1)

    plot_accuracy_against_sparsity(results, dense_accuracy, f"{out}/accuracy_vs_sparsity.png")
    payload = {
        "command": "keras-fip " + " ".join(shlex.quote(a) for a in args.argv),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "dataset": args.dataset, "dataset_split": dataset.split or dataset.description,
            "model": args.model or args.architecture, "steps": args.steps,
            "batch_size": args.batch_size, "seed": args.seed, "targets": targets,
            "methods": methods,
        },
        "dense_accuracy": dense_accuracy,
        "results": results,
        "exports": exports,
        "plots": ["accuracy_vs_sparsity.png"],
        "versions": {"keras_fip": keras_fip.__version__, "keras": keras.__version__,
                     "tensorflow": tf.__version__, "python": platform.python_version()},
    }
    report.write_json(f"{out}/report.json", payload)
    print()
    print(f"{'method':10s} {'target':>7s} {'sparsity':>9s} {'accuracy':>9s}")
    for r in results:
        print(f"{r['method']:10s} {r['target_sparsity']:7.2f} {r['measured_sparsity']:9.4f} "
              f"{r['accuracy']:9.4f}")
    for target, e in exports.items():
        files = e["files"]
        print(f"exported {target}: {e['directory']} (TFLite {files['tflite']['bytes']} B, "
              f"gzip {files['tflite']['gzip_bytes']} B; TFLite argmax agreement "
              f"{e['agreement']['tflite']['argmax_agreement']:.4f})")
    print(f"\nwrote {out}/report.json, {out}/accuracy_vs_sparsity.png")
    return 0
