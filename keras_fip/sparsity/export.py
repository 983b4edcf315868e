"""Ship a sparse network: tfmot's pruning wrapper, SavedModel and TFLite files.

The path is the one tfmot's guide teaches, applied to a network that is already
sparse: wrap every prunable layer with `prune_low_magnitude` and a
`ConstantSparsity` at the sparsity that layer reached (so the mask tfmot computes
is exactly the zeros there are), let `UpdatePruningStep` install and apply the
masks, `strip_pruning`, then write

- `model.keras` (Keras 3),
- `saved_model/` (`model.export`, for TF Serving),
- `model.tflite` (float), and `model_int8.tflite` when asked: int8 through
  tfmot's sparsity-preserving quantisation-aware training
  (`Default8BitPrunePreserveQuantizeScheme`), which needs training data.

Sizes are reported raw and gzip-compressed (zeros only shrink a file once it is
compressed, which is how tfmot's guide measures), with the fraction of zeros per
weight measured in what was written.
"""

import dataclasses
import gzip
import io
import os
import shutil
import tarfile

import numpy as np
import keras

from keras_fip import checks
from keras_fip.engine import backend
from keras_fip.engine.networks import outputs_are_logits
from keras_fip.sparsity.convert import from_tf_keras, to_tf_keras
from keras_fip.sparsity.prunable import layer_sparsity, measured_sparsity, zero_fraction


def _tf():
    # TensorFlow only where a file is written or read: the module imports without it.
    import tensorflow as tf

    return tf


@dataclasses.dataclass
class ExportReport:
    """What `export_sparse` wrote.

    `to_dict()` gives it as plain JSON-ready dicts.

    Raises:
        TypeError: a required field is missing (a dataclass).

    Example:
        >>> report = export_sparse(sparse_model, "export/", check_inputs=x_test)
        >>> report.files["tflite"]["gzip_bytes"], report.agreement["tflite"]["argmax_agreement"]

    Args:
        directory: the export folder.
        files: `{kind: {"path", "bytes", "gzip_bytes"}}` for keras, saved_model,
            tflite and (when made) tflite_int8.
        zeros: `{kind: {weight name: fraction of zeros}}` read back from each file.
        layer_sparsity: the sparsity each layer was wrapped with.
        agreement: `{kind: {"argmax_agreement", "max_abs_diff"}}` against the
            Keras model on the check inputs, when given.
    """

    directory: str
    files: dict
    zeros: dict
    layer_sparsity: dict
    agreement: dict

    def to_dict(self):
        return dataclasses.asdict(self)


def gzip_size(path):
    """Bytes of a file gzip-compressed, or of a folder as a .tar.gz.

    The size a sparse model ships at: zeros compress, so the gzip size is what
    sparsity saves on disk and over the network.

    Args:
        path: a file or a folder (a SavedModel).

    Returns:
        The compressed size in bytes, an int.

    Raises:
        FileNotFoundError: `path` does not exist.

    Example:
        >>> gzip_size("export/model.tflite"), gzip_size("export/saved_model")
    """
    if os.path.isdir(path):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            archive.add(path, arcname=os.path.basename(path))
        return buffer.tell()
    with open(path, "rb") as f:
        return len(gzip.compress(f.read()))


def _size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(root, f))
                   for root, _, files in os.walk(path) for f in files)
    return os.path.getsize(path)


class ExportFolderError(FileExistsError, ValueError):
    """The export folder is taken: a file, or a folder that is not empty (without overwrite).

    Both a `FileExistsError` and a `ValueError` (like `io.UnsupportedOperation`,
    an `OSError` and a `ValueError`): it is the caller's argument that is wrong.

    Raises:
        Nothing: it is what `export_sparse` raises before writing anything.

    Example:
        >>> try:
        ...     export_sparse(model, "export/")
        ... except ExportFolderError:
        ...     export_sparse(model, "export/", overwrite=True)
    """


# What `export_sparse` writes into its folder; with `overwrite` it replaces a
# folder holding only these (an earlier export), never one holding other files.
EXPORT_FILES = ("model.keras", "saved_model", "model.tflite", "model_int8.tflite")
PARTIAL_SUFFIX = ".partial"


