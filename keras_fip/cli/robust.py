"""`keras-fip robust`: FIP ensembles that keep the function against the single network,
a deep ensemble, FGE and snapshot ensembles, under adversarial attacks (transfer
from three attackers and white-box).

Parses the options into a `keras_fip.experiments.robust.RobustConfig`, runs it,
writes report.json and the plots, prints the table. The ensemble methods and
attacks are read from their registries (`ENSEMBLES`, `ATTACKS`).
"""

import argparse

from keras_fip.cli import _checks
from keras_fip.cli._console import quiet_tensorflow_logger
from keras_fip.cli._lists import at_least, non_negative, number_list, positive


def fraction(text):
    """An argparse type: a number strictly between 0 and 1."""
    value = positive(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {text}")
    return value


def unit(text):
    """An argparse type: a number in [0, 1]."""
    value = non_negative(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1] (0.01 is one point), got {text}")
    return value


def _names(registry):
    return ",".join(registry.names())


DEFAULT_ATTACKS = "fgsm,pgd,mim"
DEFAULT_ATTACKERS = "start,surrogate,other"

#: `RobustConfig` argument -> the option that sets it (errors name the option).
FLAGS = {
    "dataset": "--dataset", "data_dir": "--data-dir", "architecture": "--architecture",
    "hidden": "--hidden", "cnn_filters": "--cnn-filters", "cnn_dense": "--cnn-dense",
    "members": "--members", "methods": "--methods", "attackers": "--attackers",
    "surrogate_architecture": "--surrogate-architecture", "attacks": "--attacks",
    "eps": "--eps", "clip_min": "--clip-min", "clip_max": "--clip-max",
    "nb_iter": "--nb-iter", "epochs": "--epochs", "batch_size": "--batch-size",
    "learning_rate": "--learning-rate", "steps_between": "--steps-between",
    "burn_in": "--burn-in", "step_length": "--step-length",
    "diversity_weight": "--diversity-weight", "path_batch_size": "--path-batch-size",
    "validation_fraction": "--validation-fraction", "tolerance": "--tolerance",
    "max_distance": "--max-distance", "check_every": "--check-every",
    "max_candidates": "--max-candidates", "fge_lr_max": "--fge-lr-max",
    "fge_lr_min": "--fge-lr-min", "snapshot_lr": "--snapshot-lr", "average": "--average",
    "attack_samples": "--attack-samples", "whitebox_samples": "--whitebox-samples",
    "matrix_samples": "--matrix-samples", "whitebox": "--no-whitebox", "seed": "--seed",
    "verbose": "--verbose",
}


def add_parser(commands):
    parser = commands.add_parser(
        "robust",
        help="grow FIP ensembles from one network, compare with deep, FGE and snapshot "
        "ensembles under attack (cleverhans); report and plots",
        description="Train a network, grow ensembles along functionally invariant paths "
        "that keep its function (a trust region on the functional distance and an "
        "acceptance test, both on a validation split of the training data), train the "
        "peers with the same network, data and member count (deep, FGE, snapshot), and "
        "measure clean and adversarial accuracy: transfer (examples crafted on the "
        "starting network, on a surrogate of the same architecture and on one of another "
        "architecture) and white-box (crafted on each model). Writes report.json, "
        "accuracy_vs_eps.png and transfer_matrix.png.",
    )
    parser.add_argument("--dataset", default="digits",
                        help="'digits' (embedded, default), a .npz file, a folder of IDX "
                        "files, or tfds:NAME prepared in --data-dir; inputs must be in "
                        "the clip range")
    parser.add_argument("--data-dir", default=None, help="tensorflow-datasets data folder")
    from keras_fip.robustness.registry import ATTACKS, ENSEMBLES  # names only: no TensorFlow

    parser.add_argument("--architecture", default="reference_cnn",
                        help="network: reference_cnn (default), mlp, lenet_300_100, vgg11, "
                        "vgg16, resnet18, resnet20")
    # The option's name before the redesign (issue 23), still accepted.
    parser.add_argument("--model", dest="architecture", action=_checks.DeprecatedAlias,
                        new="--architecture")
    parser.add_argument("--hidden", default="256,256",
                        help="hidden widths of --architecture mlp")
    parser.add_argument("--cnn-filters", default=None,
                        help="filters of each conv block of --architecture reference_cnn "
                        "(default 32,64, the reference notebook's)")
    parser.add_argument("--cnn-dense", default=None,
                        help="hidden Dense widths of --architecture reference_cnn "
                        "(default 600,120)")
    parser.add_argument("--members", type=at_least(2), default=10,
                        help="members of every ensemble, at least 2 (default 10, as the paper)")
    parser.add_argument("--methods", default=_names(ENSEMBLES),
                        help=f"ensembles to build, comma-separated among {_names(ENSEMBLES)} "
                        "(fip: WeightDiversity path; fip_path: the paper's sampling, a random "
                        "secondary direction; default all)")
    parser.add_argument("--attackers", default=DEFAULT_ATTACKERS,
                        help="networks the transfer examples are crafted on: start, surrogate "
                        "(same architecture, another seed), other (--surrogate-architecture) "
                        f"(default {DEFAULT_ATTACKERS})")
    parser.add_argument("--surrogate-architecture", default="mlp",
                        help="the other attacker's architecture (default mlp, --hidden)")
    parser.add_argument("--surrogate-model", dest="surrogate_architecture",
                        action=_checks.DeprecatedAlias, new="--surrogate-architecture")
    parser.add_argument("--attacks", default=DEFAULT_ATTACKS,
                        help=f"comma-separated among {_names(ATTACKS)} (pgd, bim, mim and fgsm "
                        f"under L-inf; default {DEFAULT_ATTACKS})")
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
    parser.add_argument("--step-size", dest="step_length", type=positive,
                        action=_checks.DeprecatedAlias, new="--step-length")
    parser.add_argument("--diversity-weight", type=non_negative, default=1.0,
                        help="weight of the weight-diversity objective against the "
                        "functional distance (default 1)")
    parser.add_argument("--path-batch-size", type=at_least(1), default=None,
                        help="training samples per FIP path step (default: --batch-size, the "
                        "peers' batch, so compute compares example for example)")
    parser.add_argument("--validation-fraction", type=fraction, default=0.1,
                        help="share of the training data held out for the functional "
                        "constraint and the acceptance test (default 0.1)")
    parser.add_argument("--tolerance", type=unit, default=0.01,
                        help="validation accuracy a FIP member may lose against the start "
                        "(default 0.01, one point)")
    parser.add_argument("--max-distance", type=positive, default=0.05,
                        help="first radius of the functional trust region: mean Bhattacharyya "
                        "distance to the start on the validation split (default 0.05; it "
                        "narrows where members fail the tolerance)")
    parser.add_argument("--check-every", type=at_least(1), default=10,
                        help="FIP path steps between two trust-region checks (default 10)")
    parser.add_argument("--max-candidates", type=at_least(1), default=None,
                        help="most candidates a FIP path takes (default 2 x --members)")
    # Chosen on the digits' validation split (benchmarks/robustness_tuning.py).
    parser.add_argument("--fge-lr-max", type=positive, default=0.01,
                        help="FGE's highest cyclical learning rate (SGD; default 0.01)")
    parser.add_argument("--fge-lr-min", type=positive, default=1e-4,
                        help="FGE's lowest cyclical learning rate (default 0.0001)")
    parser.add_argument("--snapshot-lr", type=positive, default=0.02,
                        help="the snapshot ensemble's learning rate at each restart "
                        "(default 0.02)")
    parser.add_argument("--average", default="probabilities", choices=("probabilities", "logits"),
                        help="what the ensembles average (default probabilities)")
    parser.add_argument("--attack-samples", type=at_least(1), default=1000,
                        help="test images attacked (the first N; default 1000)")
    # White-box attacks on a 10-member ensemble cost 10x a single network's.
    parser.add_argument("--whitebox-samples", type=at_least(1), default=100,
                        help="test images attacked white-box (the first N; default 100)")
    parser.add_argument("--matrix-samples", type=at_least(1), default=200,
                        help="test images for the transfer matrix (default 200)")
    parser.add_argument("--no-whitebox", action="store_true", help="skip the white-box attacks")
    parser.add_argument("--seed", type=_checks.seed_type, default=0)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace the report and plots of an earlier run in --out "
                        "(other files there are never deleted)")
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


