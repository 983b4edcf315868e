"""The robustness experiment: ensembles that keep the function against their peers, under attack.

`run_robust_experiment` is what `keras-fip robust` runs and what
`benchmarks/robustness.py` runs once per seed:

1. carve a validation split (stratified, `validation_fraction`) from the
   training data; every method trains on the rest, and the FIP paths measure
   their functional constraint and accept members on it (never on the test split);
2. train the starting network;
3. build the ensembles asked for (`methods`), all with the same network, data
   and member count:
   - `fip`: members along a weight-diversifying functionally invariant path
     (`WeightDiversity`, our design) held by a functional trust region and
     accepted only within `tolerance` of the start's validation accuracy;
   - `fip_path`: the paper's sampling, members along a path under the same
     functional constraint with a random secondary direction instead of
     `WeightDiversity` (`RandomDirection`);
   - `deep`: independently trained networks (deep ensemble);
   - `fge`: fast geometric ensembling from the start (Garipov et al. 2018);
   - `snapshot`: snapshot ensemble from scratch (Huang et al. 2017);
4. train the attackers' own networks (`attackers`): `surrogate`, the same
   architecture from another seed, and `other`, another architecture
   (`surrogate_model`); `start` is the starting network itself;
5. attack a fixed subset of the test split: transfer from each attacker, and
   white-box with each model's own gradient; return the report's payload.

Example:
    >>> from keras_fip.robustness.experiment import format_table, run_robust_experiment
    >>> report = run_robust_experiment(model="mlp", members=3, epochs=5, eps=[0.1])
    >>> print(format_table(report))  # doctest: +SKIP
"""

import math


from keras_fip.experiments import common as experiment_common

# `--methods` name -> the report's name for that ensemble.
METHODS = {"fip": "fip_ensemble", "fip_path": "fip_path_ensemble", "deep": "deep_ensemble",
           "fge": "fge_ensemble", "snapshot": "snapshot_ensemble"}
# `--attackers` name -> the transfer setting it gives in the report.
ATTACKERS = {"start": "transfer", "surrogate": "transfer_surrogate",
             "other": "transfer_other_arch"}
DEFAULT_METHODS = ("fip", "fip_path", "deep", "fge", "snapshot")
DEFAULT_ATTACKERS = ("start", "surrogate", "other")
DESCRIPTIONS = {
    "fip_ensemble": "members along a FIP with WeightDiversity (ours), functional trust region, "
                    "accepted within the tolerance",
    "fip_path_ensemble": "members along a FIP with a random secondary direction (the paper's "
                         "sampling), same trust region and acceptance",
    "deep_ensemble": "independently trained networks (seeds 1000*seed+1..members)",
    "fge_ensemble": "fast geometric ensembling from the start: SGD, triangular cyclical "
                    "learning rate, a member at each cycle's middle",
    "snapshot_ensemble": "snapshot ensemble from scratch: SGD, cosine annealing with "
                         "restarts, a member at each cycle's end",
}


#: How `compute` counts, written into every report.
COMPUTE_CONVENTION = (
    "examples: training inputs through the network forward and backward (steps x batch; "
    "Keras epochs count each training input once); validation_examples: inputs passed "
    "forward only on the validation split (the FIP paths' trust-region checks, acceptance "
    "tests and the start's outputs and accuracy there); anchor_examples: inputs passed "
    "forward only to cache the start's outputs on the training data (once per FIP path); "
    "total_examples = examples + validation_examples + anchor_examples, a forward-only "
    "input counted as one example (generous: it costs about a third of a training "
    "example). Methods built from the starting network (fip, fip_path, fge) include its "
    "training; evaluation on the test split and the attacks are not training compute."
)


def split_validation(x, y, fraction, seed):
    """`(x_fit, y_fit, x_val, y_val)`: `fraction` of each class held out, by `seed`.

    `keras_fip.data.splits.validation_split` with this job's offset (10,000):
    the same images as before the split was shared.
    """
    from keras_fip.data.splits import VALIDATION_OFFSETS, validation_split

    return validation_split(x, y, fraction, seed, offset=VALIDATION_OFFSETS["robustness"])


