"""Figures written safely: matplotlib without a display, files written whole."""

import os


def save_figure(fig, path, dpi=120):
    """Saves a matplotlib figure to `path` atomically (written beside, then renamed)."""
    root, extension = os.path.splitext(path)
    partial = f"{root}.partial{extension}"
    with _removed_unless_finished(partial):
        fig.savefig(partial, dpi=dpi)
        os.replace(partial, path)


class _removed_unless_finished:
    """Removes the file `path` when the block ends in any exception (an interrupt too)."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self.path

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            try:
                os.remove(self.path)
            except OSError:
                pass
        return False


def pyplot():
    """`matplotlib.pyplot` with the non-interactive Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
