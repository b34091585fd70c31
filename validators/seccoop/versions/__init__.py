"""Versions of the package (a folder, a git revision, a release archive) and `diff` between two."""
