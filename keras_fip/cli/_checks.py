"""Option checks of `keras-fip sparsify` and `keras-fip robust`: one line naming the option.

Everything here runs before any data is loaded or any network is trained.
"""

import argparse
import math
import os

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")


def seed_type(text):
    """An argparse type: a seed NumPy, Python and TensorFlow all take (0 <= seed < 2**32)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be in [0, 2**32 - 1], got {text}")
    return value


def finite(text):
    """An argparse type: any finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def out_folder(path, option):
    """Raises ValueError unless `path` is a folder or can be made one."""
    if path is None:
        return None
    if os.path.exists(path) and not os.path.isdir(path):
        raise ValueError(f"{option} {path} exists and is not a folder; give a folder to write to")
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ValueError(f"{option} {path} is under {parent}, which is a file, not a folder")
    return path


def model_file(path, option="--model"):
    """Raises unless `path` names a file Keras can hold a model in (checked by name only)."""
    if os.path.isdir(path):
        raise ValueError(f"{option} {path} is a folder; give a .keras file "
                         "(or a legacy .h5 file)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{option}: no model file {path}")
    if not path.lower().endswith(MODEL_SUFFIXES):
        raise ValueError(f"{option} {path} is not a Keras model file; give a .keras file "
                         "(or a legacy .h5 file)")
    return path


def load_network(path, option="--model"):
    """Loads a saved network as one single-output classifier, or raises one clear line.

    A saved `FIPModel` gives its network; a saved `FIPEnsemble` is refused (it is
    several networks: save the member to use on its own).
    """
    import zipfile

    import keras

    from keras_fip import _checks
    from keras_fip.robustness.ensemble import FIPEnsemble

    model_file(path, option)
    if path.lower().endswith(".keras") and not zipfile.is_zipfile(path):
        raise ValueError(f"{option} {path} is not a readable .keras file (a .keras file is "
                         "a zip archive; this one is corrupt or something else)")
    if not path.lower().endswith(".keras"):
        import h5py

        if not h5py.is_hdf5(path):
            raise ValueError(f"{option} {path} is not a readable .h5 file (not HDF5)")
    try:
        network = keras.models.load_model(path)
    except Exception as error:  # noqa: BLE001 - Keras raises many kinds for bad files
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise ValueError(f"{option} {path}: Keras cannot load a model from it "
                         f"({type(error).__name__}: {reason})") from None
    if isinstance(network, FIPEnsemble):
        raise ValueError(
            f"{option} {path} holds a FIPEnsemble of {len(network.members)} members, not one "
            "network; sparsify one member: keras.models.load_model(path).members[i].save(...)"
        )
    try:
        return _checks.classifier(network, "model")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{option} {path}: {error}") from None


def check_dataset_labels(dataset, option="--dataset"):
    """Raises ValueError when test labels lie beyond every training label.

    The loaders size the output layer by the largest label of either split, so a
    test set labelled 10..19 beside training labels 0..9 would train a 20-way
    network that can never be right on the test set.
    """
    top = int(dataset.y_train.max())
    beyond = dataset.y_test > top
    if beyond.any():
        raise ValueError(
            f"{option} {dataset.name}: {int(beyond.sum())} test labels lie beyond the training "
            f"labels (train 0..{top}, test up to {int(dataset.y_test.max())}); no network "
            "trained on these data can predict them"
        )
