"""From checked records to what is published: the nested document and the relational tables.

Field names, titles, descriptions, types and codes are read from the JSON Schemas, never written
again here: this module only says which schema field each column shows and how tables link.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .checks import Dataset, Record
from .package import KINDS, PLURAL
from .schemas import Schemas


@dataclass(frozen=True)
class Column:
    name: str
    kind: str | None  # the record kind whose schema describes the column ...
    field: str | None  # ... and the dotted field in it; None for a link column described here
    title: str = ""
    description: str = ""
    link: str | None = None  # for link columns: the kind of record the column names
    required: bool | None = None  # None: as the schema says


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    rows: Callable[[Dataset], Iterator[tuple]]

    @property
    def path(self) -> str:
        return f"data/{self.name}.csv"


def _c(name: str, kind: str, field: str | None = None, link: str | None = None, **kw) -> Column:
    return Column(name, kind, field or name, link=link, **kw)


def _link(name: str, link: str, title: str, description: str) -> Column:
    return Column(name, None, None, title, description, link)


def _date(kind: str) -> tuple[Column, ...]:
    return (_c("date_earliest", kind, "date.earliest"), _c("date_latest", kind, "date.latest"),
            _c("date_precision", kind, "date.precision"))


def _date_values(data: dict) -> tuple:
    d = data["date"]
    return d.get("earliest"), d.get("latest"), d["precision"]


def _records(dataset: Dataset, kind: str) -> list[Record]:
    return dataset.records[kind]


def _sources(ds):
    for r in _records(ds, "source"):
        d = r.data
        yield d["id"], d["title"], d["published"], d["language"], d.get("publisher"), d.get("url"), d["path"], d["sha256"]


def _actors(ds):
    for r in _records(ds, "actor"):
        d = r.data
        yield d["id"], d["name"], d["type"], d.get("country"), d.get("honorific")


def _aliases(ds):
    for r in _records(ds, "actor"):
        for alias in r.data.get("aliases") or ():
            yield r.id, alias


def _relations(ds):
    for r in _records(ds, "relation"):
        d = r.data
        yield (d["id"], d["type"], d["subject"], d["object"], d.get("role"), *_date_values(d))


def _events(ds):
    for r in _records(ds, "event"):
        d = r.data
        yield (d["id"], d["type"], d["status"], d["summary"], *_date_values(d), d.get("place"),
               d.get("country"), d.get("part_of"), d.get("attributed_to"))


def _participants(ds):
    for r in _records(ds, "event"):
        for p in r.data.get("participants") or ():
            yield r.id, p["actor"], p["role"]


def _commitments(ds):
    for r in _records(ds, "commitment"):
        d = r.data
        yield (d["id"], d["action"], d["category"], d["strength"], d["status"], d.get("made_in"),
               d.get("attributed_to"), *_date_values(d), d.get("deadline"), d.get("conditions"))


def _parties(ds):
    for r in _records(ds, "commitment"):
        for p in r.data["parties"]:
            yield r.id, p["actor"], p["role"]


def _quantities(ds):
    for kind in ("event", "commitment"):
        for r in _records(ds, kind):
            for n, q in enumerate(r.data.get("quantities") or (), 1):
                owner = (r.id, None) if kind == "event" else (None, r.id)
                yield (f"{r.id}#{n}", *owner, q["text"], q.get("lower"), q.get("best"), q.get("upper"), q["unit"])


_EVIDENCE_OWNERS = ("actor", "relation", "event", "commitment")


def _evidence(ds):
    for kind in KINDS:
        for r in _records(ds, kind):
            owners = tuple(r.id if kind == k else None for k in _EVIDENCE_OWNERS)
            for n, span in enumerate(r.data["evidence"], 1):
                yield (f"{r.id}#{n}", kind, r.id, *owners, span["source"], span["start"], span["end"], span["quote"])


def _retired(ds):
    for r in ds.retired:
        d = r.data
        yield d["id"], d.get("replaced_by"), d["version"], d["reason"]


TABLES: tuple[Table, ...] = (
    Table("sources", "Sources", "Source documents, kept byte for byte in seeds/.",
          tuple(_c(n, "source") for n in ("id", "title", "published", "language", "publisher", "url", "path", "sha256")),
          ("id",), _sources),
    Table("actors", "Actors", "People, organizations, states, government bodies, groups and unnamed collectives.",
          tuple(_c(n, "actor") for n in ("id", "name", "type", "country", "honorific")), ("id",), _actors),
    Table("actor_aliases", "Actor aliases", "Other names of actors, as written in sources (one row per alias).",
          (_link("actor", "actor", "Actor", "Id of the actor (actors.id)."),
           Column("alias", None, None, "Alias", "A name or description of the actor as written in a source.", required=True)),
          ("actor", "alias"), _aliases),
    Table("relations", "Relations", "Ties between actors stated in sources: who heads, speaks for or belongs to what.",
          (_c("id", "relation"), _c("type", "relation"), _c("subject", "relation", link="actor"),
           _c("object", "relation", link="actor"), _c("role", "relation"), *_date("relation")),
          ("id",), _relations),
    Table("events", "Events", "What happened, is happening or is planned. Participants, quantities and evidence are in their own tables.",
          (*(_c(n, "event") for n in ("id", "type", "status", "summary")), *_date("event"),
           _c("place", "event"), _c("country", "event"), _c("part_of", "event", link="event"),
           _c("attributed_to", "event", link="actor")),
          ("id",), _events),
    Table("event_participants", "Event participants", "Which actors take part in each event, and in what role.",
          (_link("event", "event", "Event", "Id of the event (events.id)."),
           _link("actor", "actor", "Actor", "Id of the participating actor (actors.id)."),
           _c("role", "event", "participants.role")),
          ("event", "actor", "role"), _participants),
    Table("commitments", "Commitments", "Actions actors state they will take, aim, plan or vow to take.",
          (*(_c(n, "commitment") for n in ("id", "action", "category", "strength", "status")),
           _c("made_in", "commitment", link="event"), _c("attributed_to", "commitment", link="actor"),
           *_date("commitment"), _c("deadline", "commitment"), _c("conditions", "commitment")),
          ("id",), _commitments),
    Table("commitment_parties", "Commitment parties", "Who commits, and who is partner, beneficiary or target of each commitment.",
          (_link("commitment", "commitment", "Commitment", "Id of the commitment (commitments.id)."),
           _link("actor", "actor", "Actor", "Id of the actor (actors.id)."),
           _c("role", "commitment", "parties.role")),
          ("commitment", "actor", "role"), _parties),
    Table("quantities", "Quantities", "Numbers stated about events and commitments, as words and as bounds.",
          (Column("id", None, None, "Id", "Id of the quantity: the id of its event or commitment, '#', and its position from 1."),
           _link("event", "event", "Event", "Id of the event the quantity belongs to (events.id); empty for a commitment's."),
           _link("commitment", "commitment", "Commitment", "Id of the commitment the quantity belongs to (commitments.id); empty for an event's."),
           *(_c(n, "event", f"quantities.{n}") for n in ("text", "lower", "best", "upper", "unit"))),
          ("id",), _quantities),
    Table("evidence", "Evidence", "Every evidence span: the exact words of a source that state a record, with offsets "
          "in Unicode code points (end exclusive) so that the source text from start to end is the quote.",
          (Column("id", None, None, "Id", "Id of the span: the id of its record, '#', and its position from 1."),
           Column("record_kind", None, None, "Record kind", "The kind of record the span supports: source, actor, relation, event or commitment.", required=True),
           Column("record", None, None, "Record", "Id of the record the span supports; the column named by record_kind holds it too, as a checked link.", required=True),
           _link("actor", "actor", "Actor", "Id of the actor the span supports (actors.id); empty otherwise."),
           _link("relation", "relation", "Relation", "Id of the relation the span supports (relations.id); empty otherwise."),
           _link("event", "event", "Event", "Id of the event the span supports (events.id); empty otherwise."),
           _link("commitment", "commitment", "Commitment", "Id of the commitment the span supports (commitments.id); empty otherwise."),
           _c("source", "actor", "evidence.source", link="source", required=True),
           *(_c(n, "actor", f"evidence.{n}", required=True) for n in ("start", "end", "quote"))),
          ("id",), _evidence),
    Table("retired_ids", "Retired ids", "Ids that once named a published record and never will again: renamed, "
          "merged or withdrawn. Join on replaced_by to re-sync data keyed on an old id.",
          tuple(_c(n, "retired-id") for n in ("id", "replaced_by", "version", "reason")), ("id",), _retired),
)



def _resolve_field(schemas: Schemas, kind: str, dotted: str) -> dict:
    """Schema of a field, stepping through array `items` (participants.role, evidence.quote)."""
    node = schemas.documents[kind]
    for step in dotted.split("."):
        node = schemas.deref(node)
        if node.get("type") == "array":
            node = schemas.deref(node["items"])
        node = node["properties"][step]
    return schemas.deref(node)


def table_schema(table: Table, schemas: Schemas) -> dict:
    """The Frictionless Table Schema of a table, derived from the JSON Schemas."""
    fields, foreign_keys = [], []
    id_schema = schemas.resolve("actor", "id")
    for col in table.columns:
        if col.field is not None:
            spec = _resolve_field(schemas, col.kind, col.field)
            title, description = spec["title"], spec["description"]
        else:  # a column this module describes: a link (an id) or plain text
            spec = id_schema if col.link else {"type": "string"}
            title, description = col.title, col.description
        types = spec.get("type", "string")
        types = [t for t in types if t != "null"] if isinstance(types, list) else [types]
        ftype = {"integer": "integer", "number": "number"}.get(types[0], "string")
        if spec.get("format") == "date":
            ftype = "date"
        field: dict[str, Any] = {"name": col.name, "title": title, "description": description, "type": ftype}
        constraints: dict[str, Any] = {}
        required = col.name in table.primary_key or _required(schemas, col)
        if required:
            constraints["required"] = True
        if table.primary_key == (col.name,):
            constraints["unique"] = True
        if "enum" in spec:
            constraints["enum"] = [c for c in spec["enum"] if c is not None]
        if spec.get("pattern") and ftype == "string" and spec.get("format") != "uri":
            constraints["pattern"] = spec["pattern"]
        if "minimum" in spec:
            constraints["minimum"] = spec["minimum"]
        if constraints:
            field["constraints"] = constraints
        if spec.get("examples") and spec["examples"][0] is not None and not isinstance(spec["examples"][0], (dict, list)):
            field["example"] = spec["examples"][0]
        fields.append(field)
        if col.link:
            foreign_keys.append({"fields": [col.name], "reference": {"resource": PLURAL[col.link], "fields": ["id"]}})
    schema = {"fields": fields, "missingValues": [""], "primaryKey": list(table.primary_key)}
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def _required(schemas: Schemas, col: Column) -> bool:
    """A column is required when every step of its field is required and not nullable."""
    if col.required is not None or col.field is None:
        return bool(col.required)
    node = schemas.documents[col.kind]
    for step in col.field.split("."):
        node = schemas.deref(node)
        if node.get("type") == "array":
            node = schemas.deref(node["items"])
        if step not in node.get("required", ()):
            return False
        node = node["properties"][step]
    spec = schemas.deref(node)
    types = spec.get("type")
    return not (spec.get("nullable") or (isinstance(types, list) and "null" in types))


# -- the nested document ----------------------------------------------------------------------

def _plan(schemas: Schemas, schema: dict):
    """How to lay out a value of this schema: for an object, its fields in schema order, each
    with its own plan and the value it takes when absent (null, or [] for a list)."""
    schema = schemas.deref(schema)
    if "properties" in schema:
        fields = []
        for name, sub in schema["properties"].items():
            sub_d = schemas.deref(sub)
            fields.append((name, _plan(schemas, sub), [] if sub_d.get("type") == "array" else None))
        return ("object", fields)
    if "items" in schema:
        return ("array", _plan(schemas, schema["items"]))
    return None


def _ordered(plan, value: Any) -> Any:
    """A value with keys in schema order and every declared field present."""
    if plan is None:
        return value
    if plan[0] == "object" and isinstance(value, dict):
        return {name: (_ordered(sub, value[name]) if name in value else
                       (list(absent) if isinstance(absent, list) else absent))
                for name, sub, absent in plan[1]}
    if plan[0] == "array" and isinstance(value, list):
        return [_ordered(plan[1], v) for v in value]
    return value


def document_records(dataset: Dataset) -> Iterator[tuple[str, dict]]:
    """(kind plural, record) for every record of the nested document, in order, one at a time:
    each with its fields in schema order and its evidence spans' offsets."""
    for kind in KINDS:
        plan = _plan(dataset.schemas, dataset.schemas.documents[kind])
        for r in dataset.records[kind]:
            yield PLURAL[kind], _ordered(plan, r.data)
