"""The robustness experiment: ensembles that keep the function against their peers, under attack.

`run(RobustConfig(...))` is what `keras-fip robust` runs and what
`benchmarks/robustness.py` runs once per seed:

1. carve a validation split (stratified, `validation_fraction`) from the
   training data; every method trains on the rest, and the FIP paths measure
   their functional constraint and accept members on it (never on the test split);
2. train the starting network;
3. build the ensembles asked for (`methods`, names of
   `keras_fip.robustness.ENSEMBLES`), all with the same network, data and
   member count: `fip` (a weight-diversifying path, ours), `fip_path` (the
   paper's random direction), `deep`, `fge`, `snapshot`;
4. train the attackers' own networks (`attackers`, see `ATTACKERS`);
5. attack a fixed subset of the test split: transfer from each attacker, and
   white-box with each model's own gradient; return the report's payload.

Example:
    >>> from keras_fip.experiments.robust import RobustConfig, format_table, run
    >>> report = run(RobustConfig(architecture="mlp", members=3, epochs=5, eps=[0.1]))
    >>> print(format_table(report))  # doctest: +SKIP
"""

import dataclasses
import math
from typing import Optional

from keras_fip import deprecation
from keras_fip.experiments import common as experiment_common
from keras_fip.robustness.registry import ENSEMBLES, EnsembleInputs


@dataclasses.dataclass(frozen=True)
class Attacker:
    """Whose gradients craft a transfer setting's examples.

    `architecture`: the `RobustConfig` field naming its architecture (None: the
    starting network itself); `seed_offset`: its seed is `1000 * seed + offset`.
    """

    setting: str
    architecture: Optional[str]
    seed_offset: int
    description: str


#: `attackers` name -> the transfer setting it gives in the report.
ATTACKERS = {
    "start": Attacker("transfer", None, 0, "the starting network ({architecture})"),
    "surrogate": Attacker("transfer_surrogate", "architecture", 999,
                          "{architecture}, seed 1000*seed+999, trained like the start"),
    "other": Attacker("transfer_other_arch", "surrogate_architecture", 998,
                      "{surrogate_architecture}, seed 1000*seed+998, trained like the start"),
}
DEFAULT_METHODS = ENSEMBLES.names()
DEFAULT_ATTACKERS = tuple(ATTACKERS)

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
COUNTS = ("steps", "examples", "validation_examples", "anchor_examples", "total_examples")


