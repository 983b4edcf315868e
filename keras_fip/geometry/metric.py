"""The functional metric on weight space and its leading eigenvectors.

Moving the weights from `w` to `w + theta` changes what the network outputs on
inputs `x`. Measured with an output distance `d(anchor, outputs)` (zero and
stationary when `outputs == anchor`), the change is, to second order,

    D(w, w + theta) = mean_x d(f(x; w), f(x; w + theta)) ~= 1/2 theta^T g(w) theta

with the metric

    g(w) = mean_x J_x^T H_x J_x,

where `J_x` is the Jacobian of the network outputs w.r.t. the flattened trainable
weights at input `x`, and `H_x` the Hessian of `d(z0, z)` w.r.t. `z` at
`z = z0 = f(x; w)`. This is the generalised Gauss-Newton matrix of the distance.
Directions with small `v^T g v` barely change the function: functionally
invariant paths (Raghavan & Thomson) move along them.

`g` is `n_params x n_params`, so it is never built. Products with it are
matrix-free: forward mode gives `J v` (one extra forward pass), a small
Hessian-vector product in output space gives `H (J v)`, and reverse mode gives
`J^T (H J v)`.

Note: the default Bhattacharyya distance is exactly zero and stationary at
`z0`, so `g` is its Hessian there. The reference code's variant
(`Bhattacharyya(eps_scale=1e-3)`) adds a small `eps` under the square root: it is
slightly below zero at `z0` with a tiny gradient there, and `g` is then the
Gauss-Newton part of its Hessian (it drops a term of order `eps`); it stays
positive semi-definite, which is what Lanczos and FIP steps need.
"""

import numpy as np
import tensorflow as tf

from keras_fip.engine import distances as distances_lib

__all__ = [
    "flatten_variables_like",
    "unflatten_like",
    "metric_vector_product",
    "metric_quadratic_form",
    "top_eigenpairs",
]


# ---------------------------------------------------------------------------
# Flattening helpers
# ---------------------------------------------------------------------------


def flatten_variables_like(tensors):
    """Concatenates a list of tensors into one flat vector.

    The order is the list's order, so flattening something shaped like
    `model.trainable_variables` gives the coordinates used by `top_eigenpairs`.

    Args:
        tensors: a list of tensors, arrays or variables (any shapes). They are
            cast to the first one's floating dtype.

    Returns:
        A 1-D `tf.Tensor` with `sum(size(t) for t in tensors)` entries.

    Raises:
        ValueError: tensors whose values cannot be cast to the first one's dtype
            (TensorFlow's error).

    Example:
        >>> flat = flatten_variables_like(model.trainable_variables)
        >>> flat.shape  # (model.count_params(),) when every weight is trainable
    """
    tensors = [tf.convert_to_tensor(_as_tensor(t)) for t in tensors]
    if not tensors:
        return tf.zeros((0,), dtype=tf.float32)
    dtype = tensors[0].dtype
    return tf.concat([tf.reshape(tf.cast(t, dtype), [-1]) for t in tensors], axis=0)


def unflatten_like(flat, variables):
    """Splits a flat vector into tensors shaped like `variables`.

    The inverse of `flatten_variables_like`. Each piece takes its variable's
    dtype.

    Args:
        flat: a 1-D tensor or array with as many entries as `variables` hold.
        variables: a list of variables or tensors giving the shapes and dtypes,
            usually `model.trainable_variables`.

    Returns:
        A list of tensors, one per variable, with the variable's shape and dtype.

    Raises:
        ValueError: if `flat` has the wrong number of entries.

    Example:
        >>> vectors = unflatten_like(np.random.randn(n_params), model.trainable_variables)
        >>> [v.shape for v in vectors] == [w.shape for w in model.trainable_variables]
        True
    """
    flat = tf.reshape(tf.convert_to_tensor(flat), [-1])
    shapes = [tuple(v.shape) for v in variables]
    sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
    if flat.shape[0] is not None and flat.shape[0] != sum(sizes):
        raise ValueError(
            f"Cannot unflatten a vector of {flat.shape[0]} entries into variables "
            f"holding {sum(sizes)} values."
        )
    pieces = tf.split(flat, sizes) if sizes else []
    return [
        tf.reshape(tf.cast(piece, _dtype_of(v)), shape)
        for piece, v, shape in zip(pieces, variables, shapes)
    ]


