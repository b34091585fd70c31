"""A curated record's tokens: the ids (and seed paths) it names, by which an edit reaches other
records (seccoop.incremental.scope)."""

from __future__ import annotations

from pathlib import Path

# Keys whose text values name another record (or a seed): wherever they sit in a record, so that
# a record of any shape, even a broken one, joins what it names.
_NAMING_KEYS = (
    "id",
    "subject",
    "object",
    "part_of",
    "attributed_to",
    "made_in",
    "actor",
    "source",
    "record",
    "other",
    "replaced_by",
    "path",
)
_REFERENCE_FIELDS = ("subject", "object", "part_of", "attributed_to", "made_in")
_LISTS = ("participants", "parties", "evidence")


def record_tokens(data) -> set[str]:
    """The ids (and seed paths) a record names, at the places the schemas put them."""
    found: set[str] = set()
    if not isinstance(data, dict):
        return found
    for key in _NAMING_KEYS:
        value = data.get(key)
        if isinstance(value, str):
            found.add(value)
            if "@" in value:  # a span's or quantity's id (a retired id's successor): its source or record
                found.add(value.split("@", 1)[0])
    if data.get("field") in _REFERENCE_FIELDS and isinstance(data.get("value"), str):
        found.add(data["value"])  # a resolution settling a reference names that record (only then:
        # values such as `plan` or a country code would join every resolution that gives them)
    for name in _LISTS:
        items = data.get(name)
        for item in items if isinstance(items, list) else ():
            if isinstance(item, dict):
                for key in ("actor", "source", "speaker"):
                    value = item.get(key)
                    if isinstance(value, str):
                        found.add(value)
    return found


def file_tokens(rel: str, records, refused=()) -> set[str]:
    """The tokens of a curated file of records: its records', the ids of records the loader
    refused (they hold back records of the same id elsewhere), and the name of a file in a kind's
    folder (a file named for a source holds that source's accounts only)."""
    found: set[str] = {id_ for id_ in refused if isinstance(id_, str)}
    for _, data in records:
        found |= record_tokens(data)
    if "/" in rel.removeprefix("data/curated/"):
        found.add(Path(rel).stem)
    return found


def file_ids(records) -> list[str | None]:
    """The ids of a file's records in order, as written (None: a record without one): where they
    differ, records were added, removed or reordered."""
    return [
        data.get("id") if isinstance(data, dict) and isinstance(data.get("id"), str) else None for _, data in records
    ]