@dataclasses.dataclass
class RobustConfig:
    """Everything a robustness run is set by (the options of `keras-fip robust`).

    Args:
        dataset: "digits", a .npz file, a folder of IDX files, "tfds:NAME", or a
            `keras_fip.data.Dataset`; its inputs must lie in [clip_min, clip_max].
        data_dir: tensorflow-datasets data folder for "tfds:" datasets.
        architecture: the network's name in `keras_fip.models`.
        hidden: hidden widths when `architecture` (or `surrogate_architecture`) is "mlp".
        cnn_filters, cnn_dense: conv filters and Dense widths when `architecture`
            is "reference_cnn" (None: the reference notebook's).
        members: members of every ensemble.
        methods: names among `keras_fip.robustness.ENSEMBLES` ("fip", "fip_path",
            "deep", "fge", "snapshot"; the single starting network is always measured).
        attackers: whose gradients craft the transfer examples, among "start"
            (the starting network), "surrogate" (same architecture, another
            seed) and "other" (`surrogate_architecture`, another seed).
        surrogate_architecture: the other attacker's architecture.
        attacks: names among `keras_fip.robustness.ATTACKS`.
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

    Raises:
        ValueError: from `check`: unknown methods, attackers or attacks, refused
            attacks, negative or non-finite eps, an L-inf eps wider than the clip
            range, or settings out of range.

    Example:
        >>> config = RobustConfig(architecture="mlp", members=3, methods=("fip", "deep"))
        >>> payload = run(config)
    """

    dataset: object = "digits"
    data_dir: Optional[str] = None
    architecture: str = "reference_cnn"
    hidden: tuple = (256, 256)
    cnn_filters: Optional[tuple] = None
    cnn_dense: Optional[tuple] = None
    members: int = 10
    methods: tuple = DEFAULT_METHODS
    attackers: tuple = DEFAULT_ATTACKERS
    surrogate_architecture: str = "mlp"
    attacks: tuple = ("fgsm", "pgd", "mim")
    eps: tuple = (0.1, 0.2, 0.3)
    clip_min: float = 0.0
    clip_max: float = 1.0
    nb_iter: int = 40
    epochs: int = 20
    batch_size: int = 32
    learning_rate: float = 1e-3
    steps_between: int = 40
    burn_in: int = 200
    step_length: float = 0.2
    diversity_weight: float = 1.0
    path_batch_size: Optional[int] = None
    validation_fraction: float = 0.1
    tolerance: float = 0.01
    max_distance: float = 0.05
    check_every: int = 10
    max_candidates: Optional[int] = None
    fge_lr_max: float = 0.01
    fge_lr_min: float = 1e-4
    snapshot_lr: float = 0.02
    average: str = "probabilities"
    attack_samples: int = 1000
    whitebox_samples: int = 100
    matrix_samples: int = 200
    whitebox: bool = True
    seed: int = 0
    verbose: int = 0
    progress: bool = True

    def check(self):
        """Checks the settings before any data is loaded; returns them normalised.

        Returns:
            `(eps, attacks, methods, attackers)`: the budgets as floats, the
            attacks' canonical names, the method and attacker names (lists,
            duplicates dropped).

        Raises:
            ValueError: a setting out of range (the message names the argument).
        """
        eps, attacks = _check_attacks(self.attacks, self.eps, self.clip_min, self.clip_max)
        methods = _check_names(self.methods, ENSEMBLES.names(), "`methods`")
        attackers = _check_names(self.attackers, tuple(ATTACKERS), "`attackers`")
        if not attackers:
            raise ValueError("`attackers`: give at least one")
        if not 0.0 < float(self.validation_fraction) < 1.0:
            raise ValueError(f"validation_fraction must be in (0, 1), got "
                             f"{self.validation_fraction}")
        if not 0.0 <= float(self.tolerance) <= 1.0:
            raise ValueError(f"`tolerance` must be in [0, 1] (0.01 is one point), got "
                             f"{self.tolerance}")
        if float(self.fge_lr_min) > float(self.fge_lr_max):
            raise ValueError(f"fge_lr_min ({self.fge_lr_min:g}) must not exceed fge_lr_max "
                             f"({self.fge_lr_max:g})")
        # Checked here, not when the path starts: that is after the start has trained.
        if self.max_candidates is not None and int(self.max_candidates) < int(self.members):
            raise ValueError(f"max_candidates ({self.max_candidates}) must be at least "
                             f"`members` ({self.members}): each member is one accepted candidate of the "
                             "path")
        return eps, attacks, methods, attackers

    @property
    def resolved_path_batch_size(self):
        """The FIP paths' batch: `path_batch_size`, else `batch_size`."""
        return self.batch_size if self.path_batch_size is None else self.path_batch_size


def split_validation(x, y, fraction, seed):
    """`(x_fit, y_fit, x_val, y_val)`: `fraction` of each class held out, by `seed`.

    `keras_fip.data.splits.validation_split` with this job's offset (10,000):
    the same images as before the split was shared.

    Args:
        x, y: the training inputs and labels.
        fraction: share of each class held out, in (0, 1).
        seed: seed of the draw.

    Returns:
        `(x_fit, y_fit, x_val, y_val)`.

    Raises:
        ValueError: a fraction out of range (`validation_split`'s error).

    Example:
        >>> x_fit, y_fit, x_val, y_val = split_validation(x, y, 0.1, seed=0)
    """
    from keras_fip.data.splits import VALIDATION_OFFSETS, validation_split

    return validation_split(x, y, fraction, seed, offset=VALIDATION_OFFSETS["robustness"])


@dataclasses.dataclass
class Prepared:
    """The data, the split, the builders and the attacks of one run (before any training)."""

    data: object
    dataset_name: str
    options: dict
    builders: dict
    attacks: list
    x_fit: object
    y_fit: object
    x_val: object
    y_val: object


