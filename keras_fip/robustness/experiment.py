"""The robustness experiment: a FIP ensemble, the single network and a deep ensemble under attack.

`run_robust_experiment` is what `keras-fip robust` runs and what
`benchmarks/robustness.py` runs once per seed: train a network, grow an ensemble
along a weight-diversifying functionally invariant path from it, train a deep
ensemble of the same size as the baseline, attack all three through cleverhans
(transfer: examples crafted on the starting network; white-box: crafted on each
model) and return the report's payload.

Example:
    >>> from keras_fip.robustness.experiment import format_table, run_robust_experiment
    >>> report = run_robust_experiment(model="mlp", members=3, epochs=5, eps=[0.1])
    >>> print(format_table(report))  # doctest: +SKIP
"""

import math

from keras_fip import experiment_common

METHODS = ("single", "deep_ensemble", "fip_ensemble")


def run_robust_experiment(*, dataset="digits", data_dir=None, model="reference_cnn",
                          hidden=(256, 256), cnn_filters=None, cnn_dense=None, members=10,
                          attacks=("fgsm", "pgd"), eps=(0.1, 0.2, 0.3), clip_min=0.0,
                          clip_max=1.0, nb_iter=40, epochs=20, batch_size=32,
                          learning_rate=1e-3, steps_between=40, burn_in=200, step_length=0.2,
                          diversity_weight=1.0, path_batch_size=128, average="probabilities",
                          attack_samples=1000, whitebox_samples=200, matrix_samples=200,
                          whitebox=True, seed=0, verbose=0, progress=True):
    """Grows a FIP ensemble, trains the baselines, attacks them; returns the report's payload.

    Args:
        dataset: "digits", a .npz file, a folder of IDX files, "tfds:NAME", or a
            `keras_fip.data.Dataset`; its inputs must lie in [clip_min, clip_max].
        data_dir: tensorflow-datasets data folder for "tfds:" datasets.
        model: the network's name in `keras_fip.models`.
        hidden: hidden widths when `model` is "mlp".
        cnn_filters, cnn_dense: conv filters and Dense widths when `model` is
            "reference_cnn" (None: the reference notebook's).
        members: members of the FIP and of the deep ensemble.
        attacks: names among fgsm, fgm_l2, pgd, pgd_l2, bim, mim.
        eps: attack budgets (L-inf or L2, as the attack measures).
        clip_min, clip_max: the valid input range.
        nb_iter: iterations of pgd, bim and mim.
        epochs, batch_size, learning_rate: training of the start and of each
            deep-ensemble member.
        steps_between, burn_in, step_length, diversity_weight, path_batch_size:
            the FIP path (`grow_ensemble`).
        average: what the ensembles average, "probabilities" or "logits".
        attack_samples: test images attacked by transfer (the first N).
        whitebox_samples: test images attacked white-box (the first N).
        matrix_samples: test images of the transfer matrix.
        whitebox: run the white-box attacks.
        seed: seed of the split, the training, the path and the attacks.
        verbose: passed to Keras' `fit`.
        progress: print a line as each stage starts.

    Returns:
        The payload of `report.json` (everything but the header): `config`,
        `clean_accuracy`, `results` (`{setting: {method: {"clean": acc,
        attack: {eps: acc}}}}` for "transfer" and "white-box"), `compute`,
        `attack_seconds`, `members` (per ensemble: member accuracies, distances
        from the start, diversity) and `transfer_matrix`.

    Raises:
        ValueError: unknown or refused attacks, negative or non-finite eps, an
            L-inf eps wider than the clip range, data outside the clip range,
            or a network that cannot take the data.
        ImportError: cleverhans is not installed.
    """
    eps_values, attack_names = _check_attacks(attacks, eps, clip_min, clip_max)

    from keras_fip import models
    from keras_fip.robustness import analysis
    from keras_fip.robustness.attacks import Attack, cleverhans_module, generate
    from keras_fip.robustness.baselines import deep_ensemble, train_network
    from keras_fip.robustness.diversify import grow_ensemble

    cleverhans_module()  # a missing extra stops here, before any training
    say = experiment_common.printer(progress)
    data, dataset_name = experiment_common.load_data(dataset, seed=seed, data_dir=data_dir)
    experiment_common.check_labels(data)
    low = float(min(data.x_train.min(), data.x_test.min()))
    high = float(max(data.x_train.max(), data.x_test.max()))
    if low < clip_min or high > clip_max:
        raise ValueError(f"the data ranges over [{low:g}, {high:g}], outside the clip range "
                         f"[{clip_min:g}, {clip_max:g}]; set --clip-min/--clip-max")
    options = experiment_common.model_options(model, hidden, cnn_filters, cnn_dense)

    def build():
        return models.get(model, input_shape=data.input_shape, num_classes=data.num_classes,
                          **options)

    build()  # a network that cannot take this data fails here, before any training
    attack_list = [Attack(name, e, clip_min, clip_max, nb_iter, seed=seed)
                   for name in attack_names for e in eps_values]
    say(f"{data.name}: {data.split or data.description}")
    train = dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)

    say("training the starting network ...")
    start, start_cost = train_network(build, data.x_train, data.y_train, seed=seed,
                                      verbose=verbose, **train)
    say(f"growing the FIP ensemble ({members} members) ...")
    growth = grow_ensemble(
        start, data.x_train, members=members, steps_between=steps_between, burn_in=burn_in,
        step_length=step_length, diversity_weight=diversity_weight, batch_size=path_batch_size,
        average=average, seed=seed, verbose=verbose,
    )
    fip = growth.ensemble
    say(f"training the deep ensemble ({members} members) ...")
    deep, deep_cost = deep_ensemble(build, data.x_train, data.y_train, members=members,
                                    seed=seed, average=average, verbose=verbose, **train)
    path_examples = growth.steps * path_batch_size
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

    n = min(attack_samples, len(data.x_test))
    x, y = data.x_test[:n], data.y_test[:n]
    say(f"attacking {n} test images (transfer from the starting network) ...")
    clean = {name: analysis.accuracy(net, data.x_test, data.y_test)
             for name, net in methods.items()}
    clean_subset = {name: analysis.accuracy(net, x, y) for name, net in methods.items()}
    transfer, transfer_seconds = analysis.adversarial_accuracies(methods, x, y, attack_list,
                                                                 source=start)
    results = {"transfer": {name: {"clean": clean_subset[name], **transfer[name]}
                            for name in methods}}
    whitebox_seconds, m = None, None
    if whitebox:
        m = min(whitebox_samples, len(data.x_test))
        xw, yw = data.x_test[:m], data.y_test[:m]
        say(f"attacking {m} test images white-box ...")
        attacked, whitebox_seconds = analysis.adversarial_accuracies(methods, xw, yw, attack_list)
        results["white-box"] = {
            name: {"clean": analysis.accuracy(net, xw, yw), **attacked[name]}
            for name, net in methods.items()
        }

    k = min(matrix_samples, len(data.x_test))
    matrix_attack = Attack(attack_names[0], eps_values[len(eps_values) // 2], clip_min,
                           clip_max, nb_iter, seed=seed)
    say(f"transfer matrix ({matrix_attack.name}, eps {matrix_attack.eps:g}, {k} images) ...")
    networks = [start, *fip.members]
    labels = ["start", *[f"fip {i + 1}" for i in range(len(fip.members))]]
    matrix = analysis.transfer_matrix(networks, data.x_test[:k], data.y_test[:k], matrix_attack)
    strongest = max(attack_list, key=lambda a: (a.eps, a.name == attack_names[-1]))
    adversarial = generate(start, x, y, strongest)

    def member_report(ensemble):
        return {
            "clean_accuracy": analysis.member_accuracies(ensemble, data.x_test, data.y_test),
            "distances_from_start": analysis.distances_from_start(start, ensemble, data.x_train),
        }

    fip_members = {
        **member_report(fip),
        "path": growth.records,
        "diversity_clean": analysis.diversity(fip, x),
        "diversity_transfer": {"attack": strongest.describe(), **analysis.diversity(fip, adversarial)},
    }
    deep_members = {
        **member_report(deep),
        "diversity_clean": analysis.diversity(deep, x),
        "diversity_transfer": {"attack": strongest.describe(), **analysis.diversity(deep, adversarial)},
    }
    return {
        "config": {
            "dataset": dataset_name, "dataset_split": data.split or data.description,
            "train_samples": len(data.x_train), "test_samples": len(data.x_test),
            "attack_samples": n, "whitebox_samples": m, "matrix_samples": k,
            "model": {"kind": model, **options}, **train, "members": members,
            "fip": growth.config, "attacks": [a.describe() for a in attack_list],
            "seed": seed,
        },
        "clean_accuracy": clean,
        "results": results,
        "compute": compute,
        "attack_seconds": {"transfer": transfer_seconds, "white-box": whitebox_seconds},
        "members": {"fip_ensemble": fip_members, "deep_ensemble": deep_members},
        "transfer_matrix": {"attack": matrix_attack.describe(), "labels": labels, "matrix": matrix},
    }


def _check_attacks(attacks, eps, clip_min, clip_max):
    """The budgets and the attacks' canonical names, checked before any data is loaded."""
    from keras_fip.robustness.attacks import attack_name, attack_norm, check_clip_range

    eps = [float(value) for value in eps]
    for value in eps:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"--eps values must be finite and >= 0, got {value}")
    if not eps:
        raise ValueError("--eps: give at least one value")
    check_clip_range(clip_min, clip_max, ("--clip-min", "--clip-max"))
    try:
        names = [attack_name(a) for a in attacks]
    except ValueError as error:
        raise ValueError(f"--attacks: {error}") from None
    if not names:
        raise ValueError("--attacks: give at least one attack")
    width = clip_max - clip_min
    linf = [n for n in names if attack_norm(n) == math.inf]
    too_wide = [value for value in eps if value > width]
    if linf and too_wide:
        raise ValueError(
            f"--eps {too_wide[0]:g} is wider than the clip range [{clip_min:g}, "
            f"{clip_max:g}] (width {width:g}), so the L-infinity attacks "
            f"({', '.join(linf)}) would leave inputs unconstrained; give eps at most {width:g}"
        )
    return eps, list(dict.fromkeys(names))


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
