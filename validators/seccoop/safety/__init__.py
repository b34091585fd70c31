"""The gate: every read of a file a stranger may have written, every write, and every line shown on
a terminal (docs/safety.md)."""
