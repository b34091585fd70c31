"""The check holds every record in memory (seccoop.model.memory): in less of it, with the same values."""

from __future__ import annotations

import json
import pickle
import sys

import jsonschema_rs
import pytest

from seccoop.model import memory
from seccoop.model.memory import MAPPINGS, Fields, compact, plain


def _record() -> dict:
    return {
        "id": "e1",
        "type": "visit",
        "date": {"earliest": "2024-01-11", "latest": None, "precision": "day"},
        "participants": [{"role": "initiator", "actor": "a1"}, {"actor": "a2", "role": "target"}],
        "evidence": [],
        "quantities": [{"text": "three", "best": 3.0}],
    }


def test_a_compact_record_reads_as_the_same_value_in_the_same_order():
    record = _record()
    kept = compact(record)
    assert isinstance(kept, Fields) and not isinstance(kept, dict) and isinstance(kept, MAPPINGS)
    assert kept == record and record == kept
    assert (kept != record) is False and kept != {**record, "id": "e2"}
    assert list(kept) == list(record) and len(kept) == len(record)
    assert [list(p) for p in kept["participants"]] == [["role", "actor"], ["actor", "role"]]  # the curator's order
    assert kept.get("type") == "visit" and kept.get("place") is None and kept.get("place", 0) == 0
    assert "date" in kept and "place" not in kept and 0 not in kept
    with pytest.raises(KeyError):
        kept["place"]
    assert repr(kept) == repr(record)  # messages that show a value show it as written
    assert dict(kept.items()) == {**kept} == dict(kept) == record
    assert list(kept.values())[0] == "e1" and list(kept.items())[0] == ("id", "e1")
    assert all(type(v) is list for v in (kept["participants"], kept["evidence"], kept["quantities"]))


def test_plain_gives_back_the_dicts_every_reader_of_json_takes():
    record = _record()
    kept = compact(record)
    with pytest.raises(TypeError):
        json.dumps(kept)  # never written by mistake as something else
    again = plain(kept)
    assert type(again) is dict and type(again["date"]) is dict and type(again["participants"][0]) is dict
    assert json.dumps(again) == json.dumps(record)  # key order too
    schema = {"type": "object", "properties": {"date": {"type": "object"}}, "required": ["date"]}
    assert jsonschema_rs.validator_for(schema).is_valid(again)


def test_a_field_takes_a_new_value_but_the_shape_stays():
    kept = compact(_record())
    kept["id"] = "e2"  # a successor's id, given to its account (checks/ids.py)
    assert kept["id"] == "e2" and list(kept)[0] == "id"
    with pytest.raises(KeyError):
        kept["place"] = "Quito"
    with pytest.raises((TypeError, AttributeError)):
        del kept["type"]


def test_a_compact_record_travels_between_processes_as_a_dict():
    kept = compact(_record())
    back = pickle.loads(pickle.dumps(kept))
    assert back == _record() and type(back) is dict


def test_compact_records_take_less_memory():
    """One slot a key and no table of keys: under half of a dict of the same keys."""
    pairs = [{"actor": f"a{i}", "role": "initiator", "note": None} for i in range(100)]
    kept = [compact(p) for p in pairs]
    assert not hasattr(kept[0], "__dict__")
    assert sys.getsizeof(kept[-1]) < 0.5 * sys.getsizeof(pairs[-1])
    assert type(kept[0]) is type(kept[-1])  # one class per shape
    assert type(compact({"role": "x", "actor": "y"})) is not type(kept[0])  # another order, another shape
    grown = [p for p in pairs[:3]]
    assert sys.getsizeof(compact(grown)) < sys.getsizeof(grown)


@pytest.mark.parametrize(
    "odd",
    [
        {"__class__": "x", "__dict__": {"a": 1}, "id": "e1"},  # the class's own attributes
        {"get": 1, "items": 2},  # would hide the methods a mapping has
        {"end-date": "2024", "id": "e1"},  # no attribute name
        {1: "one"},
        {"__x": 1},  # a private name, renamed in a class
        {"_keys": ("a",), "id": "e1"},  # the class's own
        {"__weakref__": None},
    ],
)
def test_keys_that_cannot_be_slots_stay_in_a_plain_dict(odd):
    kept = compact(odd)
    assert kept == odd and type(kept) is dict and list(kept) == list(odd)


def test_only_the_mapping_itself_without_deep():
    shared = [{"actor": "a1", "role": "initiator"}]
    kept = compact({"id": "e1", "participants": shared}, deep=False)
    assert kept["participants"] is shared


def test_reads_beyond_a_record_are_noted_and_its_own_are_not():
    """docs/cache.md, "Field grain": a read is the record's own only inside `reading` of it."""
    from seccoop.model.memory import note_record, noting_reads, reading

    plain_getitem = Fields.__getitem__
    with noting_reads() as reads:
        event, other = compact(_record()), compact({**_record(), "id": "e2", "note": "n"})
        actor = compact({"id": "a1", "name": "A", "country": "EC"})
        note_record("event", event)
        note_record("event", other)
        note_record("actor", actor)
        with reading(event):
            assert event["type"] == "visit" and event.get("date")["precision"] == "day"
            assert actor["country"] == "EC"  # another record's field, read for this one
        assert other.get("quantities") and "note" in other  # outside any query: beyond
        assert list(plain(actor)) == ["id", "name", "country"]  # all at once: every field
        assert event["participants"][0]["actor"] == "a1"  # nested mappings are read through their record's field
    assert reads.by_kind() == {
        "actor": ["country", "id", "name"],
        "event": ["note", "participants", "quantities"],
    }
    assert Fields.__getitem__ is plain_getitem  # noting ends with the block: no cost without it
    assert reading(event) is memory._NOTHING


def test_a_kind_with_a_record_not_held_compactly_has_no_field_grain():
    from seccoop.model.memory import note_record, noting_reads

    with noting_reads() as reads:
        note_record("event", compact(_record()))
        note_record("event", {"id": "e3", "__odd": 1})  # stays a dict: its reads are not noted
        note_record("actor", compact({"id": "a1", "name": "A"}))
    assert reads.by_kind() == {"actor": []}


def test_equality_and_repr_read_every_field():
    from seccoop.model.memory import note_record, noting_reads

    with noting_reads() as reads:
        a = compact({"id": "a1", "name": "A"})
        b = compact({"id": "r1", "role": "head"})
        note_record("actor", a)
        note_record("relation", b)
        assert a == {"id": "a1", "name": "A"}
        repr(b)
    assert reads.by_kind() == {"actor": ["id", "name"], "relation": ["id", "role"]}


def test_one_thread_notes_at_a_time():
    """A check run in another thread while one notes notes nothing (its baseline has no field
    grain); its reads count as read beyond in the noting one's, and its end stops no noting."""
    import threading

    from seccoop.model.memory import note_record, noting_reads, reading

    event = compact(_record())
    seen = []

    def other_check():
        with noting_reads() as reads:
            seen.append(reads)
            with reading(event):  # not a query here: only the noting thread's are
                seen.append(event["type"])

    with noting_reads() as reads:
        note_record("event", event)
        thread = threading.Thread(target=other_check)
        thread.start()
        thread.join()
        assert seen == [None, "visit"]
        assert Fields.__getitem__ is not _PLAIN_GETITEM  # still noting here
        assert event["id"] == "e1"
    assert reads.by_kind() == {"event": ["id", "type"]}
    assert Fields.__getitem__ is _PLAIN_GETITEM


_PLAIN_GETITEM = Fields.__getitem__
