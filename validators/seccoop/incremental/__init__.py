"""The incremental check: the cache, the scope of an edit and the re-check from a baseline (docs/cache.md)."""
