"""The run folder of a continual experiment: started, checked, resumed, removed.

A run with a `checkpoint_dir` records its settings and its data's fingerprint
in `run.json`; each method checkpoints after every task in its own subfolder.
`resume=True` continues only a run started with the same settings on the same
data, and refuses, before anything trains, a file that cannot be read back.
"""

import json
import os
import warnings


class ResumeWarning(RuntimeWarning):
    """A resumed run that cannot check everything it should (an older run folder).

    Raises:
        Nothing: a warning category.

    Example:
        >>> warnings.simplefilter("error", ResumeWarning)
    """


# The settings that decide the results: `resume=True` continues only a run that
# was started with the same ones ("model" is the architecture, as run.json has it).
SETTINGS = ("dataset", "data_dir", "scenario", "tasks", "class_order", "memory_per_class",
            "memory_batch_size", "methods", "epochs", "batch_size", "learning_rate",
            "fip_weight", "model", "hidden", "seed", "tune", "validation_fraction",
            "method_options")
#: The argument each setting of run.json is given as.
ARGUMENTS = {"model": "architecture"}


def _argument(setting):
    """A setting as the message names its argument (one word in backquotes)."""
    name = ARGUMENTS.get(setting, setting)
    return name if "_" in name else f"`{name}`"


def _read_json(path, what):
    """A run file's contents, or one line naming the file and what is wrong with it."""
    try:
        with open(path) as f:
            saved = json.load(f)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"`resume`: {path} is corrupt (not valid JSON: {error}); {what}") from None
    if not isinstance(saved, dict):
        raise ValueError(f"`resume`: {path} is corrupt (not a JSON object); {what}")
    return saved


def _check_checkpoints(checkpoints, methods):
    """Refuses, before any training, a checkpoint whose files cannot be read back.

    A run killed while the disk was full, or a file edited by hand, would
    otherwise fail after the earlier methods have run, with Keras' message
    ("File not found") or the JSON parser's position, naming neither file.
    """
    import zipfile

    from keras_fip.engine import checkpoints as checkpoint_folders

    for method in methods:
        found = checkpoint_folders.latest(os.path.join(checkpoints, method), "after_task_")
        if found is None:
            continue
        _, folder = found
        # The path once only: the message stays one readable line.
        restart = (f"remove its folder {os.path.basename(folder)} to run {method} again "
                   "from its start, or start the whole run in another checkpoint_dir")
        _read_json(os.path.join(folder, "progress.json"), restart)
        model = os.path.join(folder, "model.keras")
        if not os.path.isfile(model):
            raise ValueError(f"`resume`: {model} is missing; {restart}")
        try:
            with zipfile.ZipFile(model) as archive:
                bad = archive.testzip()  # every member's checksum
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, EOFError) as error:
            raise ValueError(f"`resume`: {model} is corrupt (not a Keras archive: {error}); "
                             f"{restart}") from None
        if bad is not None or "config.json" not in names:
            what = f"{bad} fails its checksum" if bad else "no config.json in it"
            raise ValueError(f"`resume`: {model} is corrupt ({what}); {restart}")


def start_or_resume(checkpoints, settings, resume, fingerprint):
    """Checks the checkpoint folder against `resume`; records the run's settings and
    the fingerprint of its data (`keras_fip.data.fingerprint`)."""
    from keras_fip.data.fingerprint import changes

    saved_file = os.path.join(checkpoints, "run.json")
    if not resume:
        if os.path.exists(checkpoints):
            raise ValueError(
                f"{checkpoints} holds the checkpoints of an unfinished run: pass `resume` "
                "to continue it, or choose another checkpoint_dir (nothing was deleted)"
            )
        try:
            os.makedirs(checkpoints)
        except OSError as error:
            raise ValueError(
                f"checkpoint_dir: cannot create {checkpoints} ({error.strerror})") from None
        # Written whole: a kill here leaves no half-written run.json.
        partial = saved_file + ".partial"
        with open(partial, "w") as f:
            json.dump({**settings, "dataset_fingerprint": fingerprint}, f, indent=2)
        os.replace(partial, saved_file)
        return
    if not os.path.isfile(saved_file):
        raise ValueError(f"`resume`: no unfinished run in {checkpoints}")
    saved = _read_json(saved_file, "start the run again in another checkpoint_dir")
    differing = [k for k in SETTINGS if saved.get(k) != settings.get(k)]
    if differing:
        raise ValueError(
            "`resume`: the run in " + checkpoints + " was started with other options: "
            + ", ".join(f"{_argument(k)} {saved.get(k)} (now {settings.get(k)})"
                        for k in differing)
        )
    recorded = saved.get("dataset_fingerprint")
    dataset = fingerprint.get("path") or settings["dataset"]
    if recorded is None:
        # A run folder from before keras-fip recorded its data: resumed, not refused.
        warnings.warn(ResumeWarning(
            f"the run in {checkpoints} was started before keras-fip recorded its data, so "
            f"the resumed run cannot check that {dataset} is unchanged; resuming"), stacklevel=3)
    else:
        change = changes(recorded, fingerprint)
        if change:
            raise ValueError(
                f"`resume`: the dataset {dataset} changed since the run in {checkpoints} "
                f"started ({change}); continue with the data it started with, or start again "
                "in another checkpoint_dir")
    _check_checkpoints(checkpoints, settings["methods"])


def remove_run_checkpoints(checkpoint_dir):
    """Removes what `keras_fip.experiments.continual.run` wrote into `checkpoint_dir`, only that.

    Call it once the report is safely written: until then the checkpoints are
    what a `resume=True` run continues from.

    Args:
        checkpoint_dir: the folder given to `run`; the folder itself goes too
            once empty.
    """
    from keras_fip.continual.runner import remove_checkpoints

    saved_file = os.path.join(checkpoint_dir, "run.json")
    with open(saved_file) as f:
        methods = json.load(f)["methods"]
    for method in methods:
        remove_checkpoints(os.path.join(checkpoint_dir, method))
    os.remove(saved_file)
    if not os.listdir(checkpoint_dir):
        os.rmdir(checkpoint_dir)
