"""Keras 3 <-> tf_keras conversion of standard models, weights exact.

tensorflow-model-optimization only takes tf_keras (Keras 2) models, and a Keras 3
config does not load in tf_keras as is (InputLayer `batch_shape`, dtype policies,
newer initializer arguments). This module rebuilds a Sequential or functional
model of standard layers in the other framework, layer by layer from configs,
and copies the weights. Subclassed models, nested models and layers outside
`SUPPORTED_LAYERS` are refused with an error naming them.
"""

import inspect

import numpy as np
import keras

from keras_fip.engine import backend

#: Layer classes the converter rebuilds (their configs mean the same in both).
SUPPORTED_LAYERS = frozenset({
    "InputLayer", "Dense", "Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D",
    "SeparableConv2D", "Conv2DTranspose", "MaxPooling1D", "MaxPooling2D",
    "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D", "Flatten",
    "Reshape", "Permute", "Dropout", "SpatialDropout2D", "BatchNormalization",
    "LayerNormalization", "Activation", "ReLU", "LeakyReLU", "Softmax", "Add",
    "Subtract", "Multiply", "Average", "Maximum", "Concatenate", "ZeroPadding2D",
    "Cropping2D", "UpSampling2D", "Embedding",
})

# Options one framework writes that the other lacks but that change nothing at
# their written values (tf_keras' batch renormalisation settings when off).
_IGNORABLE = {"renorm_momentum", "renorm_clipping", "fused", "build_config"}


class UnsupportedModelError(ValueError):
    """The model holds something the converter cannot rebuild in the other framework.

    A `ValueError`; its message names every layer it cannot take.

    Raises:
        Nothing: it is what `to_tf_keras`, `from_tf_keras` and `export_sparse` raise.

    Example:
        >>> try:
        ...     to_tf_keras(subclassed_model)
        ... except UnsupportedModelError as error:
        ...     print(error)
    """


def _tf_keras():
    backend.require_tensorflow("Converting to and from tf_keras (for tfmot)")
    try:
        import tf_keras
    except ImportError:
        raise ImportError(
            "Converting to tf_keras needs the tf-keras package: "
            "pip install 'keras-fip[sparsity]'."
        ) from None
    return tf_keras


def to_tf_keras(model):
    """Rebuilds a Keras 3 model as a tf_keras model with the same weights.

    Args:
        model: a built Keras 3 Sequential or functional model (a `FIPModel` is
            unwrapped to its network).

    Returns:
        A tf_keras model that computes the same function.

    Raises:
        UnsupportedModelError: for subclassed or nested models and layers outside
            `SUPPORTED_LAYERS` (all of them are named).
        ImportError: tf-keras is not installed (the `sparsity` extra).

    Example:
        >>> legacy = to_tf_keras(network)        # tfmot's pruning API takes it
        >>> np.allclose(legacy.predict(x), network.predict(x))
        True
    """
    model = getattr(model, "network", model)
    return _rebuild(model, keras, _tf_keras())


def from_tf_keras(model):
    """Rebuilds a tf_keras model (e.g. tfmot's stripped model) in Keras 3.

    Args:
        model: a built tf_keras Sequential or functional model.

    Returns:
        A Keras 3 functional model that computes the same function.

    Raises:
        UnsupportedModelError: for subclassed or nested models and layers outside
            `SUPPORTED_LAYERS` (all of them are named).
        ImportError: tf-keras is not installed (the `sparsity` extra).

    Example:
        >>> network_again = from_tf_keras(to_tf_keras(network))
    """
    return _rebuild(model, _tf_keras(), keras)


# ------------------------------------------------------------------- graph
def _rebuild(model, source, target):
    _check_model(model, source)
    graph = _read_graph(model, source)
    rebuilt = _build(graph, target)
    for name in graph["weights_of"]:
        src = model.get_layer(name).get_weights()
        dst = rebuilt.get_layer(name)
        if [w.shape for w in dst.get_weights()] != [w.shape for w in src]:
            raise UnsupportedModelError(f"Layer {name!r}: weights do not line up after conversion.")
        dst.set_weights(src)
    return rebuilt


