"""seccoop: an evidence-linked dataset of security cooperation against organized crime, and the
tools that check, build and export it.

    >>> import seccoop
    >>> report = seccoop.check()          # the nearest package, else the bundled one
    >>> report.valid, report.exit_code
    (True, 0)

The command line (`seccoop check|build|export|locate|diff`) calls these same functions;
`seccoop.read()` returns the published tables as typed pandas (or polars) DataFrames. They share
their names with the modules that define them; `importlib.import_module("seccoop.build")` reaches
a module. Heavy dependencies (frictionless, jsonschema) load only when a function needs them.
"""

from __future__ import annotations

from .build import build
from .check import check
from .diff import diff
from .export import export
from .locate import locate
from .read import read

__all__ = ["check", "build", "export", "locate", "diff", "read", "__version__"]


def __getattr__(name):
    if name == "__version__":
        from importlib.metadata import version
        return version("seccoop")
    raise AttributeError(name)