# ---------------------------------------------------------------------------
# Metric products
# ---------------------------------------------------------------------------


def metric_vector_product(model, x, vectors, distance="bhattacharyya", from_logits=True):
    """Computes `g(w) v` without building the Jacobian or the metric.

    Args:
        model: a Keras model (TensorFlow backend) returning one output tensor of
            shape `(batch, num_outputs)`. It is run with `training=False`.
        x: a batch of inputs the model accepts (tensor, array, or a structure of
            them for multi-input models); the metric averages over its samples.
        vectors: the direction `v`, a list of tensors shaped like
            `model.trainable_variables`, or one flat vector of `n_params`
            entries in `trainable_variables` order.
        distance: the output distance: a name (`"bhattacharyya"`, `"l2"`,
            `"kl"`), a `keras_fip.engine.distances.Distance`, or a function
            `fn(anchor_outputs, outputs)` returning per-sample values.
        from_logits: whether the model outputs logits (used when `distance` is
            a name or a function).

    Returns:
        A list of tensors shaped like `model.trainable_variables` holding
        `g(w) v`.

    Raises:
        ValueError: if `x` is empty or `vectors` does not match the weights.

    Example:
        >>> v = [tf.random.normal(w.shape) for w in model.trainable_variables]
        >>> gv = metric_vector_product(model, x, v, distance="l2")
        >>> [t.shape for t in gv] == [w.shape for w in model.trainable_variables]
        True
    """
    variables = list(model.trainable_variables)
    distance = distances_lib.get(distance, from_logits=from_logits)
    x = _check_inputs(x)
    vectors = _as_vector_list(vectors, variables)
    return _metric_vector_product(model, variables, distance, x, vectors)


def metric_quadratic_form(model, x, vectors, distance="bhattacharyya", from_logits=True):
    """Computes the scalar `v^T g(w) v`: how fast the function changes along `v`.

    Only `J v` (forward mode) and a Hessian-vector product in output space are
    needed: `v^T g v = mean_x (J_x v)^T H_x (J_x v)`. Half of it, times `t^2`,
    approximates the mean output distance after the step `w -> w + t v`.

    Args:
        model: a Keras model returning one output tensor `(batch, num_outputs)`,
            run with `training=False`.
        x: a batch of inputs the model accepts.
        vectors: `v`, a list of tensors shaped like `model.trainable_variables`
            or one flat vector in that order.
        distance: a distance name, `Distance` or function (see
            `metric_vector_product`).
        from_logits: whether the model outputs logits.

    Returns:
        A scalar `tf.Tensor` (the model's output dtype, at least float32).

    Raises:
        ValueError: if `x` is empty or `vectors` does not match the weights.

    Example:
        >>> v = [tf.random.normal(w.shape) for w in model.trainable_variables]
        >>> speed = float(metric_quadratic_form(model, x, v))  # >= 0
    """
    variables = list(model.trainable_variables)
    distance = distances_lib.get(distance, from_logits=from_logits)
    x = _check_inputs(x)
    vectors = _as_vector_list(vectors, variables)
    return _metric_quadratic_form(model, variables, distance, x, vectors)


