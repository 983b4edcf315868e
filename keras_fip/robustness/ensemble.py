"""`FIPEnsemble`: a Keras model that averages its members' outputs."""

import keras
from keras import ops

from keras_fip.engine.networks import input_signature_of, outputs_are_logits

AVERAGES = ("probabilities", "logits")


def _compatible(a, b):
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def _members_from_logits(members, from_logits):
    """Whether the members output logits, each member probed; mixed members are refused."""
    kinds = [outputs_are_logits(m, from_logits=from_logits, name=f"FIPEnsemble member {i}")
             for i, m in enumerate(members)]
    if from_logits is None and len(set(kinds)) > 1:
        logits = [i for i, k in enumerate(kinds) if k]
        probabilities = [i for i, k in enumerate(kinds) if not k]
        raise ValueError(
            "FIPEnsemble members must all output logits or all output probabilities: "
            f"member{'s' if len(logits) > 1 else ''} {', '.join(map(str, logits))} output "
            f"logits, member{'s' if len(probabilities) > 1 else ''} "
            f"{', '.join(map(str, probabilities))} output probabilities (softmax); "
            "make them all the same kind."
        )
    return kinds[0]


@keras.saving.register_keras_serializable("keras_fip")
class FIPEnsemble(keras.Model):
    """An ensemble of networks with the same inputs and outputs, averaged.

    With `average="probabilities"` (default) the members' softmax outputs are
    averaged and the ensemble outputs probabilities; with `average="logits"` the
    members' logits are averaged and the ensemble outputs logits. `logits(x)`
    always gives logits (the log of the averaged probabilities in the first
    case), which is what gradient attacks need.

    It saves to one `.keras` file (members included) and exports as one
    SavedModel (`export`).

    Args:
        members: a non-empty list of `keras.Model`s with the same output width.
        average: `"probabilities"` or `"logits"`.
        from_logits: whether the members output logits; when None, each member
            is run on a probe batch, and members of different kinds are refused.
        name: model name.

    Raises:
        ValueError: no members, an unknown `average`, members with several
            outputs, of different output widths, or some outputting logits and
            others probabilities.
        TypeError: a member that is not a `keras.Model`.

    Example:
        >>> ensemble = FIPEnsemble([net_a, net_b, net_c])
        >>> ensemble.save("ensemble.keras")
        >>> keras.models.load_model("ensemble.keras").predict(x)
    """

    def __init__(self, members, average="probabilities", from_logits=None,
                 name="fip_ensemble", **kwargs):
        super().__init__(name=name, **kwargs)
        members = list(members or [])
        if not members:
            raise ValueError("FIPEnsemble needs at least one member; got an empty list.")
        for i, member in enumerate(members):
            if not isinstance(member, keras.Model):
                raise TypeError(
                    f"FIPEnsemble members must be keras.Model; member {i} is "
                    f"{type(member).__name__}."
                )
        if average not in AVERAGES:
            raise ValueError(f"Unknown average {average!r}; choose one of {AVERAGES}.")
        for i, member in enumerate(members):
            outputs = getattr(member, "outputs", None) if member.built else None
            if outputs is not None and len(outputs) != 1:
                raise ValueError(
                    f"FIPEnsemble member {i} has {len(outputs)} output tensors; members must "
                    "be classifiers with a single output."
                )
        widths = {
            m.outputs[0].shape[-1] for m in members if m.built and getattr(m, "outputs", None)
        }
        if len(widths) > 1:
            raise ValueError(f"FIPEnsemble members disagree on their output width: {sorted(widths)}.")
        shapes = [
            tuple(m.inputs[0].shape[1:]) for m in members
            if m.built and getattr(m, "inputs", None) and len(m.inputs) == 1
        ]
        for shape in shapes[1:]:
            if not _compatible(shapes[0], shape):
                raise ValueError(
                    f"FIPEnsemble members disagree on their input shape: {shapes[0]} and {shape}."
                )
        self.members = members
        self.average = average
        self.member_from_logits = _members_from_logits(members, from_logits)
        if all(m.built for m in members):
            self.built = True

    def __len__(self):
        return len(self.members)

    @property
    def outputs_logits(self):
        """Whether `call` returns logits (True) or probabilities (False)."""
        return self.average == "logits"

    def member_outputs(self, inputs, training=None):
        """Each member's raw outputs, a list."""
        return [member(inputs, training=training) for member in self.members]

    def member_probabilities(self, inputs, training=None):
        outputs = self.member_outputs(inputs, training=training)
        if self.member_from_logits:
            return [ops.softmax(o, axis=-1) for o in outputs]
        return outputs

    def call(self, inputs, training=None):
        outputs = self.member_outputs(inputs, training=training)
        if self.average == "logits":
            if not self.member_from_logits:
                outputs = [ops.log(ops.maximum(o, 1e-12)) for o in outputs]
            return ops.mean(ops.stack(outputs, axis=0), axis=0)
        if self.member_from_logits:
            outputs = [ops.softmax(o, axis=-1) for o in outputs]
        return ops.mean(ops.stack(outputs, axis=0), axis=0)

    def logits(self, inputs, training=False):
        """Logits of the ensemble: the averaged logits, or the log of the averaged
        probabilities (for attacks and cross-entropy)."""
        outputs = self(inputs, training=training)
        if self.average == "logits":
            return outputs
        return ops.log(ops.maximum(outputs, 1e-12))

    def build(self, input_shape):
        for member in self.members:
            if not member.built:
                member.build(input_shape)
        self.built = True

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kwargs):
        """Exports the whole ensemble as one SavedModel (or another Keras export format).

        The input signature is taken from the first member when it has one.
        """
        if input_signature is None:
            input_signature = input_signature_of(self.members[0])
        return super().export(
            filepath, format=format, verbose=verbose, input_signature=input_signature, **kwargs
        )

    def get_config(self):
        return {
            "name": self.name,
            "members": [keras.saving.serialize_keras_object(m) for m in self.members],
            "average": self.average,
            "from_logits": self.member_from_logits,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["members"] = [
            keras.saving.deserialize_keras_object(m) for m in config["members"]
        ]
        return cls(**config)