def check_directory(directory, overwrite=False):
    """Raises `ExportFolderError` unless `directory` can become the export folder.

    It must not exist, or be empty; with `overwrite` it may hold an earlier
    export (the files `export_sparse` writes, nothing else).
    """
    directory = os.fspath(directory)
    if os.path.exists(directory):
        if not os.path.isdir(directory):
            raise ExportFolderError(f"The export folder {directory} exists and is not a folder.")
        held = os.listdir(directory)
        if held and not overwrite:
            raise ExportFolderError(
                f"The export folder {directory} exists and is not empty; choose another "
                "or pass overwrite=True to replace it."
            )
        foreign = sorted(set(held) - set(EXPORT_FILES))
        if held and foreign:
            shown = ", ".join(foreign[:4]) + (f" and {len(foreign) - 4} more"
                                              if len(foreign) > 4 else "")
            raise ExportFolderError(
                f"The export folder {directory} holds files an export does not write "
                f"({shown}); overwrite replaces only an earlier export and never deletes "
                "other files: move them, or choose another folder."
            )
    parent = os.path.dirname(os.path.abspath(directory))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise ExportFolderError(f"The export folder {directory} is under {parent}, "
                                "which is a file, not a folder.")


def partial_directory(directory):
    """The temporary folder an export of `directory` is written in, beside it."""
    return os.path.normpath(os.fspath(directory)) + PARTIAL_SUFFIX


def _start_partial(directory, overwrite):
    """Checks `directory`, and makes its temporary folder empty (a killed export's is ours)."""
    check_directory(directory, overwrite)
    partial = partial_directory(directory)
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    return partial


def _finish_partial(partial, directory):
    """Renames the whole written `partial` folder to `directory` (replacing an earlier export)."""
    if os.path.isdir(directory):
        aside = os.path.normpath(directory) + ".replaced"
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(directory, aside)
        os.replace(partial, directory)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.replace(partial, directory)


def strip_through_tfmot(model):
    """Runs `model` through tfmot's pruning wrapper with its own zeros as the mask.

    Returns the stripped tf_keras model and the per-layer sparsities used.
    """
    backend.require_tensorflow("The tfmot pruning export")
    from keras_fip.sparsity._tfmot import tfmot

    module = tfmot()
    import tf_keras

    sparsities = layer_sparsity(model)
    tf_model = to_tf_keras(model)

    def wrap(layer):
        s = sparsities.get(layer.name, 0.0)
        if not 0.0 < s < 1.0:  # dense, or all zeros already (tfmot takes s < 1 only)
            return layer
        # tfmot keeps the round((1 - s) * n) largest magnitudes: exactly the nonzeros.
        schedule = module.sparsity.keras.ConstantSparsity(s, begin_step=0, frequency=1)
        return module.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)

    wrapped = tf_keras.models.clone_model(tf_model, clone_function=wrap)
    _copy_by_layer(tf_model, wrapped)
    # One step at learning rate 0 on a zero batch with normalisation frozen: the
    # wrapper computes and applies its masks (UpdatePruningStep) and no weight moves.
    for layer in wrapped.layers:
        if "BatchNormalization" in type(getattr(layer, "layer", layer)).__name__:
            layer.trainable = False
    # tf_keras' own compile/fit, not `fit_supervised`: tfmot's wrappers are tf_keras layers,
    # and this is no training (learning rate 0), only tfmot's mask computation.
    wrapped.compile(tf_keras.optimizers.SGD(0.0), tf_keras.losses.MeanSquaredError())
    shape = (1, *tf_model.inputs[0].shape[1:])
    zeros_in = np.zeros(shape, "float32")
    zeros_out = np.zeros((1, *tf_model.outputs[0].shape[1:]), "float32")
    wrapped.fit(zeros_in, zeros_out, epochs=1, verbose=0,
                callbacks=[module.sparsity.keras.UpdatePruningStep()])
    return module.sparsity.keras.strip_pruning(wrapped), sparsities


def _copy_by_layer(source, wrapped):
    for layer in wrapped.layers:
        inner = getattr(layer, "layer", layer)
        original = source.get_layer(inner.name)
        if original.weights:
            inner.set_weights(original.get_weights())


def _tflite_from_saved_model(saved_model, path, optimizations=None):
    tf = _tf()
    converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
    if optimizations:
        converter.optimizations = optimizations
    with open(path, "wb") as f:
        f.write(converter.convert())


def tflite_interpreter(path):
    """A TFLite interpreter for `path`, its tensors allocated.

    LiteRT's (`ai_edge_litert.interpreter.Interpreter`, from the `sparsity`
    extra) when `ai-edge-litert` is installed; TensorFlow's `tf.lite.Interpreter`
    (deprecated, it says so when made) only without it.
    """
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        Interpreter = _tf().lite.Interpreter
    interpreter = Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    return interpreter