def prepare(config, attack_names=(), eps=(), attackers=()):
    """Loads the data, checks it against the clip range and the networks; splits it.

    Args:
        config: a `RobustConfig`.
        attack_names, eps: the checked attacks and budgets (`config.check()`).
        attackers: the checked attacker names (their architectures are tried).

    Returns:
        A `Prepared`.

    Raises:
        ValueError: data outside the clip range, labels that are not class ids,
            or a network that cannot take the data.
    """
    from keras_fip import models
    from keras_fip.robustness.attacks import Attack

    data, dataset_name = experiment_common.load_data(config.dataset, seed=config.seed,
                                                     data_dir=config.data_dir)
    experiment_common.check_labels(data, "`dataset`")
    low = float(min(data.x_train.min(), data.x_test.min()))
    high = float(max(data.x_train.max(), data.x_test.max()))
    if low < config.clip_min or high > config.clip_max:
        raise ValueError(f"the data ranges over [{low:g}, {high:g}], outside the clip range "
                         f"[{config.clip_min:g}, {config.clip_max:g}]; set clip_min and clip_max")
    options = {
        "architecture": experiment_common.model_options(
            config.architecture, config.hidden, config.cnn_filters, config.cnn_dense),
        "surrogate_architecture": experiment_common.model_options(
            config.surrogate_architecture, config.hidden, None, None),
    }

    def builder(field):
        name, opts = getattr(config, field), options[field]
        return lambda: models.get(name, input_shape=data.input_shape,
                                  num_classes=data.num_classes, **opts)

    builders = {field: builder(field) for field in options}
    # A network that cannot take this data fails here, before any training.
    builders["architecture"]()
    if "other" in attackers:
        builders["surrogate_architecture"]()
    attack_list = [Attack(name, e, config.clip_min, config.clip_max, config.nb_iter,
                          seed=config.seed) for name in attack_names for e in eps]
    x_fit, y_fit, x_val, y_val = split_validation(data.x_train, data.y_train,
                                                  float(config.validation_fraction), config.seed)
    return Prepared(data, dataset_name, options["architecture"], builders, attack_list,
                    x_fit, y_fit, x_val, y_val)


def train_start(config, prepared):
    """The starting network and its cost, trained on the split's training part."""
    from keras_fip.robustness.training import train_network

    return train_network(prepared.builders["architecture"], prepared.x_fit, prepared.y_fit,
                         seed=config.seed, verbose=config.verbose, **_training(config))


def ensemble_inputs(config, prepared, start, start_cost):
    """What every ensemble method is built from (`EnsembleInputs`)."""
    return EnsembleInputs(start, start_cost, prepared.builders["architecture"], prepared.x_fit,
                          prepared.y_fit, prepared.x_val, prepared.y_val, config,
                          config.resolved_path_batch_size)


def run(config):
    """Builds the ensembles, the attackers' networks, attacks them; returns the report's payload.

    Args:
        config: a `RobustConfig`.

    Returns:
        The payload of `report.json` (everything but the header): `config`,
        `clean_accuracy`, `results` (`{setting: {method: {"clean": acc,
        attack: {eps: acc}}}}` for "transfer" (from the start),
        "transfer_surrogate", "transfer_other_arch" and "white-box"), `compute`
        (per method, the starting network's training included where the method
        starts from it; see `COMPUTE_CONVENTION`), `attack_seconds`, `members`
        (per ensemble: member accuracies, distances from the start, diversity;
        for the FIP ensembles the accepted and rejected candidates) and
        `transfer_matrix`.

    Raises:
        ValueError: a setting `RobustConfig.check` refuses, data outside the
            clip range, or a network that cannot take the data.
        ImportError: cleverhans is not installed.

    Example:
        >>> payload = run(RobustConfig(architecture="mlp", members=3, eps=[0.1]))
    """
    from keras_fip.robustness.analysis import accuracy
    from keras_fip.robustness.attacks import cleverhans_module

    eps, attack_names, methods, attackers = config.check()
    cleverhans_module()  # a missing extra stops here, before any training
    say = experiment_common.printer(config.progress)
    prepared = prepare(config, attack_names, eps, attackers)
    data = prepared.data
    say(f"{data.name}: {data.split or data.description}; {len(prepared.x_val)} training samples "
        "held out for validation")
    say("training the starting network ...")
    start, start_cost = train_start(config, prepared)
    start_val = accuracy(start, prepared.x_val, prepared.y_val)
    inputs = ensemble_inputs(config, prepared, start, start_cost)
    built, compute = build_ensembles(methods, inputs, say)
    ensembles = {label: b.ensemble for label, b in built.items()}
    sources = train_attackers(config, prepared, start, attackers, say)
    attacked = attack(config, prepared, {"single": start, **ensembles}, sources, say)
    matrix = member_transfer_matrix(config, prepared, start, ensembles, attack_names, eps, say)
    members = member_reports(config, prepared, start, built, attack_names, eps)
    return {
        "config": report_config(config, prepared, methods, attackers, built, attacked),
        "clean_accuracy": attacked["clean"],
        "start_val_accuracy": start_val,
        "results": attacked["results"],
        "compute": compute,
        "attack_seconds": attacked["seconds"],
        "members": members,
        "transfer_matrix": matrix,
    }