def run_robust_experiment(*, dataset="digits", data_dir=None, model="reference_cnn",
                          hidden=(256, 256), cnn_filters=None, cnn_dense=None, members=10,
                          methods=DEFAULT_METHODS, attackers=DEFAULT_ATTACKERS,
                          surrogate_model="mlp", attacks=("fgsm", "pgd", "mim"),
                          eps=(0.1, 0.2, 0.3), clip_min=0.0, clip_max=1.0, nb_iter=40,
                          epochs=20, batch_size=32, learning_rate=1e-3, steps_between=40,
                          burn_in=200, step_length=0.2, diversity_weight=1.0,
                          path_batch_size=None, validation_fraction=0.1, tolerance=0.01,
                          max_distance=0.05, check_every=10, max_candidates=None,
                          fge_lr_max=0.01, fge_lr_min=1e-4, snapshot_lr=0.02,
                          average="probabilities", attack_samples=1000, whitebox_samples=100,
                          matrix_samples=200, whitebox=True, seed=0, verbose=0, progress=True):
    """Builds the ensembles, the attackers' networks, attacks them; returns the report's payload.

    Args:
        dataset: "digits", a .npz file, a folder of IDX files, "tfds:NAME", or a
            `keras_fip.data.Dataset`; its inputs must lie in [clip_min, clip_max].
        data_dir: tensorflow-datasets data folder for "tfds:" datasets.
        model: the network's name in `keras_fip.models`.
        hidden: hidden widths when `model` (or `surrogate_model`) is "mlp".
        cnn_filters, cnn_dense: conv filters and Dense widths when `model` is
            "reference_cnn" (None: the reference notebook's).
        members: members of every ensemble.
        methods: among "fip", "fip_path", "deep", "fge", "snapshot" (the single
            starting network is always measured).
        attackers: whose gradients craft the transfer examples, among "start"
            (the starting network), "surrogate" (same architecture, another
            seed) and "other" (`surrogate_model`, another seed).
        surrogate_model: the other architecture's name in `keras_fip.models`.
        attacks: names among fgsm, fgm_l2, pgd, pgd_l2, bim, mim.
        eps: attack budgets (L-inf or L2, as the attack measures).
        clip_min, clip_max: the valid input range.
        nb_iter: iterations of pgd, bim and mim.
        epochs, batch_size, learning_rate: training of the start, of the
            attackers' networks and of each deep-ensemble member (Adam).
        steps_between, burn_in, step_length, diversity_weight, path_batch_size,
            tolerance, max_distance, check_every, max_candidates: the FIP paths
            (`grow_ensemble`); `max_distance` is the trust region's first radius;
            `path_batch_size` None (the default) is `batch_size`, the peers' batch.
        validation_fraction: share of the training data held out for the
            constraint and the acceptance test.
        fge_lr_max, fge_lr_min: FGE's cyclical learning rates (SGD, momentum 0.9).
        snapshot_lr: the snapshot ensemble's learning rate at each restart.
        average: what the ensembles average, "probabilities" or "logits".
        attack_samples: test images attacked by transfer (the first N).
        whitebox_samples: test images attacked white-box (the first N).
        matrix_samples: test images of the member transfer matrix.
        whitebox: run the white-box attacks.
        seed: seed of the split, the training, the paths and the attacks.
        verbose: passed to Keras' `fit`.
        progress: print a line as each stage starts.

    Returns:
        The payload of `report.json` (everything but the header): `config`,
        `clean_accuracy`, `results` (`{setting: {method: {"clean": acc,
        attack: {eps: acc}}}}` for "transfer" (from the start),
        "transfer_surrogate", "transfer_other_arch" and "white-box"), `compute`
        (per method, the starting network's training included where the method
        starts from it: `steps`, `examples` through the network forward and
        backward, `validation_examples` and `anchor_examples` passed forward
        only, `total_examples` their sum, `seconds`; see `COMPUTE_CONVENTION`),
        `attack_seconds`, `members` (per
        ensemble: member accuracies, distances from the start, diversity; for
        the FIP ensembles the accepted and rejected candidates) and
        `transfer_matrix`.

    Raises:
        ValueError: unknown methods, attackers or attacks, refused attacks,
            negative or non-finite eps, an L-inf eps wider than the clip range,
            data outside the clip range, or a network that cannot take the data.
        ImportError: cleverhans is not installed.
    """
    eps_values, attack_names = _check_attacks(attacks, eps, clip_min, clip_max)
    path_batch_size = batch_size if path_batch_size is None else path_batch_size
    method_keys = _check_names(methods, METHODS, "--methods")
    attacker_keys = _check_names(attackers, ATTACKERS, "--attackers")
    if not 0.0 < float(validation_fraction) < 1.0:
        raise ValueError(f"--validation-fraction must be in (0, 1), got {validation_fraction}")
    if not 0.0 <= float(tolerance) <= 1.0:
        raise ValueError(f"--tolerance must be in [0, 1] (0.01 is one point), got {tolerance}")
    if float(fge_lr_min) > float(fge_lr_max):
        raise ValueError(f"--fge-lr-min ({fge_lr_min:g}) must not exceed --fge-lr-max "
                         f"({fge_lr_max:g})")
    # Checked here, not when the path starts: that is after the start has trained.
    if max_candidates is not None and int(max_candidates) < int(members):
        raise ValueError(f"--max-candidates ({max_candidates}) must be at least --members "
                         f"({members}): each member is one accepted candidate of the path")

    from keras_fip import models
    from keras_fip.robustness import analysis
    from keras_fip.robustness.attacks import Attack, cleverhans_module, generate
    from keras_fip.robustness.baselines import deep_ensemble, train_network
    from keras_fip.robustness.diversify import grow_ensemble
    from keras_fip.robustness.fast_ensembles import fge_ensemble, snapshot_ensemble

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
    other_options = experiment_common.model_options(surrogate_model, hidden, None, None)

    def builder(name, opts):
        return lambda: models.get(name, input_shape=data.input_shape,
                                  num_classes=data.num_classes, **opts)

    build = builder(model, options)
    build()  # a network that cannot take this data fails here, before any training
    if "other" in attacker_keys:
        builder(surrogate_model, other_options)()
    attack_list = [Attack(name, e, clip_min, clip_max, nb_iter, seed=seed)
                   for name in attack_names for e in eps_values]
    x_fit, y_fit, x_val, y_val = split_validation(data.x_train, data.y_train,
                                                  float(validation_fraction), seed)
    say(f"{data.name}: {data.split or data.description}; {len(x_val)} training samples "
        "held out for validation")
    train = dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate)

    say("training the starting network ...")
    start, start_cost = train_network(build, x_fit, y_fit, seed=seed, verbose=verbose, **train)
    start_val = analysis.accuracy(start, x_val, y_val)
    ensembles, compute, growths = {}, {"single": _complete(start_cost)}, {}
    path_budget = burn_in + members * steps_between  # the path's steps when no candidate fails
    path_settings = dict(
        members=members, steps_between=steps_between, burn_in=burn_in, step_length=step_length,
        diversity_weight=diversity_weight, batch_size=path_batch_size, average=average,
        seed=seed, verbose=verbose, validation=(x_val, y_val), max_distance=max_distance,
        tolerance=tolerance, check_every=check_every, max_candidates=max_candidates,
    )
    for key in method_keys:
        name = METHODS[key]
        say(f"building the {name.replace('_', ' ')} ({members} members) ...")
        if key in ("fip", "fip_path"):
            growth = grow_ensemble(start, x_fit, **path_settings,
                                   sampling="diversity" if key == "fip" else "random_direction")
            growths[name] = growth
            ensemble = growth.ensemble
            compute[name] = _plus(start_cost, growth.cost())
        elif key == "deep":
            ensemble, cost = deep_ensemble(build, x_fit, y_fit, members=members, seed=seed,
                                           average=average, verbose=verbose, **train)
            compute[name] = _complete(cost)
        elif key == "fge":
            cycle = max(2, path_budget // members)
            ensemble, cost = fge_ensemble(start, x_fit, y_fit, members=members, cycle_steps=cycle,
                                          lr_max=fge_lr_max, lr_min=fge_lr_min,
                                          batch_size=batch_size, average=average, seed=seed,
                                          verbose=verbose)
            compute[name] = _plus(start_cost, cost)
        else:  # snapshot: the start's budget plus the path's, from scratch
            steps = start_cost["steps"] + path_budget
            ensemble, cost = snapshot_ensemble(build, x_fit, y_fit, members=members,
                                               steps=max(steps, 2 * members), lr_max=snapshot_lr,
                                               batch_size=batch_size, average=average,
                                               seed=1000 * seed + 500, verbose=verbose)
            compute[name] = _complete(cost)
        ensembles[name] = ensemble
    models_under_test = {"single": start, **ensembles}

    sources = {}
    for key in attacker_keys:
        if key == "start":
            sources[key] = start
            continue
        say(f"training the attacker's own network ({key}) ...")
        kind, opts = (model, options) if key == "surrogate" else (surrogate_model, other_options)
        sources[key], _ = train_network(builder(kind, opts), x_fit, y_fit,
                                        seed=1000 * seed + 999 - (key == "other"),
                                        verbose=verbose, **train)

    n = min(attack_samples, len(data.x_test))
    x, y = data.x_test[:n], data.y_test[:n]
    clean = {name: analysis.accuracy(net, data.x_test, data.y_test)
             for name, net in models_under_test.items()}
    clean_subset = {name: analysis.accuracy(net, x, y) for name, net in models_under_test.items()}
    results, attack_seconds = {}, {}
    for key, source in sources.items():
        setting = ATTACKERS[key]
        say(f"attacking {n} test images ({setting.replace('_', ' ')}) ...")
        transfer, seconds = analysis.adversarial_accuracies(models_under_test, x, y, attack_list,
                                                            source=source)
        results[setting] = {name: {"clean": clean_subset[name], **transfer[name]}
                            for name in models_under_test}
        attack_seconds[setting] = seconds
    m = None
    if whitebox:
        m = min(whitebox_samples, len(data.x_test))
        xw, yw = data.x_test[:m], data.y_test[:m]
        say(f"attacking {m} test images white-box ...")
        attacked, attack_seconds["white-box"] = analysis.adversarial_accuracies(
            models_under_test, xw, yw, attack_list)
        results["white-box"] = {
            name: {"clean": analysis.accuracy(net, xw, yw), **attacked[name]}
            for name, net in models_under_test.items()
        }
    attacker_clean = {key: analysis.accuracy(net, data.x_test, data.y_test)
                      for key, net in sources.items()}

    k = min(matrix_samples, len(data.x_test))
    matrix_attack = Attack(attack_names[0], eps_values[len(eps_values) // 2], clip_min,
                           clip_max, nb_iter, seed=seed)
    first = next(iter(ensembles.values())) if ensembles else None
    networks, labels = [start], ["start"]
    if first is not None:
        label = next(iter(ensembles)).replace("_ensemble", "")
        networks += first.members
        labels += [f"{label} {i + 1}" for i in range(len(first.members))]
    say(f"member transfer matrix ({matrix_attack.name}, eps {matrix_attack.eps:g}, {k} images) ...")
    matrix = analysis.transfer_matrix(networks, data.x_test[:k], data.y_test[:k], matrix_attack)
    strongest = max(attack_list, key=lambda a: (a.eps, a.name == attack_names[-1]))
    adversarial = generate(start, x, y, strongest)

    member_reports = {}
    for name, ensemble in ensembles.items():
        report = {
            "clean_accuracy": analysis.member_accuracies(ensemble, data.x_test, data.y_test),
            "val_accuracy": analysis.member_accuracies(ensemble, x_val, y_val),
            "distances_from_start": analysis.distances_from_start(start, ensemble, x_fit),
            "diversity_clean": analysis.diversity(ensemble, x),
            "diversity_transfer": {"attack": strongest.describe(),
                                   **analysis.diversity(ensemble, adversarial)},
        }
        if name in growths:
            report["path"] = growths[name].records
            report["rejected"] = growths[name].rejected
        member_reports[name] = report
    return {
        "config": {
            "dataset": dataset_name, "dataset_split": data.split or data.description,
            "train_samples": len(x_fit), "validation_samples": len(x_val),
            "validation_fraction": float(validation_fraction),
            "test_samples": len(data.x_test), "attack_samples": n, "whitebox_samples": m,
            "matrix_samples": k, "model": {"kind": model, **options}, **train,
            "path_batch_size": path_batch_size, "compute_convention": COMPUTE_CONVENTION,
            "members": members, "methods": {METHODS[k]: DESCRIPTIONS[METHODS[k]]
                                            for k in method_keys},
            "fip": {name: g.config for name, g in growths.items()},
            "fge": {"cycle_steps": max(2, path_budget // members), "lr_max": fge_lr_max,
                    "lr_min": fge_lr_min, "momentum": 0.9, "batch_size": batch_size}
            if "fge" in method_keys else None,
            "snapshot": {"steps": compute["snapshot_ensemble"]["steps"], "lr_max": snapshot_lr,
                         "momentum": 0.9, "batch_size": batch_size}
            if "snapshot" in method_keys else None,
            "attackers": {key: {"setting": ATTACKERS[key], "model": {
                "start": f"the starting network ({model})",
                "surrogate": f"{model}, seed 1000*seed+999, trained like the start",
                "other": f"{surrogate_model}, seed 1000*seed+998, trained like the start",
            }[key], "clean_accuracy": attacker_clean[key]} for key in attacker_keys},
            "attacks": [a.describe() for a in attack_list], "seed": seed,
        },
        "clean_accuracy": clean,
        "start_val_accuracy": start_val,
        "results": results,
        "compute": compute,
        "attack_seconds": attack_seconds,
        "members": member_reports,
        "transfer_matrix": {"attack": matrix_attack.describe(), "labels": labels, "matrix": matrix},
    }


COUNTS = ("steps", "examples", "validation_examples", "anchor_examples", "total_examples")


def _plus(start_cost, own):
    """A method's cost: the start's training plus its own (`own_*`: its own alone)."""
    cost = {key: int(start_cost.get(key, 0)) + int(own.get(key, 0)) for key in COUNTS}
    cost["seconds"] = float(start_cost["seconds"]) + float(own["seconds"])
    cost.update({f"own_{key}": int(own.get(key, 0)) for key in COUNTS})
    cost["own_seconds"] = float(own["seconds"])
    return cost


def _complete(cost):
    """Every count of `COUNTS` in a cost (0 where a method has none)."""
    full = {key: int(cost.get(key, 0)) for key in COUNTS}
    full["total_examples"] = (full["examples"] + full["validation_examples"]
                              + full["anchor_examples"])
    return {**full, "seconds": float(cost["seconds"])}


def _check_names(values, known, option):
    if isinstance(values, str):
        values = values.split(",")
    names = [str(v).strip().lower() for v in values if str(v).strip()]
    unknown = [v for v in names if v not in known]
    if unknown:
        raise ValueError(f"{option}: unknown {', '.join(map(repr, unknown))}; choose among "
                         f"{', '.join(known)}")
    if not names and option == "--attackers":
        raise ValueError(f"{option}: give at least one")
    return list(dict.fromkeys(names))


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
        header = f"{setting:<19} {'clean':>6} " + " ".join(f"{a + ' ' + e:>9}" for a, e in columns)
        lines += [header, "-" * len(header)]
        for name, row in methods.items():
            lines.append(f"{name:<19} {row['clean']:>6.3f} "
                         + " ".join(f"{row[a][e]:>9.3f}" for a, e in columns))
        lines.append("")
    lines.append(format_compute(payload["compute"]))
    return "\n".join(lines)


def format_compute(compute):
    """The compute table: steps, training examples, forward-only examples, total, seconds."""
    header = (f"{'training compute':<19} {'steps':>7} {'examples':>10} {'forward-only':>12} "
              f"{'total':>10} {'seconds':>8}")
    lines = [header, "-" * len(header)]
    for name, c in compute.items():
        forward = c.get("validation_examples", 0) + c.get("anchor_examples", 0)
        total = c.get("total_examples", c["examples"] + forward)
        lines.append(f"{name:<19} {c['steps']:>7.0f} {c['examples']:>10.0f} {forward:>12.0f} "
                     f"{total:>10.0f} {c['seconds']:>8.0f}")
    lines.append("examples: forward + backward; forward-only: validation passes and the "
                 "start's cached outputs, counted one example each (total)")
    return "\n".join(lines)