def tflite_predict(path, x):
    """Runs a TFLite model on `x`, one sample at a time; returns the outputs.

    The interpreter is LiteRT's when `ai-edge-litert` is installed (the
    `sparsity` extra), else TensorFlow's. An int8 model's inputs are quantised
    and its outputs dequantised with the file's own scales.

    Args:
        path: a `.tflite` file (as written by `export_sparse`).
        x: inputs, in the model's input shape.

    Returns:
        A numpy array of the outputs, one row per input.

    Raises:
        ValueError: a file that is not a TFLite model, or inputs of another shape
            (the interpreter's error).

    Example:
        >>> outputs = tflite_predict("export/model.tflite", x_test)
        >>> (outputs.argmax(-1) == y_test).mean()
    """
    interpreter = tflite_interpreter(path)
    source = interpreter.get_input_details()[0]
    target = interpreter.get_output_details()[0]
    outputs = []
    for sample in np.asarray(x, "float32"):
        value = sample[None]
        if source["dtype"] != np.float32:  # an int8 input: quantise it
            scale, zero = source["quantization"]
            value = np.round(value / scale + zero).astype(source["dtype"])
        interpreter.set_tensor(source["index"], value)
        interpreter.invoke()
        out = interpreter.get_tensor(target["index"])[0]
        if target["dtype"] != np.float32:
            scale, zero = target["quantization"]
            out = (out.astype("float32") - zero) * scale
        outputs.append(out)
    return np.stack(outputs)


def tflite_zeros(path, min_size=64):
    """Fraction of zeros in each constant tensor of at least `min_size` values."""
    interpreter = tflite_interpreter(path)
    out = {}
    for detail in interpreter.get_tensor_details():
        try:
            value = interpreter.get_tensor(detail["index"])
        except ValueError:
            continue  # activations have no data
        # Weights only: activations carry the batch of one in front.
        if value.size >= min_size and value.ndim >= 2 and value.shape[0] != 1:
            out[detail["name"]] = zero_fraction([value])
    return out


def saved_model_predict(path, x, batch_size=512):
    """Runs a SavedModel's `serving_default` signature on `x`, as TF Serving would.

    Args:
        path: a SavedModel folder with one input (as written by `export_sparse`).
        x: inputs, in the model's input shape and dtype (float32).
        batch_size: inputs per call.

    Returns:
        A numpy array of the outputs, one row per input.

    Raises:
        OSError: `path` is not a SavedModel (TensorFlow's error).
        ValueError: a signature with several inputs.

    Example:
        >>> outputs = saved_model_predict("export/saved_model", x_test)
    """
    tf = _tf()
    serve = tf.saved_model.load(path).signatures["serving_default"]
    (name,) = serve.structured_input_signature[1].keys()
    outputs = [list(serve(**{name: tf.constant(x[i:i + batch_size])}).values())[0].numpy()
               for i in range(0, len(x), batch_size)]
    return np.concatenate(outputs)


def _saved_model_zeros(path, min_size=64):
    tf = _tf()
    loaded = tf.saved_model.load(path)
    return {v.name: zero_fraction([v.numpy()]) for v in loaded.variables
            if v.shape.num_elements() >= min_size and len(v.shape) >= 2}


def _agreement(reference, predicted):
    return {
        "argmax_agreement": float(np.mean(np.argmax(reference, -1) == np.argmax(predicted, -1))),
        "max_abs_diff": float(np.max(np.abs(reference - predicted))),
    }


