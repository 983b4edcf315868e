"""Argument checks shared by the architectures.

The checks run before any layer is built, so that a wrong argument fails with a
message naming it instead of a shape error from deep inside Keras.
"""

import numbers


def check_num_classes(num_classes, architecture):
    """Returns `num_classes` as an int, or raises ValueError when it is < 2.

    Two is the least a classification head can have, and FIP compares output
    distributions, which a single output does not define.
    """
    try:
        whole = not isinstance(num_classes, bool) and int(num_classes) == num_classes
    except (TypeError, ValueError):
        whole = False
    if not whole:
        raise ValueError(f"{architecture}: num_classes must be an integer, got {num_classes!r}.")
    if num_classes < 2:
        raise ValueError(
            f"{architecture}: num_classes must be at least 2, got {num_classes}. "
            "Use a 2-class logits head for binary tasks."
        )
    return int(num_classes)


def check_input_shape(input_shape, architecture, *, rank=None, min_size=None, reason=""):
    """Returns `input_shape` as a tuple of ints after checking it.

    Args:
        input_shape: the shape of one input, without the batch axis.
        architecture: name used in error messages.
        rank: required number of axes (3 for images: height, width, channels).
        min_size: least height and width, for networks that pool the image down.
        reason: why `min_size` is needed, appended to the error message.

    Returns:
        The shape as a tuple of ints.
    """
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise ValueError(
            f"{architecture}: input_shape must be a sequence of integers, got {input_shape!r}."
        ) from None
    if not shape or any(d < 1 for d in shape):
        raise ValueError(f"{architecture}: input_shape must have positive sizes, got {shape}.")
    if rank is not None and len(shape) != rank:
        raise ValueError(
            f"{architecture}: input_shape must have {rank} axes (height, width, channels), "
            f"got {shape}."
        )
    if min_size is not None and min(shape[:2]) < min_size:
        raise ValueError(
            f"{architecture} needs inputs of at least {min_size}x{min_size} pixels"
            f"{' (' + reason + ')' if reason else ''}; got input_shape {shape}."
        )
    return shape


def check_width(width, architecture):
    """Returns `width` as a float, or raises ValueError when it is not positive."""
    if isinstance(width, bool) or not isinstance(width, numbers.Real) or not width > 0:
        raise ValueError(f"{architecture}: width must be a positive number, got {width!r}.")
    return float(width)


def scaled(channels, width):
    """`channels` times the width multiplier, rounded, and never below one channel."""
    return max(1, int(round(channels * width)))
