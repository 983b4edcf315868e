"""`keras-fip robust`: a FIP ensemble against the single network and a deep ensemble,
under adversarial attacks (transfer and white-box)."""

import math
import platform
import shlex
import time

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
    parser.add_argument("--step-size", type=positive, default=0.2,
                        help="length of each FIP path step in weight space (default 0.2)")
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


def _validate(args):
    """Checks every option before any data is loaded; returns the budgets and attacks."""
    from keras_fip.robustness.attacks import attack_name, attack_norm, check_clip_range

    eps = number_list(args.eps, float, "--eps")
    for name in ("hidden", "cnn_filters", "cnn_dense"):
        text = getattr(args, name)
        if text and not all(v.strip().isdigit() and int(v) > 0 for v in text.split(",")):
            raise ValueError(f"--{name.replace('_', '-')}: expected comma-separated positive "
                             f"integers, got {text!r}")
    for value in eps:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"--eps values must be finite and >= 0, got {value}")
    check_clip_range(args.clip_min, args.clip_max, ("--clip-min", "--clip-max"))
    try:
        names = [attack_name(a) for a in args.attacks.split(",") if a.strip()]
    except ValueError as error:
        raise ValueError(f"--attacks: {error}") from None
    if not names:
        raise ValueError("--attacks: give at least one attack")
    width = args.clip_max - args.clip_min
    linf = [n for n in names if attack_norm(n) == math.inf]
    too_wide = [value for value in eps if value > width]
    if linf and too_wide:
        raise ValueError(
            f"--eps {too_wide[0]:g} is wider than the clip range [{args.clip_min:g}, "
            f"{args.clip_max:g}] (width {width:g}), so the L-infinity attacks "
            f"({', '.join(linf)}) would leave inputs unconstrained; give eps at most {width:g}"
        )
    _checks.out_folder(args.out, "--out")
    return eps, list(dict.fromkeys(names))