def config_from(args):
    """The `RobustConfig` the options stand for (lists parsed; nothing loaded)."""
    from keras_fip.experiments.robust import RobustConfig

    widths = {name: _widths(args, name) for name in ("hidden", "cnn_filters", "cnn_dense")}
    return RobustConfig(
        dataset=args.dataset, data_dir=args.data_dir, architecture=args.architecture, **widths,
        members=args.members, methods=args.methods.split(","),
        attackers=args.attackers.split(","), surrogate_architecture=args.surrogate_architecture,
        attacks=[a for a in args.attacks.split(",") if a.strip()],
        eps=number_list(args.eps, float, "--eps"), clip_min=args.clip_min,
        clip_max=args.clip_max, nb_iter=args.nb_iter, epochs=args.epochs,
        batch_size=args.batch_size, learning_rate=args.learning_rate,
        steps_between=args.steps_between, burn_in=args.burn_in, step_length=args.step_length,
        diversity_weight=args.diversity_weight, path_batch_size=args.path_batch_size,
        validation_fraction=args.validation_fraction, tolerance=args.tolerance,
        max_distance=args.max_distance, check_every=args.check_every,
        max_candidates=args.max_candidates, fge_lr_max=args.fge_lr_max,
        fge_lr_min=args.fge_lr_min, snapshot_lr=args.snapshot_lr,
        average=args.average, attack_samples=args.attack_samples,
        whitebox_samples=args.whitebox_samples, matrix_samples=args.matrix_samples,
        whitebox=not args.no_whitebox, seed=args.seed, verbose=args.verbose,
    )