def export_sparse(model, directory, *, overwrite=False, check_inputs=None, int8=False,
                  train_data=None, qat_epochs=1, batch_size=128, verbose=0):
    """Writes a sparse Keras model as `.keras`, SavedModel and TFLite, through tfmot.

    Args:
        model: the sparse Keras 3 model (Sequential or functional, standard
            layers; see `convert.SUPPORTED_LAYERS`).
        directory: export folder; must not exist or be empty unless `overwrite`.
            Everything is written in `directory + ".partial"` beside it and
            renamed whole at the end: an interrupted export leaves nothing.
        overwrite: replace an earlier export in `directory` (a folder holding
            other files is refused: nothing the export did not write is deleted).
        check_inputs: inputs on which each written file is run and compared with
            the Keras model (argmax agreement, max abs output difference).
        int8: also write `model_int8.tflite` by sparsity-preserving
            quantisation-aware training (needs `train_data`).
        train_data: `(x, y)` for the quantisation-aware training.
        qat_epochs: epochs of quantisation-aware training.

    Returns:
        An `ExportReport`.

    Raises:
        ExportFolderError: the folder exists and is not empty (without
            `overwrite`), or holds files the export did not write.
        UnsupportedModelError: a layer tfmot cannot take.
        ValueError: `int8` without `train_data`, check inputs or training data
            the model cannot take, or a model that is not a single classifier.
        RuntimeError: a Keras backend other than TensorFlow
            (`UnsupportedBackendError`).

    Example:
        >>> from keras_fip.sparsity import export_sparse, sparsify
        >>> result = sparsify(network, x_train, sparsity=0.95, steps=600)
        >>> report = export_sparse(result.network, "export/", check_inputs=x_test)
        >>> report.zeros["tflite"]
    """
    backend.require_tensorflow("export_sparse (the tfmot pruning export, SavedModel, TFLite)")
    model = checks.classifier(model, "model")
    if check_inputs is not None:
        check_inputs = checks.inputs(check_inputs, model, "check_inputs")
    if int8:
        if train_data is None:
            raise ValueError(
                "int8 export trains with quantisation in the loop; pass train_data=(x, y).")
        train_data = _check_train_data(model, train_data)
        qat_epochs = checks.count(qat_epochs, "qat_epochs")
        batch_size = checks.count(batch_size, "batch_size")
    to_tf_keras(model)  # refuses an unconvertible model before anything is written
    directory = os.path.normpath(os.fspath(directory))
    check_directory(directory, overwrite)
    stripped, sparsities = strip_through_tfmot(model)
    shipped = from_tf_keras(stripped)
    names = {"keras": "model.keras", "saved_model": "saved_model", "tflite": "model.tflite"}
    if int8:
        names["tflite_int8"] = "model_int8.tflite"
    # Written in a folder beside, renamed whole at the end (like the checkpoints):
    # an interrupted export leaves no partial model, and the rerun starts clean.
    partial = _start_partial(directory, overwrite)
    try:
        written = {kind: os.path.join(partial, name) for kind, name in names.items()}
        shipped.save(written["keras"])
        _pause_for_tests()
        shipped.export(written["saved_model"], format="tf_saved_model", verbose=False)
        _tflite_from_saved_model(written["saved_model"], written["tflite"])
        if int8:
            _write_int8(stripped, train_data, written["tflite_int8"], qat_epochs, batch_size,
                        verbose)
        _finish_partial(partial, directory)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    paths = {kind: os.path.join(directory, name) for kind, name in names.items()}

    zeros = {
        "keras": measured_sparsity(keras.models.load_model(paths["keras"]))[1],
        "saved_model": _saved_model_zeros(paths["saved_model"]),
        **{kind: tflite_zeros(paths[kind]) for kind in ("tflite", "tflite_int8") if kind in paths},
    }
    files = {kind: {"path": path, "bytes": _size(path), "gzip_bytes": gzip_size(path)}
             for kind, path in paths.items()}
    agreement = {}
    if check_inputs is not None:
        x = check_inputs
        reference = model.predict(x, batch_size=512, verbose=0)
        agreement["keras"] = _agreement(reference, keras.models.load_model(paths["keras"]).predict(x, verbose=0))
        agreement["saved_model"] = _agreement(reference, saved_model_predict(paths["saved_model"], x))
        for kind in ("tflite", "tflite_int8"):
            if kind in paths:
                agreement[kind] = _agreement(reference, tflite_predict(paths[kind], x))
    return ExportReport(directory=directory, files=files, zeros=zeros,
                        layer_sparsity=sparsities, agreement=agreement)


def _pause_for_tests():
    """Sleeps `KERAS_FIP_EXPORT_PAUSE` seconds inside the temporary export folder.

    A test hook: it holds an export at its most fragile moment (the model file
    written, the rest not) long enough for a test to interrupt it.
    """
    pause = os.environ.get("KERAS_FIP_EXPORT_PAUSE")
    if pause:
        import time

        time.sleep(float(pause))


def _check_train_data(model, train_data):
    return checks.labelled_pair(train_data, model, "train_data")


def _write_int8(stripped, train_data, path, epochs, batch_size, verbose):
    """Sparsity-preserving quantisation-aware training, then an int8 TFLite file."""
    from keras_fip.sparsity._tfmot import tfmot

    module = tfmot()
    import tf_keras

    annotated = module.quantization.keras.quantize_annotate_model(stripped)
    qat = module.quantization.keras.quantize_apply(
        annotated, module.experimental.combine.Default8BitPrunePreserveQuantizeScheme())
    x, y = train_data
    # Logits or probabilities by what the network outputs, not by its last layer.
    probabilities = not outputs_are_logits(stripped, np.asarray(x[:8], "float32"))
    # tf_keras' own compile/fit, not `fit_supervised`: tfmot's quantisation wrappers are
    # tf_keras layers and train only in a tf_keras model.
    qat.compile(tf_keras.optimizers.Adam(1e-4),
                tf_keras.losses.SparseCategoricalCrossentropy(from_logits=not probabilities))
    qat.fit(np.asarray(x, "float32"), np.asarray(y), epochs=epochs, batch_size=batch_size,
            verbose=verbose)
    tf = _tf()
    converter = tf.lite.TFLiteConverter.from_keras_model(qat)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    with open(path, "wb") as f:
        f.write(converter.convert())