def run(args):
    eps_values, attack_names = _validate(args)

    import keras
    import numpy as np
    import tensorflow as tf

    import keras_fip
    from keras_fip import models, report
    from keras_fip.data import load_dataset
    from keras_fip.robustness import analysis, plots
    from keras_fip.robustness.attacks import Attack, _cleverhans
    from keras_fip.robustness.baselines import deep_ensemble, train_network
    from keras_fip.robustness.diversify import grow_ensemble

    _cleverhans()  # a missing extra stops here, before any training
    tf.get_logger().setLevel("ERROR")
    dataset = load_dataset(args.dataset, seed=args.seed, data_dir=args.data_dir)
    _checks.check_dataset_labels(dataset)
    low = float(min(dataset.x_train.min(), dataset.x_test.min()))
    high = float(max(dataset.x_train.max(), dataset.x_test.max()))
    if low < args.clip_min or high > args.clip_max:
        raise ValueError(f"the data ranges over [{low:g}, {high:g}], outside the clip range "
                         f"[{args.clip_min:g}, {args.clip_max:g}]; set --clip-min/--clip-max")
    options = {"hidden": [int(h) for h in args.hidden.split(",") if h.strip()]} if args.model == "mlp" else {}
    if args.model == "reference_cnn":
        if args.cnn_filters:
            options["filters"] = [int(v) for v in args.cnn_filters.split(",") if v.strip()]
        if args.cnn_dense:
            options["dense"] = [int(v) for v in args.cnn_dense.split(",") if v.strip()]
    build = lambda: models.get(  # noqa: E731
        args.model, input_shape=dataset.input_shape, num_classes=dataset.num_classes, **options
    )
    build()  # a network that cannot take this data fails here, before any training
    attacks = [Attack(name, e, args.clip_min, args.clip_max, args.nb_iter, seed=args.seed)
               for name in attack_names for e in eps_values]
    out = report.ensure_dir(args.out)
    print(f"{dataset.name}: {dataset.split or dataset.description}")
    train = dict(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.learning_rate)

    print("training the starting network ...", flush=True)
    start, start_cost = train_network(build, dataset.x_train, dataset.y_train, seed=args.seed,
                                      verbose=args.verbose, **train)
    print(f"growing the FIP ensemble ({args.members} members) ...", flush=True)
    growth = grow_ensemble(
        start, dataset.x_train, members=args.members, steps_between=args.steps_between,
        burn_in=args.burn_in, step_size=args.step_size, diversity_weight=args.diversity_weight,
        batch_size=args.path_batch_size, average=args.average, seed=args.seed,
        verbose=args.verbose,
    )
    fip = growth.ensemble
    print(f"training the deep ensemble ({args.members} members) ...", flush=True)
    deep, deep_cost = deep_ensemble(build, dataset.x_train, dataset.y_train, members=args.members,
                                    seed=args.seed, average=args.average, verbose=args.verbose,
                                    **train)
    path_examples = growth.steps * args.path_batch_size
    compute = {
        "single": dict(start_cost),
        "deep_ensemble": deep_cost,
        "fip_ensemble": {
            "steps": start_cost["steps"] + growth.steps,
            "examples": start_cost["examples"] + path_examples,
            "seconds": start_cost["seconds"] + growth.seconds,
            "path_steps": growth.steps, "path_examples": path_examples,
            "path_seconds": growth.seconds,
        },
    }
    methods = {"single": start, "deep_ensemble": deep, "fip_ensemble": fip}

    n = min(args.attack_samples, len(dataset.x_test))
    x, y = dataset.x_test[:n], dataset.y_test[:n]
    print(f"attacking {n} test images (transfer from the starting network) ...", flush=True)
    clean = {name: analysis.accuracy(model, dataset.x_test, dataset.y_test)
             for name, model in methods.items()}
    clean_subset = {name: analysis.accuracy(model, x, y) for name, model in methods.items()}
    transfer, transfer_seconds = analysis.adversarial_accuracies(methods, x, y, attacks, source=start)
    results = {"transfer": {name: {"clean": clean_subset[name], **transfer[name]} for name in methods}}
    whitebox_seconds = None
    if not args.no_whitebox:
        m = min(args.whitebox_samples, len(dataset.x_test))
        xw, yw = dataset.x_test[:m], dataset.y_test[:m]
        print(f"attacking {m} test images white-box ...", flush=True)
        whitebox, whitebox_seconds = analysis.adversarial_accuracies(methods, xw, yw, attacks)
        results["white-box"] = {
            name: {"clean": analysis.accuracy(model, xw, yw), **whitebox[name]}
            for name, model in methods.items()
        }

    k = min(args.matrix_samples, len(dataset.x_test))
    matrix_attack = Attack(attack_names[0], eps_values[len(eps_values) // 2], args.clip_min,
                           args.clip_max, args.nb_iter, seed=args.seed)
    print(f"transfer matrix ({matrix_attack.name}, eps {matrix_attack.eps:g}, {k} images) ...", flush=True)
    networks = [start, *fip.members]
    labels = ["start", *[f"fip {i + 1}" for i in range(len(fip.members))]]
    matrix = analysis.transfer_matrix(networks, dataset.x_test[:k], dataset.y_test[:k], matrix_attack)
    strongest = max(attacks, key=lambda a: (a.eps, a.name == attack_names[-1]))
    from keras_fip.robustness.attacks import generate

    adversarial = generate(start, x, y, strongest)
    fip_members = {
        "clean_accuracy": analysis.member_accuracies(fip, dataset.x_test, dataset.y_test),
        "distances_from_start": analysis.distances_from_start(start, fip, dataset.x_train),
        "path": growth.records,
        "diversity_clean": analysis.diversity(fip, x),
        "diversity_transfer": {"attack": strongest.describe(), **analysis.diversity(fip, adversarial)},
    }
    deep_members = {
        "clean_accuracy": analysis.member_accuracies(deep, dataset.x_test, dataset.y_test),
        "distances_from_start": analysis.distances_from_start(start, deep, dataset.x_train),
        "diversity_clean": analysis.diversity(deep, x),
        "diversity_transfer": {"attack": strongest.describe(), **analysis.diversity(deep, adversarial)},
    }

    plots.plot_accuracy_vs_eps(results, f"{out}/accuracy_vs_eps.png")
    plots.plot_transfer_matrix(
        matrix, labels, f"{out}/transfer_matrix.png",
        title=f"{matrix_attack.name} eps {matrix_attack.eps:g}: accuracy of j on examples from i",
    )
    payload = {
        "command": "keras-fip " + " ".join(shlex.quote(a) for a in args.argv),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "config": {
            "dataset": args.dataset, "dataset_split": dataset.split or dataset.description,
            "train_samples": len(dataset.x_train), "test_samples": len(dataset.x_test),
            "attack_samples": n,
            "whitebox_samples": None if args.no_whitebox else min(args.whitebox_samples, len(dataset.x_test)),
            "matrix_samples": k,
            "model": {"kind": args.model, **options}, **train, "members": args.members,
            "fip": growth.config, "attacks": [a.describe() for a in attacks],
            "seed": args.seed,
        },
        "clean_accuracy": clean,
        "results": results,
        "compute": compute,
        "attack_seconds": {"transfer": transfer_seconds, "white-box": whitebox_seconds},
        "members": {"fip_ensemble": fip_members, "deep_ensemble": deep_members},
        "transfer_matrix": {"attack": matrix_attack.describe(), "labels": labels, "matrix": matrix},
        "plots": ["accuracy_vs_eps.png", "transfer_matrix.png"],
        "versions": {"keras_fip": keras_fip.__version__, "keras": keras.__version__,
                     "tensorflow": tf.__version__, "python": platform.python_version()},
    }
    report.write_json(f"{out}/report.json", payload)
    print()
    print(format_table(payload))
    print(f"\nwrote {out}/report.json, {out}/accuracy_vs_eps.png, {out}/transfer_matrix.png")
    del np
    return 0


def format_table(payload):
    """Plain-text table: clean and adversarial accuracy per method and setting."""
    lines = []
    for setting, methods in payload["results"].items():
        columns = [(a, e) for a, row in next(iter(methods.values())).items() if a != "clean"
                   for e in row]
        header = f"{setting:<14} {'clean':>6} " + " ".join(f"{a + ' ' + e:>10}" for a, e in columns)
        lines += [header, "-" * len(header)]
        for name, row in methods.items():
            lines.append(f"{name:<14} {row['clean']:>6.3f} "
                         + " ".join(f"{row[a][e]:>10.3f}" for a, e in columns))
        lines.append("")
    compute = payload["compute"]
    lines.append("training compute: " + "; ".join(
        f"{name} {c['steps']} steps, {c['seconds']:.0f}s" for name, c in compute.items()))
    return "\n".join(lines)
