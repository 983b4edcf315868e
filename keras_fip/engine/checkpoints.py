"""Checkpoint folders that are whole or absent: written beside, then renamed.

A long run (a path, a task stream) saves a folder of files after each stretch of
work. A kill at any moment must leave the last complete folder, never a model
from one stretch beside the progress of another: each folder is written under a
temporary name and renamed whole, and the older ones are removed only after.
"""

import os
import shutil


def latest(folder, prefix):
    """`(count, path)` of the newest complete `{prefix}{count}` folder, or None."""
    found = {}
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            found[int(name[len(prefix):])] = os.path.join(folder, name)
    if not found:
        return None
    count = max(found)
    return count, found[count]


def save(folder, prefix, count, write):
    """Writes `{prefix}{count}` in `folder` whole, then removes the older ones.

    Args:
        folder: where the checkpoints live (created if needed).
        prefix: the checkpoints' name before their count, e.g. `"after_step_"`.
        count: how far the run got (steps, tasks).
        write: `write(path)` fills the new, empty folder `path`.

    Returns:
        The checkpoint's path.
    """
    final = os.path.join(folder, f"{prefix}{count}")
    partial = final + ".partial"
    shutil.rmtree(partial, ignore_errors=True)
    os.makedirs(partial)
    try:
        write(partial)
    except BaseException:  # Ctrl-C, SIGTERM, a full disk: no half-written folder stays
        shutil.rmtree(partial, ignore_errors=True)
        raise
    shutil.rmtree(final, ignore_errors=True)
    os.replace(partial, final)
    remove(folder, prefix, below=count)
    return final


def remove(folder, prefix, below=None):
    """Removes the `{prefix}N` folders (those with `N < below`, when given)."""
    for name in os.listdir(folder) if os.path.isdir(folder) else ():
        if not name.startswith(prefix):
            continue
        count = name[len(prefix):].removesuffix(".partial")
        if count.isdigit() and (below is None or int(count) < below):
            shutil.rmtree(os.path.join(folder, name))
