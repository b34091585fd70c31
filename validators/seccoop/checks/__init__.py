"""The rules a check applies to the curated records, layer by layer, and how a record's accounts merge
(docs/accounts.md)."""
