"""seccoop's own JSON Schemas and codelists: loaded once, checked against the metaschema, compiled once.

A broken schema or codelist is seccoop's problem, not the curator's: it raises `SchemaBroken`
(exit 3) instead of producing a stream of confusing data errors.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from seccoop.model.package import KINDS
from seccoop.safety import paths
from seccoop.safety.untrusted import BadJSON, load_json

SCHEMA_FILES = ("defs", *KINDS, "retired-id", "resolution", "possibly-same", "locator", "seccoop")
CODELIST_COLUMNS = ("code", "title", "description")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


class SchemaBroken(Exception):
    """seccoop's own schemas or codelists cannot be used (exit 3)."""


@dataclass
class Codelist:
    name: str
    rows: list[dict[str, str]]

    @cached_property
    def codes(self) -> list[str]:
        return [r["code"] for r in self.rows]


class Schemas:
    """The schemas of one package folder (schema/*.schema.json and schema/codelists/*.csv)."""

    def __init__(self, folder: Path, proven: bool = False):
        # proven: these files were checked against the JSON Schema metaschema by a check that
        # read them as they are (a re-check from its baseline): not checked again
        self.folder, self.proven = folder, proven
        self.documents: dict[str, dict] = {}
        for name in SCHEMA_FILES:
            path = folder / f"{name}.schema.json"
            try:  # through the gate, from the package's root: schema/ is the package's own
                self.documents[name] = load_json(paths.read_file(path, folder.parent, paths.DOCUMENT_LIMIT))
            except paths.Refused as exc:
                raise SchemaBroken(f"{path}: {exc.reason}") from None
            except BadJSON as exc:
                raise SchemaBroken(f"{path}: {exc.reason}") from None
            doc = self.documents[name]
            if not isinstance(doc, dict) or doc.get("$schema") != DRAFT:
                raise SchemaBroken(f"{path}: not a JSON Schema of draft 2020-12")
            if "$id" in doc:
                # Each $ref names a sibling file, resolved against the schema's own location, as
                # here and as check-jsonschema, ajv or any file-based tool does without an $id. An
                # $id would make other tools resolve (or fetch) them elsewhere than seccoop does.
                raise SchemaBroken(f"{path}: has an $id; seccoop's schemas resolve $ref against their file")
        self.codelists: dict[str, Codelist] = {}
        self.codelist_bytes: dict[str, bytes] = {}  # as read: the package publishes them in place
        cl_folder = folder / "codelists"
        try:
            listed = [
                (path, is_link)
                for path, is_link in paths.walk(cl_folder, folder.parent)
                if path.parent == cl_folder and path.suffix == ".csv"
            ]
        except paths.Refused as exc:
            raise SchemaBroken(f"{cl_folder}: {exc.reason}") from None
        if not listed and not cl_folder.is_dir():
            raise SchemaBroken(f"{cl_folder}: codelists folder missing")
        for path, _ in listed:
            try:  # a link is refused by the gate, unread
                raw = paths.read_file(path, folder.parent, paths.DOCUMENT_LIMIT)
                reader = csv.DictReader(io.StringIO(raw.decode("utf-8"), newline=""))
                if tuple(reader.fieldnames or ())[:3] != CODELIST_COLUMNS:
                    raise SchemaBroken(f"{path}: header must start with code,title,description")
                rows = list(reader)
            except paths.Refused as exc:
                raise SchemaBroken(f"{path}: {exc.reason}") from None
            except (UnicodeDecodeError, csv.Error) as exc:
                raise SchemaBroken(f"{path}: {exc}") from None
            codes = [r["code"] for r in rows]
            if len(set(codes)) != len(codes) or any(not c for c in codes):
                raise SchemaBroken(f"{path}: codes must be unique and non-empty")
            self.codelists[path.name] = Codelist(path.name, rows)
            self.codelist_bytes[path.name] = raw
        self._check_codelist_enums()
        self._check_kinds()

    # Which codelist says whether a record of a kind is a happening or a state (docs/accounts.md,
    # "States and happenings"): its `kind` column, never chosen per account.
    _KIND_LISTS = {"event": "event-types.csv", "relation": "relation-types.csv"}

    def _check_kinds(self) -> None:
        for record_kind, listed in self._KIND_LISTS.items():
            rows = self.codelists[listed].rows if listed in self.codelists else []
            kinds = {r.get("kind") for r in rows}
            if not kinds <= {"happening", "state"}:
                raise SchemaBroken(f"codelists/{listed}: every code's kind must be `happening` or `state`")
            if record_kind == "relation" and kinds - {"state"}:
                raise SchemaBroken(
                    f"codelists/{listed}: a tie is a state; relation types of kind `happening` have no date"
                )
        # The event schema requires `date` of the happenings (so that a shape check says so at once):
        # the codes it names are the codelist's, or the two would drift apart.
        happenings = [
            r["code"]
            for r in self.codelists.get("event-types.csv", Codelist("", [])).rows
            if r.get("kind") == "happening"
        ]
        for rule in self.documents["event"].get("allOf", ()):
            requires_date = rule.get("then", {}).get("required") == ["date"]
            if requires_date and rule["if"]["properties"]["type"].get("enum") != happenings:
                raise SchemaBroken(
                    "event.schema.json: the types requiring `date` are not the happenings of codelists/event-types.csv"
                )

    @cached_property
    def _states(self) -> dict[str, frozenset[str]]:
        return {
            kind: frozenset(r["code"] for r in self.codelists[listed].rows if r.get("kind") == "state")
            for kind, listed in self._KIND_LISTS.items()
            if listed in self.codelists
        }

    def is_state(self, kind: str, type_: str | None) -> bool:
        """Whether a record of this kind and type is a state (it holds over a period: dated by
        what sources saw, `start` and `end`) rather than a happening (dated by `date`). A relation
        is always a state; a commitment never is."""
        return kind == "relation" or (kind == "event" and type_ in self._states.get("event", ()))

    def _check_codelist_enums(self) -> None:
        """Every property that names a codelist has an enum equal to it (nulls aside)."""
        for name, doc in self.documents.items():
            for prop in _walk(doc):
                listed = prop.get("codelist")
                if listed is None or "enum" not in prop:
                    continue
                if listed not in self.codelists:
                    raise SchemaBroken(f"{name}.schema.json names codelist {listed}, which does not exist")
                enum = [c for c in prop["enum"] if c is not None]
                if enum != self.codelists[listed].codes:
                    raise SchemaBroken(f"{name}.schema.json: enum differs from codelists/{listed}")

    @cached_property
    def validators(self) -> dict[str, ShapeValidator]:
        """One compiled validator per record kind and for the document, with formats checked."""
        from jsonschema import Draft202012Validator, FormatChecker
        from jsonschema.exceptions import SchemaError

        # Formats are checked by functions seccoop owns: jsonschema would silently pass `uri`
        # when its optional dependency is missing.
        checker = FormatChecker(formats=("date",))
        checker.checks("uri", raises=ValueError)(_is_web_url)
        out = {}
        for name, doc in self.documents.items():
            try:
                if not self.proven:
                    Draft202012Validator.check_schema(doc)
            except SchemaError as exc:
                raise SchemaBroken(f"{name}.schema.json: {exc.message}") from None
            standalone = self.inlined(doc)
            out[name] = ShapeValidator(
                Draft202012Validator(standalone, format_checker=checker), _fast_validator(standalone)
            )
        return out

    def inlined(self, doc: dict) -> dict:
        """A schema that stands alone: every $ref replaced by `allOf: [target]` (same meaning), so
        that validation never resolves a reference. seccoop's schemas refer to no cycle."""

        def walk(node, home):
            if isinstance(node, list):
                return [walk(v, home) for v in node]
            if not isinstance(node, dict):
                return node
            out = {k: walk(v, home) for k, v in node.items() if k != "$ref" and k != "$id"}
            if "$ref" in node:
                doc_name, _, pointer = node["$ref"].partition("#")
                target_home = self.documents[doc_name.removesuffix(".schema.json")] if doc_name else home
                target = target_home
                for part in pointer.strip("/").split("/"):
                    if part:
                        target = target[part]
                out["allOf"] = [*out.get("allOf", []), walk(target, target_home)]
            return out

        standalone = walk(doc, doc)
        standalone.pop("$defs", None)  # every use is inlined
        return standalone

    def resolve(self, kind: str, dotted: str) -> dict:
        """The subschema of a record kind's property, following $ref and nullable anyOf."""
        node = self.documents[kind]
        for step in dotted.split("."):
            node = self.deref(node)["properties"][step]
        return self.deref(node)

    def deref(self, node: dict) -> dict:
        """A subschema with $ref followed and a nullable anyOf reduced to its non-null branch."""
        while True:
            if "$ref" in node:
                target = node["$ref"]
                doc_name, _, pointer = target.partition("#")
                doc = self.documents[doc_name.removesuffix(".schema.json")] if doc_name else self.documents["defs"]
                for part in pointer.strip("/").split("/"):
                    if part:
                        doc = doc[part]
                node = {**doc, **{k: v for k, v in node.items() if k != "$ref"}}
            elif "anyOf" in node:
                branch = next(b for b in node["anyOf"] if b.get("type") != "null")
                node = {**self.deref(branch), **{k: v for k, v in node.items() if k != "anyOf"}, "nullable": True}
            else:
                return node


