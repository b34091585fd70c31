"""The exports of the published package, one format each, and `seccoop.read()`."""
