"""The tiny network and fixed weights the cross-backend scripts start from."""

import keras
import numpy as np


def start_weights(rng, inputs=6, hidden=16, classes=4):
    """Float32 weights of a `inputs -> hidden (ReLU) -> classes` network, drawn from `rng`."""
    weights = [rng.normal(0, 0.5, (inputs, hidden)), rng.normal(0, 0.1, hidden),
               rng.normal(0, 0.5, (hidden, classes)), rng.normal(0, 0.1, classes)]
    return [w.astype("float32") for w in weights]


def network(weights):
    """A fresh `keras.Sequential` with exactly `weights` (shapes from `start_weights`)."""
    inputs, hidden = weights[0].shape
    net = keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(weights[2].shape[1]),
    ])
    net.set_weights(weights)
    return net


def flat(weights):
    """Every value of a list of weights (variables or arrays), in one vector."""
    return np.concatenate([np.asarray(w).ravel() for w in weights])
