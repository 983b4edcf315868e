"""`keras-fip robust`: a FIP ensemble against the single network and a deep ensemble,
under adversarial attacks (transfer and white-box).

Parses the options, runs `keras_fip.robustness.experiment.run_robust_experiment`,
writes report.json and the plots, prints the table.
"""

import argparse

from keras_fip.cli import _checks
from keras_fip.cli._lists import at_least, non_negative, number_list, positive

DEFAULT_ATTACKS = "fgsm,pgd"


def add_parser(commands):
    parser = commands.add_parser(
        "robust",
        help="grow a FIP ensemble from one network and attack it (cleverhans); report and plots",
        description="Train a network, grow an ensemble along a weight-diversifying "
        "functionally invariant path, train a deep ensemble of the same size as a "
        "baseline, and measure clean and adversarial accuracy of all three: transfer "
        "(examples crafted on the starting network) and white-box (crafted on each "
        "model). Writes report.json, accuracy_vs_eps.png and transfer_matrix.png.",
    )
    parser.add_argument("--dataset", default="digits",
                        help="'digits' (embedded, default), a .npz file, a folder of IDX "
                        "files, or tfds:NAME prepared in --data-dir; inputs must be in "
                        "the clip range")
    parser.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    parser.add_argument("--model", default="reference_cnn",
                        help="network: reference_cnn (default), mlp, lenet_300_100, vgg11, "
                        "vgg16, resnet18, resnet20")
    parser.add_argument("--hidden", default="256,256", help="hidden widths of --model mlp")
    parser.add_argument("--cnn-filters", default=None,
                        help="filters of each conv block of --model reference_cnn "
                        "(default 32,64, the reference notebook's)")
    parser.add_argument("--cnn-dense", default=None,
                        help="hidden Dense widths of --model reference_cnn (default 600,120)")
    parser.add_argument("--members", type=at_least(2), default=10,
                        help="members of the FIP and deep ensembles, at least 2 (default 10, "
                        "as the paper)")
    parser.add_argument("--attacks", default=DEFAULT_ATTACKS,
                        help="comma-separated among fgsm, fgm_l2, pgd (L-inf), pgd_l2, bim, mim "
                        f"(default {DEFAULT_ATTACKS})")
    parser.add_argument("--eps", default="0.1,0.2,0.3",
                        help="attack budgets, comma-separated (L-inf for fgsm/pgd/bim/mim, "
                        "L2 for fgm_l2/pgd_l2; default 0.1,0.2,0.3)")
    parser.add_argument("--clip-min", type=_checks.finite, default=0.0,
                        help="lowest valid input (default 0)")
    parser.add_argument("--clip-max", type=_checks.finite, default=1.0,
                        help="highest valid input (default 1)")
    parser.add_argument("--nb-iter", type=at_least(1), default=40,
                        help="iterations of pgd, bim and mim (default 40)")
    # Enough steps for BatchNormalization's moving statistics to settle: with
    # 10 epochs of batch 64 on the digits (230 steps) the CNN is at chance in
    # inference mode while right in training mode.
    parser.add_argument("--epochs", type=at_least(1), default=20,
                        help="training epochs of the start and of each deep-ensemble member "
                        "(default 20)")
    parser.add_argument("--batch-size", type=at_least(1), default=32)
    parser.add_argument("--learning-rate", type=positive, default=1e-3)
    parser.add_argument("--steps-between", type=at_least(1), default=40,
                        help="FIP path steps between two members (default 40)")
    parser.add_argument("--burn-in", type=at_least(0), default=200,
                        help="FIP path steps before the first member's stretch (default 200)")
    parser.add_argument("--step-length", type=positive, default=0.2,
                        help="length of each FIP path step in weight space (default 0.2)")
    # The option's name before keras-fip 0.2, still accepted.
    parser.add_argument("--step-size", dest="step_length", type=positive, help=argparse.SUPPRESS)
    parser.add_argument("--diversity-weight", type=non_negative, default=1.0,
                        help="weight of the weight-diversity objective against the "
                        "functional distance (default 1)")
    parser.add_argument("--path-batch-size", type=at_least(1), default=128,
                        help="training samples per FIP path step (default 128)")
    parser.add_argument("--average", default="probabilities", choices=("probabilities", "logits"),
                        help="what the ensembles average (default probabilities)")
    parser.add_argument("--attack-samples", type=at_least(1), default=1000,
                        help="test images attacked (the first N; default 1000)")
    parser.add_argument("--whitebox-samples", type=at_least(1), default=200,
                        help="test images attacked white-box (the first N; default 200)")
    parser.add_argument("--matrix-samples", type=at_least(1), default=200,
                        help="test images for the transfer matrix (default 200)")
    parser.add_argument("--no-whitebox", action="store_true", help="skip the white-box attacks")
    parser.add_argument("--seed", type=_checks.seed_type, default=0)
    parser.add_argument("--out", default="keras-fip-robust",
                        help="folder for report.json and plots (default ./keras-fip-robust)")
    parser.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2))
    parser.set_defaults(run=run)
    return parser


def _widths(args, name):
    """`--hidden`, `--cnn-filters` or `--cnn-dense` as a list of positive integers (or None)."""
    text = getattr(args, name)
    if not text:
        return None
    if not all(v.strip().isdigit() and int(v) > 0 for v in text.split(",")):
        raise ValueError(f"--{name.replace('_', '-')}: expected comma-separated positive "
                         f"integers, got {text!r}")
    return [int(v) for v in text.split(",")]


def run(args):
    from keras_fip import report

    eps = number_list(args.eps, float, "--eps")
    widths = {name: _widths(args, name) for name in ("hidden", "cnn_filters", "cnn_dense")}
    attacks = [a for a in args.attacks.split(",") if a.strip()]
    report.check_folder(args.out, "--out")

    import tensorflow as tf

    from keras_fip.robustness import plots
    from keras_fip.robustness.experiment import format_table, run_robust_experiment

    tf.get_logger().setLevel("ERROR")
    payload = run_robust_experiment(
        dataset=args.dataset, data_dir=args.data_dir, model=args.model, **widths,
        members=args.members, attacks=attacks, eps=eps, clip_min=args.clip_min,
        clip_max=args.clip_max, nb_iter=args.nb_iter, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate,
        steps_between=args.steps_between, burn_in=args.burn_in, step_length=args.step_length,
        diversity_weight=args.diversity_weight, path_batch_size=args.path_batch_size,
        average=args.average, attack_samples=args.attack_samples,
        whitebox_samples=args.whitebox_samples, matrix_samples=args.matrix_samples,
        whitebox=not args.no_whitebox, seed=args.seed, verbose=args.verbose,
    )
    out = report.ensure_dir(args.out)
    matrix = payload["transfer_matrix"]
    plots.plot_accuracy_vs_eps(payload["results"], f"{out}/accuracy_vs_eps.png")
    plots.plot_transfer_matrix(
        matrix["matrix"], matrix["labels"], f"{out}/transfer_matrix.png",
        title=f"{matrix['attack']['attack']} eps {matrix['attack']['eps']:g}: "
        "accuracy of j on examples from i",
    )
    payload["plots"] = ["accuracy_vs_eps.png", "transfer_matrix.png"]
    report.write_report(out, payload, args.command_line)
    print()
    print(format_table(payload))
    print(f"\nwrote {out}/report.json, {out}/accuracy_vs_eps.png, {out}/transfer_matrix.png")
    return 0