def build_ensembles(methods, inputs, say=print):
    """`({label: Built}, compute)`: each method's ensemble, and every method's cost.

    A method grown from the start (`from_start`) is charged the start's
    training too (`_plus`); `compute["single"]` is the start's own.
    """
    built, compute = {}, {"single": _complete(inputs.start_cost)}
    for name in methods:
        method = ENSEMBLES.get(name)
        say(f"building the {method.label.replace('_', ' ')} ({inputs.config.members} "
            "members) ...")
        built[method.label] = method.build(inputs)
        cost = built[method.label].cost
        compute[method.label] = _plus(inputs.start_cost, cost) if method.from_start \
            else _complete(cost)
    return built, compute


def train_attackers(config, prepared, start, attackers, say=print):
    """`{attacker: network}`: the start itself, or a network trained like it from another seed."""
    from keras_fip.robustness.training import train_network

    sources = {}
    for key in attackers:
        attacker = ATTACKERS[key]
        if attacker.architecture is None:
            sources[key] = start
            continue
        say(f"training the attacker's own network ({key}) ...")
        sources[key], _ = train_network(prepared.builders[attacker.architecture], prepared.x_fit,
                                        prepared.y_fit,
                                        seed=1000 * config.seed + attacker.seed_offset,
                                        verbose=config.verbose, **_training(config))
    return sources


def attack(config, prepared, models_under_test, sources, say=print):
    """Clean and adversarial accuracy of every model: transfer from each attacker, white-box.

    Returns:
        A dict: `clean` (on the whole test split), `results`, `seconds`,
        `attacker_clean` (each attacker's own test accuracy), and the sample
        counts `attack_samples` and `whitebox_samples` (None without white-box).
    """
    from keras_fip.robustness.analysis import accuracy, adversarial_accuracies

    data = prepared.data
    n = min(config.attack_samples, len(data.x_test))
    x, y = data.x_test[:n], data.y_test[:n]
    clean = {name: accuracy(net, data.x_test, data.y_test)
             for name, net in models_under_test.items()}
    clean_subset = {name: accuracy(net, x, y) for name, net in models_under_test.items()}
    results, seconds = {}, {}
    for key, source in sources.items():
        setting = ATTACKERS[key].setting
        say(f"attacking {n} test images ({setting.replace('_', ' ')}) ...")
        transfer, seconds[setting] = adversarial_accuracies(models_under_test, x, y,
                                                            prepared.attacks, source=source)
        results[setting] = {name: {"clean": clean_subset[name], **transfer[name]}
                            for name in models_under_test}
    m = None
    if config.whitebox:
        m = min(config.whitebox_samples, len(data.x_test))
        xw, yw = data.x_test[:m], data.y_test[:m]
        say(f"attacking {m} test images white-box ...")
        whitebox, seconds["white-box"] = adversarial_accuracies(models_under_test, xw, yw,
                                                                prepared.attacks)
        results["white-box"] = {name: {"clean": accuracy(net, xw, yw), **whitebox[name]}
                                for name, net in models_under_test.items()}
    attacker_clean = {key: accuracy(net, data.x_test, data.y_test)
                      for key, net in sources.items()}
    return {"clean": clean, "results": results, "seconds": seconds,
            "attacker_clean": attacker_clean, "attack_samples": n, "whitebox_samples": m}


