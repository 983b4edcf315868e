"""Griffe extension: keras-fip's ``Example:`` docstring sections read as ``Examples:``.

Google style makes ``Examples:`` a section whose ``>>>`` lines render as Python
sessions; ``Example:`` (the name keras-fip's docstrings use) would otherwise be an
admonition whose ``>>>`` lines render as prose.
"""

import re

import griffe

EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.M)


class ExampleSections(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
