"""seccoop: an evidence-linked dataset of security cooperation against organized crime, and the
tools that check, build and export it.

    >>> import seccoop
    >>> report = seccoop.check()          # the nearest package, else the bundled one
    >>> report.valid, report.exit_code

The command line (`seccoop check|build|export|locate`) calls these same functions.
"""

from __future__ import annotations

__all__ = ["check", "build", "locate", "__version__"]


def __getattr__(name):
    # Lazy: `import seccoop` stays cheap; frictionless and jsonschema load only when used.
    if name == "check":
        from .check import check
        return check
    if name == "build":
        from .build import build
        return build
    if name == "locate":
        from .locate import locate
        return locate
    if name == "__version__":
        from importlib.metadata import version
        return version("seccoop")
    raise AttributeError(name)
