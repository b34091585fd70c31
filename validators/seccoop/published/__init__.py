"""The published package: the flow from curated records to the derived tables, `build`, and their
Frictionless validation."""