def run(args):
    from keras_fip import report

    config = config_from(args)
    _refuse_unused(args)
    report.check_out_folder(args)  # another run's results are not replaced silently

    from keras_fip.experiments import robust, robust_plots

    quiet_tensorflow_logger()
    payload = robust.run(config)  # keras_fip.cli.main words its errors with FLAGS
    out = report.ensure_dir(args.out)
    matrix = payload["transfer_matrix"]
    robust_plots.plot_accuracy_vs_eps(payload["results"], f"{out}/accuracy_vs_eps.png")
    robust_plots.plot_transfer_matrix(
        matrix["matrix"], matrix["labels"], f"{out}/transfer_matrix.png",
        title=f"{matrix['attack']['attack']} eps {matrix['attack']['eps']:g}: "
        "accuracy of j on examples from i",
    )
    payload["plots"] = ["accuracy_vs_eps.png", "transfer_matrix.png"]
    report.write_report(out, payload, args.command_line)
    print()
    print(robust.format_table(payload))
    print(f"\nwrote {out}/report.json, {out}/accuracy_vs_eps.png, {out}/transfer_matrix.png")
    return 0


def _refuse_unused(args):
    """An option the run would never read is refused, not dropped without a word.

    The message names the option as typed (an old name, if the user gave one).
    """
    try:
        _refuse_unused_options(args)
    except ValueError as error:
        message = str(error)
        for new, old in getattr(args, "typed_aliases", {}).items():
            if message.startswith(new + " "):
                message = old + message[len(new):]
        raise ValueError(message) from None


def _refuse_unused_options(args):
    from keras_fip.experiments.robust import RobustConfig
    from keras_fip.robustness.registry import ENSEMBLES

    methods = {m.strip() for m in args.methods.split(",")}
    other = "other" in {a.strip() for a in args.attackers.split(",")}
    kinds = {args.architecture} | ({args.surrogate_architecture} if other else set())
    _checks.refuse_unused(args, "--data-dir", _checks.is_tfds(args.dataset),
                          f"on --dataset {args.dataset} (it is read for tfds:NAME only)")
    _checks.refuse_unused(args, "--hidden", "mlp" in kinds,
                          "unless --architecture or the other attacker (--surrogate-architecture) "
                          "is mlp", default="256,256")
    for option in ("--cnn-filters", "--cnn-dense"):
        _checks.refuse_unused(args, option, args.architecture == "reference_cnn",
                              f"on --architecture {args.architecture} (it shapes --architecture "
                              "reference_cnn)")
    _checks.refuse_unused(args, "--surrogate-architecture", other,
                          "without the attacker other in --attackers", default="mlp")
    _checks.refuse_unused(args, "--whitebox-samples", not args.no_whitebox,
                          "with --no-whitebox", default=100)
    defaults = RobustConfig()
    for name in ENSEMBLES.names():  # settings only one method reads
        if name in methods:
            continue
        for option in ENSEMBLES.get(name).options:
            _checks.refuse_unused(args, FLAGS[option], False, f"without {name} in --methods",
                                  default=getattr(defaults, option))