def _check_model(model, framework):
    if not isinstance(model, framework.Model):
        raise UnsupportedModelError(f"Expected a {framework.__name__} model, got {type(model).__name__}.")
    kind = type(model).__name__
    # Subclassed models have their own class (a bare "Model" one has no symbolic inputs).
    subclassed = kind not in ("Sequential", "Functional", "Model") or (
        kind == "Model" and not getattr(model, "inputs", None))
    if subclassed:
        raise UnsupportedModelError(
            f"Only Sequential and functional models convert; {kind} is a subclassed model."
        )
    if not model.built or not model.weights:
        raise UnsupportedModelError(
            "The model has no weights yet: build it (call it on data or give it an Input) first."
        )
    nested = [l.name for l in model.layers if isinstance(l, framework.Model)]
    bad = sorted({type(l).__name__ for l in model.layers
                  if type(l).__name__ not in SUPPORTED_LAYERS and not isinstance(l, framework.Model)})
    if nested or bad:
        parts = []
        if nested:
            parts.append(f"nested models {nested}")
        if bad:
            parts.append(f"layers {bad}")
        raise UnsupportedModelError(
            f"Cannot convert {', '.join(parts)} between Keras 3 and tf_keras; supported "
            f"layers are {', '.join(sorted(SUPPORTED_LAYERS - {'InputLayer'}))}."
        )


def _read_graph(model, framework):
    """Framework-neutral description: inputs, layers with their calls, outputs."""
    config = model.get_config()
    sequential = type(model).__name__ == "Sequential"
    layers, inputs = [], []
    for entry in config["layers"]:
        name = entry["config"]["name"]
        if entry["class_name"] == "InputLayer":
            layer_config = entry["config"]
            shape = layer_config.get("batch_shape") or layer_config.get("batch_input_shape")
            inputs.append({"name": name, "shape": tuple(shape[1:]), "dtype": layer_config.get("dtype", "float32")})
            continue
        calls = None if sequential else [_read_call(node) for node in entry["inbound_nodes"]]
        layers.append({"class_name": entry["class_name"], "config": entry["config"], "name": name, "calls": calls})
    if sequential and not inputs:
        shape = model.inputs[0].shape if getattr(model, "inputs", None) else config.get("build_input_shape")
        inputs.append({"name": None, "shape": tuple(shape[1:]), "dtype": "float32"})
    outputs = None
    if not sequential:
        outputs = [tuple(ref[:3]) for ref in _as_refs(config["output_layers"])]
    weights_of = [l.name for l in model.layers if l.weights]
    return {"name": config["name"], "sequential": sequential, "inputs": inputs,
            "layers": layers, "outputs": outputs, "weights_of": weights_of}


def _as_refs(value):
    # ["name", 0, 0] or [["name", 0, 0], ...]
    return [value] if value and isinstance(value[0], str) else list(value)


def _read_call(node):
    """One call of a layer: the tensors it took, as (layer, node, tensor) refs."""
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        _check_call_kwargs(node.get("kwargs"))
        args = node["args"]
        if len(args) != 1:
            raise UnsupportedModelError("Layers called with several positional arguments are not converted.")
        arg = args[0]
        if isinstance(arg, dict):
            return [tuple(arg["config"]["keras_history"])], False
        return [tuple(t["config"]["keras_history"]) for t in arg], True
    refs = []  # tf_keras: [["name", node, tensor, kwargs], ...]
    for ref in node:
        _check_call_kwargs(ref[3] if len(ref) > 3 else None)
        refs.append(tuple(ref[:3]))
    return refs, len(refs) > 1


def _check_call_kwargs(kwargs):
    # Keras 3 records `mask=None` on every call, and `training=False` on a Dropout
    # built into a functional graph; neither changes the model (a call's own
    # `training` replaces the recorded one). Only real arguments matter.
    given = sorted(k for k, v in (kwargs or {}).items()
                   if v is not None and k != "training")
    if given:
        raise UnsupportedModelError(f"Call arguments {given} are not converted.")


