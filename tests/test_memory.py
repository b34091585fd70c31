"""The check holds every record in memory (seccoop.model.memory): in less of it, with the same values."""

from __future__ import annotations

import json
import pickle
import sys

from seccoop.model.memory import compact


def test_a_compact_record_is_the_same_plain_value_in_the_same_order():
    record = {
        "id": "e1",
        "type": "visit",
        "date": {"earliest": "2024-01-11", "latest": None, "precision": "day"},
        "participants": [{"role": "initiator", "actor": "a1"}, {"actor": "a2", "role": "target"}],
        "evidence": [],
        "quantities": [{"text": "three", "best": 3.0}],
    }
    kept = compact(record)
    assert kept == record and type(kept) is dict
    assert json.dumps(kept) == json.dumps(record)  # key order too: the curator's, kept
    assert [list(p) for p in kept["participants"]] == [["role", "actor"], ["actor", "role"]]
    assert pickle.loads(pickle.dumps(kept)) == record
    assert all(type(v) is list for v in (kept["participants"], kept["evidence"], kept["quantities"]))
    kept["participants"].append({"actor": "a3", "role": "target"})  # still an ordinary, mutable value
    kept["date"]["note"] = "added"
    del kept["type"]
    assert list(kept) == ["id", "date", "participants", "evidence", "quantities"]


def test_compact_records_take_less_memory():
    """Mappings of the same keys share one table of keys (CPython's key-sharing dicts, which
    size their values by the first few dozen of a kind); lists hold no room to grow."""
    pairs = [{"actor": f"a{i}", "role": "initiator", "note": None} for i in range(100)]
    kept = [compact(p) for p in pairs]
    assert sys.getsizeof(kept[-1]) < 0.6 * sys.getsizeof(pairs[-1])
    assert sum(map(sys.getsizeof, kept)) < 0.7 * sum(map(sys.getsizeof, pairs))
    grown = [p for p in pairs[:3]]
    assert sys.getsizeof(compact(grown)) < sys.getsizeof(grown)


def test_keys_that_could_be_attributes_of_a_class_stay_in_a_plain_dict():
    odd = {"__class__": "x", "__dict__": {"a": 1}, "id": "e1"}
    kept = compact(odd)
    assert kept == odd and type(kept) is dict and list(kept) == list(odd)


def test_only_the_mapping_itself_without_deep():
    shared = [{"actor": "a1", "role": "initiator"}]
    kept = compact({"id": "e1", "participants": shared}, deep=False)
    assert kept["participants"] is shared
