"""seccoop: an evidence-linked dataset of security cooperation against organized crime, and the
tools that check, build and export it.

    >>> import seccoop
    >>> report = seccoop.check()          # the nearest package, else the bundled one
    >>> report.valid, report.exit_code
    (True, 0)

The command line (`seccoop check|build|export|locate|diff`) calls these same functions;
`seccoop.read()` returns the published tables as typed pandas (or polars) DataFrames. The code is
grouped by concern in subpackages (docs/architecture.md): safety, model, checks, published,
incremental, exports, versions, curator. Heavy dependencies (frictionless, jsonschema) load only
when a function needs them.
"""

from __future__ import annotations

from seccoop.check import check
from seccoop.curator.locate import locate
from seccoop.exports.export import export
from seccoop.exports.read import read
from seccoop.published.build import build
from seccoop.versions.diff import diff

__all__ = ["check", "build", "export", "locate", "diff", "read", "__version__"]

__version__: str  # the installed distribution's, looked up on first use (below)


def __getattr__(name):
    if name == "__version__":
        from importlib.metadata import version

        return version("seccoop")
    raise AttributeError(name)