class ShapeValidator:
    """JSON Schema validation with a fast path: jsonschema-rs (compiled, draft 2020-12) says
    whether an instance is valid; only an invalid one goes through the Python `jsonschema`, whose
    errors carry the detail reports need. Both read the same schema."""

    def __init__(self, detailed, fast):
        self.detailed, self.fast = detailed, fast

    def is_valid(self, instance) -> bool:
        if self.fast is not None:
            return self.fast.is_valid(instance)
        return self.detailed.is_valid(instance)

    def iter_errors(self, instance):
        """Every error, in detail (an empty iterator for a valid instance)."""
        if self.is_valid(instance):
            return iter(())
        return self.detailed.iter_errors(instance)

    def fast_message(self, instance) -> str:
        """The fast validator's first message (for the rare case the two disagree)."""
        return next(iter(self.fast.iter_errors(instance))).message if self.fast else "invalid"


def _fast_validator(schema: dict):
    try:
        import jsonschema_rs
    except ImportError:  # the pure-Python validator alone gives the same answers, slower
        return None
    return jsonschema_rs.validator_for(
        schema, validate_formats=True, formats={"uri": lambda v: _is_web_url(v), "date": _is_date}
    )


def _is_date(value: object) -> bool:
    from datetime import date

    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _is_web_url(value: object) -> bool:
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


def _walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)
