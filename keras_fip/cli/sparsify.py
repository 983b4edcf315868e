"""`keras-fip sparsify`: sparsify a network along a FIP beside global-magnitude and tfmot pruning.

Parses the options into a `keras_fip.experiments.sparsify.SparsifyConfig`, runs
it, writes report.json and the plot, prints the table. The method names and
their help come from the registry (`keras_fip.sparsity.registry`, which needs
no TensorFlow).
"""

from keras_fip.cli import _checks
from keras_fip.cli._console import quiet_tensorflow_logger
from keras_fip.cli._lists import at_least, number_list
from keras_fip.sparsity.registry import DEFAULT_METHODS, METHODS

METHOD_NAMES = METHODS.names()
#: The library's argument names (in its error messages) and this command's flags.
FLAGS = {
    "dataset": "--dataset", "data_dir": "--data-dir", "model": "--model",
    "architecture": "--architecture", "epochs": "--epochs", "sparsity": "--sparsity",
    "methods": "--methods", "steps": "--steps", "min_density": "--min-density",
    "batch_size": "--batch-size", "validation_fraction": "--validation-fraction",
    "label_free": "--label-free", "export": "--export", "int8": "--int8",
    "overwrite": "--overwrite", "seed": "--seed", "verbose": "--verbose",
}


def add_parser(commands):
    parser = commands.add_parser(
        "sparsify",
        help="sparsify a trained network along a FIP, beside magnitude and tfmot pruning",
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
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help=f"comma-separated among {', '.join(METHOD_NAMES)} (default "
                        f"{','.join(DEFAULT_METHODS)}; "
                        + "; ".join(f"{name}: {METHODS.get(name).summary}"
                                    for name in METHOD_NAMES) + ")")
    parser.add_argument("--steps", type=at_least(2), default=1000,
                        help="step budget of every method at --batch-size (default 1000); FIP's "
                        "path takes at most half and stops once it reaches the sparse set, the "
                        "rest fine-tunes with the mask held")
    parser.add_argument("--min-density", type=_density, default=0.0,
                        help="least fraction of each layer's weights kept, for every method "
                        "(default 0: one global cut, which may empty a small layer)")
    parser.add_argument("--batch-size", type=at_least(1), default=200)
    parser.add_argument("--validation-fraction", type=_fraction, default=0.1,
                        help="fraction of each class of the training data held out to measure "
                        "what a FIP path kept (accuracy at arrival, 'kept'); every method "
                        "trains on the rest (default 0.1; 0: hold nothing out)")
    parser.add_argument("--label-free", action="store_true",
                        help="prune without labels wherever a method can: the FIP methods and "
                        "oneshot_kd / gmp_kd train on the dense network's outputs only, oneshot "
                        "prunes without fine-tuning; gmp and tfmot still train on labels and are "
                        "named 'gmp (labels)' etc. in the report (test accuracy is measured on "
                        "labelled test data as always)")
    parser.add_argument("--export", default=None,
                        help="folder to write the FIP models to (one subfolder per sparsity: "
                        "model.keras, saved_model/, model.tflite)")
    parser.add_argument("--int8", action="store_true",
                        help="also export int8 TFLite by sparsity-preserving quantisation-aware training")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an earlier run's report and plots in --out and its "
                        "exports in --export (files they did not write are never deleted)")
    parser.add_argument("--seed", type=_checks.seed_type, default=0)
    parser.add_argument("--out", default="keras-fip-sparsify",
                        help="folder for report.json and the plot (default ./keras-fip-sparsify)")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2))
    parser.set_defaults(run=run)
    return parser


def run(args):
    from keras_fip import report

    targets = number_list(args.sparsity, float, "--sparsity")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    # Options this run would never read are refused, not dropped without a word.
    _checks.refuse_unused(args, "--data-dir", _checks.is_tfds(args.dataset),
                          f"on --dataset {args.dataset} (it is read for tfds:NAME only)")
    for option, default in (("--architecture", "lenet_300_100"), ("--epochs", 20)):
        _checks.refuse_unused(args, option, not args.model,
                              "with --model (the network is loaded, not trained first)",
                              default=default)
    report.check_out_folder(args)  # another run's results are not replaced silently

    from keras_fip.experiments.sparsify import SparsifyConfig, format_table, run as run_config
    from keras_fip.experiments.sparsify_plots import plot_accuracy_against_sparsity

    quiet_tensorflow_logger()
    config = SparsifyConfig(
        dataset=args.dataset, data_dir=args.data_dir, model=args.model or None,
        architecture=args.architecture, epochs=args.epochs, sparsity=targets, methods=methods,
        steps=args.steps, batch_size=args.batch_size, export=args.export, int8=args.int8,
        min_density=args.min_density, validation_fraction=args.validation_fraction,
        label_free=args.label_free,
        overwrite=args.overwrite, seed=args.seed, verbose=args.verbose,
    )
    payload = run_config(config)  # its errors name arguments; main says FLAGS instead
    out = report.ensure_dir(args.out)
    plot_accuracy_against_sparsity(payload["results"], payload["dense_accuracy"],
                                   f"{out}/accuracy_vs_sparsity.png")
    payload["plots"] = ["accuracy_vs_sparsity.png"]
    report.write_report(out, payload, args.command_line)
    print()
    print(format_table(payload))
    print(f"\nwrote {out}/report.json, {out}/accuracy_vs_sparsity.png")
    return 0


_density = _checks.below_one("the least fraction of each layer's weights kept")
_fraction = _checks.below_one("the fraction of each class held out for validation")