def top_eigenpairs(
    model,
    x,
    k=5,
    distance="bhattacharyya",
    from_logits=True,
    seed=0,
    tol=0.0,
    maxiter=None,
):
    """Finds the `k` largest eigenvalues of `g(w)` and their eigenvectors.

    Uses Lanczos (`scipy.sparse.linalg.eigsh`) on a matrix-free operator whose
    products are `metric_vector_product`, compiled once with `tf.function`.
    The eigenvectors with the largest eigenvalues are the weight directions the
    function is most sensitive to; FIP steps avoid them.

    Args:
        model: a Keras model returning one output tensor `(batch, num_outputs)`,
            run with `training=False`.
        x: a batch of inputs the model accepts.
        k: how many eigenpairs; `1 <= k < n_params`.
        distance: a distance name, `Distance` or function (see
            `metric_vector_product`).
        from_logits: whether the model outputs logits.
        seed: seeds Lanczos' start vector, so results are reproducible.
        tol: relative accuracy asked of ARPACK (0 means machine precision).
        maxiter: most Arnoldi update iterations (ARPACK's default if None).

    Returns:
        `(eigenvalues, eigenvectors)`: a float64 numpy array of shape `(k,)`
        sorted in descending order, and a float64 numpy array of shape
        `(k, n_params)` whose rows are the unit eigenvectors, flattened in
        `model.trainable_variables` order (use `unflatten_like` to get them
        back as weight-shaped tensors). Each row's sign is fixed so that its
        largest-magnitude entry is positive.

    Raises:
        ValueError: if `x` is empty, `k < 1`, or `k >= n_params`.

    Example:
        >>> values, vectors = top_eigenpairs(model, x_memory, k=3, distance="l2")
        >>> values.shape, vectors.shape
        ((3,), (3, n_params))
    """
    from scipy.sparse import linalg as sparse_linalg  # scipy is only needed here

    variables = list(model.trainable_variables)
    n_params = int(sum(int(np.prod(v.shape, dtype=np.int64)) for v in variables))
    k = int(k)
    if k < 1:
        raise ValueError(f"top_eigenpairs needs k >= 1, got k={k}.")
    if k >= n_params:
        raise ValueError(
            f"top_eigenpairs needs k < number of trainable parameters: got k={k} "
            f"for a model with {n_params} trainable parameters. Lanczos cannot "
            f"return all eigenpairs; use a smaller k."
        )
    distance = distances_lib.get(distance, from_logits=from_logits)
    x = _check_inputs(x)

    # One graph for every matvec: Lanczos calls it tens to hundreds of times,
    # and retracing or running eagerly each time would dominate the cost.
    @tf.function(reduce_retracing=True)
    def flat_product(inputs, flat):
        vectors = unflatten_like(flat, variables)
        product = _metric_vector_product(model, variables, distance, inputs, vectors)
        return flatten_variables_like(product)

    compute_dtype = _dtype_of(variables[0])

    def matvec(v):
        flat = tf.constant(np.asarray(v, dtype=np.float64).reshape(-1), dtype=compute_dtype)
        return flat_product(x, flat).numpy().astype(np.float64)

    operator = sparse_linalg.LinearOperator(
        (n_params, n_params), matvec=matvec, rmatvec=matvec, dtype=np.float64
    )
    start = np.random.default_rng(seed).standard_normal(n_params)
    values, vectors = sparse_linalg.eigsh(
        operator, k=k, which="LA", v0=start, tol=tol, maxiter=maxiter
    )
    order = np.argsort(values)[::-1]
    values = np.asarray(values[order], dtype=np.float64)
    vectors = np.asarray(vectors[:, order].T, dtype=np.float64)
    # Eigenvectors are only defined up to sign; fix it so results are stable.
    pivots = np.argmax(np.abs(vectors), axis=1)
    signs = np.sign(vectors[np.arange(k), pivots])
    signs[signs == 0] = 1.0
    return values, vectors * signs[:, None]


# ---------------------------------------------------------------------------
# Internals
# ---------------------------------------------------------------------------


def _metric_vector_product(model, variables, distance, x, vectors):
    """`g v` as a list shaped like `variables` (usable inside tf.function)."""
    # One forward pass serves both modes: the accumulator carries J v forward,
    # the tape keeps the graph for the vector-Jacobian product J^T (H J v).
    with tf.GradientTape() as tape:
        jvp_outputs, outputs = _jvp(model, variables, x, vectors)
    h_jv = _output_hvp(distance, outputs, jvp_outputs)
    batch = tf.cast(tf.shape(outputs)[0], h_jv.dtype)
    cotangent = tf.cast(h_jv / batch, outputs.dtype)
    gradients = tape.gradient(
        outputs,
        variables,
        output_gradients=cotangent,
        unconnected_gradients=tf.UnconnectedGradients.ZERO,
    )
    return [tf.cast(g, _dtype_of(v)) for g, v in zip(gradients, variables)]


