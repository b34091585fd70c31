"""YAML written by seccoop (docs/safety.md): records are emitted by a YAML emitter, never pasted
into YAML text, and appended to a curated file after its own text, comments and all."""

from __future__ import annotations

import yaml


class _CuratorDumper(yaml.SafeDumper):
    """The curators' layout: lists indented under their key (`evidence:` then `  - source:`)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):
        return super().increase_indent(flow, False)


def emit_records(records: list[dict]) -> str:
    """Records as a YAML list, one key a line in the order given, text never folded across lines."""
    return yaml.dump(records, Dumper=_CuratorDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=1 << 30)


def append_records(text: str, records: list[dict]) -> str:
    """A curated file's text with `records` appended after a blank line; an empty file (or `[]`)
    becomes the records alone."""
    if text.strip() in ("", "[]"):
        return emit_records(records)
    return text + ("" if text.endswith("\n") else "\n") + "\n" + emit_records(records)