def _build(graph, framework):
    layers = [_make_layer(spec, framework) for spec in graph["layers"]]
    if graph["sequential"]:
        spec = graph["inputs"][0]
        model_input = framework.Input(shape=spec["shape"], dtype=spec["dtype"])
        return framework.Sequential([model_input, *layers], name=graph["name"])
    produced = {}  # layer name -> list of outputs, one per call
    for spec in graph["inputs"]:
        tensor = framework.Input(shape=spec["shape"], dtype=spec["dtype"], name=spec["name"])
        produced[spec["name"]] = [[tensor]]
    for spec, layer in zip(graph["layers"], layers):
        for refs, as_list in spec["calls"]:
            args = [_lookup(produced, ref) for ref in refs]
            out = layer(args if as_list else args[0])
            produced.setdefault(spec["name"], []).append(out if isinstance(out, list) else [out])
    inputs = [produced[spec["name"]][0][0] for spec in graph["inputs"]]
    outputs = [_lookup(produced, ref) for ref in graph["outputs"]]
    return framework.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=graph["name"])


def _lookup(produced, ref):
    name, node, tensor = ref
    return produced[name][node][tensor]


# ----------------------------------------------------------------- configs
def _make_layer(spec, framework):
    cls = getattr(framework.layers, spec["class_name"])
    config = _translate(spec["config"], cls, spec["name"], framework)
    return cls.from_config(config)


def _accepted(cls):
    names = set()
    for klass in inspect.getmro(cls):
        if "__init__" in vars(klass):
            params = inspect.signature(klass.__init__).parameters
            names.update(p for p in params if p not in ("self", "args", "kwargs"))
    return names | {"name", "trainable", "dtype"}


def _translate(config, cls, layer_name, framework):
    accepted = _accepted(cls)
    out = {}
    for key, value in config.items():
        if key == "dtype":
            value = _dtype_name(value)
        elif key == "axis" and cls.__name__ == "BatchNormalization" and isinstance(value, list):
            # tf_keras writes [3]; Keras 3's BatchNormalization takes one int.
            if len(value) != 1:
                raise UnsupportedModelError(f"Layer {layer_name!r} normalises over several axes {value}.")
            value = value[0]
        elif isinstance(value, dict) and "class_name" in value:
            value = _translate_object(value, framework, layer_name, key)
        if key in accepted:
            out[key] = value
        elif key in _IGNORABLE or value in (None, False, 0, {}, []):
            continue
        else:
            raise UnsupportedModelError(
                f"Layer {layer_name!r} ({cls.__name__}) uses option {key}={value!r}, which "
                f"{framework.__name__} does not have."
            )
    return out


def _dtype_name(value):
    if isinstance(value, dict):  # a Keras 3 DTypePolicy
        value = value.get("config", {}).get("name", "float32")
    # A mixed-precision model keeps float32 variables and computes in half
    # precision; its export computes in float32: tfmot's wrappers mix the two
    # dtypes, and TFLite has no bfloat16 kernels.
    return "float32" if value in ("mixed_float16", "mixed_bfloat16") else value


def _translate_object(value, framework, layer_name, key):
    """Initializers, regularizers, constraints: keep the arguments the target takes."""
    class_name = value["class_name"]
    for module_name in ("initializers", "regularizers", "constraints"):
        cls = getattr(getattr(framework, module_name), class_name, None)
        if cls is not None:
            params = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
            config = {k: v for k, v in (value.get("config") or {}).items() if k in params}
            return {"class_name": class_name, "config": config}
    raise UnsupportedModelError(
        f"Layer {layer_name!r}: {key} {class_name} has no {framework.__name__} counterpart."
    )


def same_weights(a, b):
    """True when two models (either framework) hold identical weights by layer name."""
    for layer in a.layers:
        if layer.weights:
            other = b.get_layer(layer.name).get_weights()
            if not all(np.array_equal(x, y) for x, y in zip(layer.get_weights(), other)):
                return False
    return True
