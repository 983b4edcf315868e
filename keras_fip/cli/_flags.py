"""Library messages in the words of the command line.

The library names its arguments (`step_length must be > 0`; a one-word name in
backquotes: `` `steps` must be at least 2``); a user of the command set them
with options. Each command module may define
`FLAGS = {argument: option}` (`{"step_length": "--step-length"}`);
`keras_fip.cli.main` passes every error of the running command through
`flag_message` with that table before printing it.
"""

import re


def flag_message(message, flags):
    """`message` with each argument name of `flags` replaced by its option.

    A name is replaced only as a whole word (`step_length`, not inside
    `initial_step_length` or `config.step_length`). A name in backquotes is
    replaced, quotes and all, wherever it is (`` `steps` `` becomes `--steps`);
    a bare name only if it holds an underscore (`step_length`): a bare `steps`,
    `model` or `dataset` may be a plain word of the sentence, so a library
    message that means the argument quotes it.

    Args:
        message: the library's message.
        flags: `{argument name: option}`; an option of None leaves the name.

    Returns:
        The message with options for argument names (a str).

    Raises:
        Nothing: a message without any of the names comes back unchanged.

    Example:
        >>> flag_message("step_length must be > 0, got -1.", {"step_length": "--step-length"})
        '--step-length must be > 0, got -1.'
    """
    message = str(message)
    names = sorted((name for name, option in flags.items() if option), key=len, reverse=True)
    if not names:
        return message
    alternatives = "|".join(map(re.escape, names))
    pattern = re.compile(rf"`({alternatives})`|(?<![\w.`/-])({alternatives})(?![\w`/-]|\.\w)")

    def option(match):
        quoted, bare = match.groups()
        if bare is not None and "_" not in bare:
            return bare  # a plain word, perhaps
        return flags[quoted or bare]

    return pattern.sub(option, message)