def _matrix_attack(config, attack_names, eps):
    """The transfer matrix's attack: the first attack at the middle budget."""
    from keras_fip.robustness.attacks import Attack

    return Attack(attack_names[0], eps[len(eps) // 2], config.clip_min, config.clip_max,
                  config.nb_iter, seed=config.seed)


def member_transfer_matrix(config, prepared, start, ensembles, attack_names, eps, say=print):
    """Accuracy of each of the start and the first ensemble's members on the others' examples."""
    from keras_fip.robustness.analysis import transfer_matrix

    data = prepared.data
    k = min(config.matrix_samples, len(data.x_test))
    matrix_attack = _matrix_attack(config, attack_names, eps)
    networks, labels = [start], ["start"]
    if ensembles:
        label, first = next(iter(ensembles.items()))
        networks += first.members
        labels += [f"{label.replace('_ensemble', '')} {i + 1}" for i in range(len(first.members))]
    say(f"member transfer matrix ({matrix_attack.name}, eps {matrix_attack.eps:g}, {k} "
        "images) ...")
    matrix = transfer_matrix(networks, data.x_test[:k], data.y_test[:k], matrix_attack)
    return {"attack": matrix_attack.describe(), "labels": labels, "matrix": matrix}


def member_reports(config, prepared, start, built, attack_names, eps):
    """Per ensemble: member accuracies, distances from the start, diversity (clean and
    on the start's strongest transfer examples); the FIP paths' accepted and rejected."""
    from keras_fip.robustness import analysis
    from keras_fip.robustness.attacks import generate

    data = prepared.data
    n = min(config.attack_samples, len(data.x_test))
    x, y = data.x_test[:n], data.y_test[:n]
    strongest = max(prepared.attacks, key=lambda a: (a.eps, a.name == attack_names[-1]))
    adversarial = generate(start, x, y, strongest)
    reports = {}
    for name, b in built.items():
        ensemble = b.ensemble
        report = {
            "clean_accuracy": analysis.member_accuracies(ensemble, data.x_test, data.y_test),
            "val_accuracy": analysis.member_accuracies(ensemble, prepared.x_val, prepared.y_val),
            "distances_from_start": analysis.distances_from_start(start, ensemble,
                                                                  prepared.x_fit),
            "diversity_clean": analysis.diversity(ensemble, x),
            "diversity_transfer": {"attack": strongest.describe(),
                                   **analysis.diversity(ensemble, adversarial)},
        }
        if b.growth is not None:
            report["path"] = b.growth.records
            report["rejected"] = b.growth.rejected
        reports[name] = report
    return reports


def report_config(config, prepared, methods, attackers, built, attacked):
    """The report's `config`: the settings, the split's sizes, what each method used."""
    sections = {}
    for name, method in ENSEMBLES.items():
        if method.settings_key is None:
            continue
        b = built.get(method.label)
        if method.nested:
            section = sections.setdefault(method.settings_key, {})
            if b is not None:
                section[method.label] = b.settings
        else:
            sections.setdefault(method.settings_key, None)
            if b is not None:
                sections[method.settings_key] = b.settings
    data = prepared.data
    names = {"architecture": config.architecture,
             "surrogate_architecture": config.surrogate_architecture}
    return {
        "dataset": prepared.dataset_name, "dataset_split": data.split or data.description,
        "train_samples": len(prepared.x_fit), "validation_samples": len(prepared.x_val),
        "validation_fraction": float(config.validation_fraction),
        "test_samples": len(data.x_test), "attack_samples": attacked["attack_samples"],
        "whitebox_samples": attacked["whitebox_samples"],
        "matrix_samples": min(config.matrix_samples, len(data.x_test)),
        # The report's key stays "model" (the architecture), as in earlier reports.
        "model": {"kind": config.architecture, **prepared.options}, **_training(config),
        "path_batch_size": config.resolved_path_batch_size,
        "compute_convention": COMPUTE_CONVENTION,
        "members": config.members,
        "methods": {ENSEMBLES.get(k).label: ENSEMBLES.get(k).description for k in methods},
        **sections,
        "attackers": {key: {"setting": ATTACKERS[key].setting,
                            "model": ATTACKERS[key].description.format(**names),
                            "clean_accuracy": attacked["attacker_clean"][key]}
                      for key in attackers},
        "attacks": [a.describe() for a in prepared.attacks], "seed": config.seed,
    }


def _training(config):
    return dict(epochs=config.epochs, batch_size=config.batch_size,
                learning_rate=config.learning_rate)


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


def _check_names(values, known, argument):
    if isinstance(values, str):
        values = values.split(",")
    names = [str(v).strip().lower() for v in values if str(v).strip()]
    unknown = [v for v in names if v not in known]
    if unknown:
        raise ValueError(f"{argument}: unknown {', '.join(map(repr, unknown))}; choose among "
                         f"{', '.join(known)}")
    return list(dict.fromkeys(names))


def _check_attacks(attacks, eps, clip_min, clip_max):
    """The budgets and the attacks' canonical names, checked before any data is loaded."""
    from keras_fip.robustness.attacks import attack_name, attack_norm, check_clip_range

    eps = [float(value) for value in eps]
    for value in eps:
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"`eps` values must be finite and >= 0, got {value}")
    if not eps:
        raise ValueError("`eps`: give at least one value")
    check_clip_range(clip_min, clip_max)
    if isinstance(attacks, str):
        attacks = [a for a in attacks.split(",") if a.strip()]
    try:
        names = [attack_name(a) for a in attacks]
    except ValueError as error:
        raise ValueError(f"`attacks`: {error}") from None
    if not names:
        raise ValueError("`attacks`: give at least one attack")
    width = clip_max - clip_min
    linf = [n for n in names if attack_norm(n) == math.inf]
    too_wide = [value for value in eps if value > width]
    if linf and too_wide:
        raise ValueError(
            f"`eps` {too_wide[0]:g} is wider than the clip range [{clip_min:g}, "
            f"{clip_max:g}] (width {width:g}), so the L-infinity attacks "
            f"({', '.join(linf)}) would leave inputs unconstrained; give eps at most {width:g}"
        )
    return eps, list(dict.fromkeys(names))


