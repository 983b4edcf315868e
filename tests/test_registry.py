"""The registry every job's names live in, and the old names kept for one release."""

import warnings

import pytest

from keras_fip.deprecation import moved, renamed_argument
from keras_fip.registry import Registry


def test_a_registry_returns_what_was_registered_and_refuses_unknown_names():
    attacks = Registry("attack")

    @attacks.register("fgsm")
    def fgsm():
        return "fgsm"

    attacks.register("numpy_distance", "keras_fip.engine.distances:bhattacharyya_numpy")
    assert attacks.get("fgsm") is fgsm and attacks.names() == ("fgsm", "numpy_distance")
    assert attacks.get("numpy_distance").__name__ == "bhattacharyya_numpy"  # imported on demand
    with pytest.raises(ValueError, match="Unknown attack 'mim'; known: fgsm, numpy_distance"):
        attacks.get("mim")
    with pytest.raises(ValueError, match="registered twice"):
        attacks.register("fgsm", fgsm)


def test_an_old_argument_name_still_works_with_a_warning():
    with pytest.warns(DeprecationWarning, match="'step_size' is now called 'step_length'"):
        kwargs = renamed_argument({"step_size": 0.2}, "step_size", "step_length", "grow")
    assert kwargs == {"step_length": 0.2}
    with pytest.raises(TypeError, match="got both"):
        renamed_argument({"step_size": 0.2, "step_length": 0.1}, "step_size", "step_length", "g")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert renamed_argument({"step_length": 0.1}, "step_size", "step_length", "g") == {
            "step_length": 0.1}


def test_a_moved_name_is_served_from_its_new_home_with_a_warning():
    table = {"old_registry": "keras_fip.registry:Registry"}
    with pytest.warns(DeprecationWarning, match="old_registry is now keras_fip.registry.Registry"):
        assert moved("old_registry", table, "keras_fip.somewhere") is Registry
    with pytest.raises(AttributeError):
        moved("unknown", table, "keras_fip.somewhere")