def _metric_quadratic_form(model, variables, distance, x, vectors):
    jvp_outputs, outputs = _jvp(model, variables, x, vectors)
    h_jv = _output_hvp(distance, outputs, jvp_outputs)
    u = tf.cast(jvp_outputs, h_jv.dtype)
    batch = tf.cast(tf.shape(outputs)[0], h_jv.dtype)
    return tf.reduce_sum(u * h_jv) / batch


def _jvp(model, variables, x, vectors):
    """Runs the model once; returns `(J v, outputs)`, both `(batch, ...)`."""
    # ForwardAccumulator wants tf.Variables; Keras 3 variables wrap one in `.value`.
    primals = [_tf_variable(v) for v in variables]
    with tf.autodiff.ForwardAccumulator(primals, vectors) as accumulator:
        outputs = model(x, training=False)
    if not tf.is_tensor(outputs):
        raise TypeError(
            "The metric needs a model with a single output tensor; got outputs of "
            f"type {type(outputs).__name__}."
        )
    jvp_outputs = accumulator.jvp(outputs, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    return jvp_outputs, outputs


def _output_hvp(distance, outputs, directions):
    """Per-sample `H_x u_x`, with `H_x` the Hessian of `d(z0, z)` in `z` at `z0`.

    Summing the per-sample distances makes the Hessian block-diagonal over the
    batch, so one Hessian-vector product gives every sample's `H_x u_x` at once.
    The output tensor is small, so double reverse mode here is cheap.
    """
    # Work in at least float32: half-precision second derivatives are too noisy.
    dtype = outputs.dtype if outputs.dtype.size >= 4 else tf.float32
    anchor = tf.stop_gradient(tf.cast(outputs, dtype))
    directions = tf.cast(directions, dtype)
    z = tf.identity(anchor)
    with tf.GradientTape() as outer:
        outer.watch(z)
        with tf.GradientTape() as inner:
            inner.watch(z)
            total = tf.reduce_sum(tf.cast(distance(anchor, z), dtype))
        gradient = inner.gradient(total, z)
    return outer.gradient(
        gradient, z, output_gradients=directions, unconnected_gradients=tf.UnconnectedGradients.ZERO
    )


def _check_inputs(x):
    """Converts `x` to tensors and rejects an empty batch with a clear message."""
    x = tf.nest.map_structure(_to_tensor, x)
    leaves = tf.nest.flatten(x)
    if not leaves:
        raise ValueError("The metric needs a batch of inputs, got an empty structure.")
    first = leaves[0]
    if first.shape.rank == 0:
        raise ValueError(
            f"The metric needs a batch of inputs with a batch axis, got a scalar {first!r}."
        )
    if first.shape[0] == 0:
        raise ValueError(
            "The metric averages over a batch of inputs, but x is empty "
            f"(shape {tuple(first.shape)}). Pass at least one sample."
        )
    return x


def _to_tensor(value):
    return value if tf.is_tensor(value) else tf.convert_to_tensor(value)


def _as_vector_list(vectors, variables):
    """Accepts a weight-shaped list or one flat vector; returns a weight-shaped list."""
    if isinstance(vectors, (list, tuple)):
        if len(vectors) != len(variables):
            raise ValueError(
                f"vectors has {len(vectors)} parts but the model has "
                f"{len(variables)} trainable variables."
            )
        result = []
        for index, (part, variable) in enumerate(zip(vectors, variables)):
            part = tf.convert_to_tensor(_as_tensor(part))
            if tuple(part.shape) != tuple(variable.shape):
                raise ValueError(
                    f"vectors[{index}] has shape {tuple(part.shape)} but trainable "
                    f"variable {index} ({variable.path if hasattr(variable, 'path') else variable.name}) "
                    f"has shape {tuple(variable.shape)}."
                )
            result.append(tf.cast(part, _dtype_of(variable)))
        return result
    return unflatten_like(vectors, variables)


def _as_tensor(value):
    # Keras variables are not tf tensors; read their current value.
    if hasattr(value, "value") and not tf.is_tensor(value) and not isinstance(value, np.ndarray):
        return tf.convert_to_tensor(value.value)
    return value


def _tf_variable(variable):
    return variable if isinstance(variable, tf.Variable) else variable.value


def _dtype_of(variable):
    return tf.as_dtype(variable.dtype)
