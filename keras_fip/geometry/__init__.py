"""Weight-space geometry: the functional metric `g(w)` and its spectrum.

Written in TensorFlow (forward-mode products through `tf.autodiff`): it needs
Keras' TensorFlow backend.
"""

from keras_fip.engine.backend import require_tensorflow

require_tensorflow("keras_fip.geometry")

from keras_fip.geometry.metric import flatten_variables_like
from keras_fip.geometry.metric import metric_quadratic_form
from keras_fip.geometry.metric import metric_vector_product
from keras_fip.geometry.metric import top_eigenpairs
from keras_fip.geometry.metric import unflatten_like

__all__ = [
    "flatten_variables_like",
    "metric_quadratic_form",
    "metric_vector_product",
    "top_eigenpairs",
    "unflatten_like",
]