def format_table(payload):
    """Plain-text table: clean and adversarial accuracy per method and setting.

    Args:
        payload: what `run` returns (or a report.json read back).

    Returns:
        The table, a string.

    Raises:
        KeyError: a payload without `results` or `compute`.

    Example:
        >>> print(format_table(run(RobustConfig(members=3))))  # doctest: +SKIP
    """
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
    """The compute table: steps, training examples, forward-only examples, total, seconds.

    Args:
        compute: the payload's `compute`.

    Returns:
        The table, a string.

    Raises:
        KeyError: a cost without `steps`, `examples` or `seconds`.

    Example:
        >>> print(format_compute(payload["compute"]))  # doctest: +SKIP
    """
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


#: Old keyword names of `run_robust_experiment` -> the `RobustConfig` field.
RENAMED = {"model": "architecture", "surrogate_model": "surrogate_architecture"}


def run_robust_experiment(**settings):
    """Deprecated: `run(RobustConfig(**settings))`; goes in the next release.

    Args:
        **settings: `RobustConfig`'s fields (`model` and `surrogate_model`, the
            old names of `architecture` and `surrogate_architecture`, still work).

    Returns:
        What `run` returns.

    Raises:
        TypeError: an unknown setting.
        ValueError: what `run` raises.

    Example:
        >>> payload = run_robust_experiment(architecture="mlp", members=3)  # doctest: +SKIP
    """
    import warnings

    warnings.warn("run_robust_experiment(**settings) is now "
                  "keras_fip.experiments.robust.run(RobustConfig(**settings)); the old name "
                  "goes in the next release.", DeprecationWarning, stacklevel=2)
    for old, new in RENAMED.items():
        deprecation.renamed_argument(settings, old, new, "run_robust_experiment")
    return run(RobustConfig(**settings))


__all__ = ["ATTACKERS", "COMPUTE_CONVENTION", "RobustConfig", "format_compute", "format_table",
           "run", "run_robust_experiment", "split_validation"]
