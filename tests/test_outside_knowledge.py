"""No outside knowledge, on the real package (docs/curating.md, rule 1): every number and every
capitalized name in a record's words is found in the texts of the sources the record cites, or is
the name or an alias of an actor the record cites.

- Numbers are compared as values, across the languages' formats: 1.500 and 1,500 are the same
  thousand-and-a-half, 93,4 and 93.4 the same decimal (a number with one separator followed by
  three digits may be either; both readings are tried), and 22 mil 400 is 22,400.
- Names are compared word by word, ignoring case and accents, as whole words of the texts.
- States and places may be named in English where the text names them in its own language: a
  word is allowed where it belongs to the English name or demonym of a state in TRANSLATIONS and
  the cited texts name that state in one of the forms listed there. The table holds the states
  the sources name; a new source naming another state adds its row.
- A possessive is its name (Noboa's is Noboa).
- The first word of a field or of a sentence in it is not a name because it is capitalized, and
  neither are the English words listed in COMMON (articles, months, weekdays) nor the words of the
  titles of the honorifics and roles of the codelists (Admiral, Secretary, Spokesperson...): an
  office translated is a title, not a name. A hyphenated word is checked part by part.

The texts are the curators' (the texts folder beside the checkout, or SECCOOP_TEXTS), with the
included ones in seeds/; without them the test is skipped (.ci/texts runs it where they are).
"""

from __future__ import annotations

import csv
import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

TEXTS = Path(os.environ.get("SECCOOP_TEXTS") or ROOT.parent / "shared" / "texts")
CURATED = ROOT / "data" / "curated"

# Words of a record that are the dataset's own words, not the source's.
TEXT_FIELDS = {
    "actor": ("name", "aliases", "honorific"),
    "relation": ("role",),
    "event": ("summary", "note", "place"),
    "commitment": ("action", "conditions", "note"),
}
QUANTITY_FIELDS = ("text", "unit")
# State names in English, with the forms the texts (in Spanish, Portuguese or English) use.
TRANSLATIONS = {
    "EC": (
        {"ecuador", "ecuadorian", "ecuadorians"},
        {"ecuador", "ecuatoriano", "ecuatoriana", "ecuatorianos", "ecuatorianas", "equador", "ecuadorian"},
    ),
    "US": (
        {"united", "states", "u", "s", "us", "american", "americans"},
        {
            "estados unidos",
            "ee.uu",
            "eeuu",
            "estadounidense",
            "estadounidenses",
            "norteamericano",
            "norteamericana",
            "united states",
            "u.s",
            "american",
        },
    ),
    "PE": ({"peru", "peruvian"}, {"perú", "peru", "peruano", "peruana", "peruanos"}),
    "CO": ({"colombia", "colombian"}, {"colombia", "colombiano", "colombiana", "colombianos", "colômbia"}),
    "VE": ({"venezuela", "venezuelan"}, {"venezuela", "venezolano", "venezolana", "venezuelano"}),
    "CL": ({"chile", "chilean"}, {"chile", "chileno", "chilena"}),
    "AR": ({"argentina", "argentine", "argentinian"}, {"argentina", "argentino", "argentinos"}),
    "BR": ({"brazil", "brazilian"}, {"brasil", "brasileño", "brasileiro", "brazil"}),
    "CN": ({"china", "chinese"}, {"china", "chino", "chinos", "chinas"}),
    "ES": ({"spain", "spanish"}, {"españa", "español", "española", "espanha", "spain"}),
    "RU": ({"russia", "russian"}, {"rusia", "ruso", "rusa", "russia", "rússia"}),
    "MX": ({"mexico", "mexican"}, {"méxico", "mexico", "mexicano"}),
    "SV": ({"el", "salvador", "salvadoran"}, {"el salvador", "salvadoreño"}),
    "EU": ({"european", "union", "eu"}, {"unión europea", "união europeia", "european union", "ue"}),
    "IT": ({"italy", "italian"}, {"italia", "italiano", "italiana", "itália", "italy"}),
    "UA": ({"ukraine", "ukrainian"}, {"ucrania", "ucraniano", "ucraniana", "ucrânia", "ukraine"}),
    "Europe": ({"europe", "european"}, {"europa", "europeo", "europea", "europe"}),
    "South America": (
        {"south", "america", "american", "americans"},
        {
            "sul-americano",
            "sul-americanos",
            "sudamericano",
            "sudamericanos",
            "suramericano",
            "américa del sur",
            "south america",
        },
    ),
    "Latin America": (
        {"latin", "america", "american"},
        {"latinoamérica", "américa latina", "latinoamericano", "latin america"},
    ),
}
COMMON = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "in",
    "on",
    "to",
    "for",
    "by",
    "with",
    "at",
    "as",
    "its",
    "his",
    "her",
    "their",
    "it",
    "he",
    "she",
    "they",
    "this",
    "that",
    "these",
    "those",
    "some",
    "other",
    "others",
    "one",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "mr",
    "mrs",
    "ms",
    "president",
    "general",
    "gen",
    "minister",
    "secretary",
    "commander",
    "head",
    "ministers",
    "high",
    "representative",
    "prime",
}

SOURCES = yaml.safe_load((CURATED / "sources.yaml").read_text(encoding="utf-8"))
TITLES = {
    w
    for codelist in ("honorifics", "roles")
    for row in csv.DictReader((ROOT / "schema" / "codelists" / f"{codelist}.csv").open(encoding="utf-8"))
    for w in re.findall(r"\w+", row["title"].casefold())
}


def _fold(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s.casefold()) if unicodedata.category(c) != "Mn")


def _readings(token: str) -> set[float]:
    """The values a number may be, in English (1,500.5) or Spanish and Portuguese (1.500,5) notation."""
    values = set()
    for r in (token.replace(",", ""), token.replace(".", "").replace(",", ".")):
        try:
            values.add(float(r))
        except ValueError:
            continue
    return values


def _numbers(s: str) -> dict[str, set[float]]:
    """Each number written in s, with the values it may be; Spanish and Portuguese write
    thousands and millions in words beside digits (22 mil 400, mil 500, 93,4 millones)."""
    found = {token: _readings(token) for token in re.findall(r"\d(?:[\d.,]*\d)?", s)}
    for m in re.finditer(r"(?:(\d{1,3}) )?mil (\d{1,3})\b", s):
        found[m.group(0)] = {int(m.group(1) or 1) * 1000 + float(m.group(2))}
    for m in re.finditer(r"(\d(?:[\d.,]*\d)?) (mil|millones|milhões|millón|milhão)\b", s):
        scale = 1000 if m.group(2) == "mil" else 1_000_000
        found[m.group(0)] = {v * scale for v in _readings(m.group(1))}
    return found


def _text(source: dict) -> str | None:
    if source["text"] == "included":
        return (ROOT / source["path"]).read_text(encoding="utf-8")
    path = TEXTS / f"{source['sha256']}.txt"
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _entries():
    for plural, kind in (
        ("actors", "actor"),
        ("relations", "relation"),
        ("events", "event"),
        ("commitments", "commitment"),
    ):
        files = [CURATED / f"{plural}.yaml", *sorted((CURATED / plural).glob("*.yaml"))]
        for file in files:
            if file.is_file():
                for entry in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
                    yield kind, file, entry


def _words(kind: str, entry: dict) -> list[str]:
    found = []
    for field in TEXT_FIELDS[kind]:
        value = entry.get(field)
        found += value if isinstance(value, list) else [value] if isinstance(value, str) else []
    for q in entry.get("quantities") or []:
        found += [q[f] for f in QUANTITY_FIELDS if isinstance(q.get(f), str)]
    return found


def _cited_actors(kind: str, entry: dict, actors: dict[str, dict]) -> list[dict]:
    ids = [m.get("actor") for m in (entry.get("participants") or []) + (entry.get("parties") or [])]
    ids += [entry.get(f) for f in ("subject", "object", "attributed_to", "part_of")]
    return [actors[i] for i in ids if i in actors]


def _names(s: str) -> list[str]:
    """Capitalized words that are not a field's or a sentence's first word."""
    names = []
    for sentence in re.split(r"(?<=[.!?:;])\s+", s):
        words = re.findall(r"[\w][\w.’'-]*", sentence)
        for word in words[1:]:
            word = re.sub(r"[’']s\Z", "", word).rstrip(".’'")  # a possessive: Noboa's is Noboa
            for w in word.split("-"):
                if w[:1].isupper() and _fold(w) not in COMMON and _fold(w) not in TITLES:
                    names.append(w)
    return names


@pytest.mark.skipif(not TEXTS.is_dir(), reason="the curators' texts folder is not here")
def test_every_number_and_name_comes_from_the_cited_texts():
    texts = {s["id"]: _text(s) for s in SOURCES}
    missing = [sid for sid, t in texts.items() if t is None]
    assert not missing, f"texts not in {TEXTS}: {missing}"
    actors: dict[str, dict] = {}
    entries = list(_entries())
    for kind, _, e in entries:
        if kind == "actor":
            merged = actors.setdefault(e["id"], {"names": [], "country": set()})
            merged["names"] += [e[f] for f in ("name",) if e.get(f)] + list(e.get("aliases") or [])
            if e.get("country"):
                merged["country"].add(e["country"])
    faults = []
    for kind, file, e in entries:
        cited = {s["source"] for s in e.get("evidence") or []}
        corpus = "\n".join(texts[s] or "" for s in cited)
        folded = _fold(corpus)
        text_words = set(re.findall(r"\w+", folded))
        numbers = set().union(*_numbers(corpus).values())
        own = _cited_actors(kind, e, actors)
        own_words = {w for a in own for n in a["names"] for w in re.findall(r"\w+", _fold(n))}
        for value in _words(kind, e):
            for token, values in _numbers(value).items():
                if not values & numbers:
                    faults.append(f"{file.relative_to(ROOT)}: {e['id']}: the number {token} is in no text it cites")
            for name in _names(value):
                parts = re.findall(r"\w+", _fold(name))
                if all(p in text_words or p in own_words for p in parts):
                    continue
                if any(
                    set(parts) <= english and any(_fold(form) in folded for form in local)
                    for english, local in TRANSLATIONS.values()
                ):
                    continue
                faults.append(f"{file.relative_to(ROOT)}: {e['id']}: the name {name!r} is in no text it cites")
    assert not faults, "\n".join(sorted(set(faults)))


def test_numbers_are_read_in_either_notation_and_names_past_the_first_word():
    assert 1500 in _numbers("unos 1.500 presos")["1.500"] and 1500 in _numbers("some 1,500 inmates")["1,500"]
    assert 93.4 in _numbers("93,4 millones")["93,4"] and 93.4 in _numbers("93.4 million")["93.4"]
    assert not _numbers("twenty") and _numbers("USD 200")["200"] == {200.0}
    assert _numbers("unas 22 mil 400 personas")["22 mil 400"] == {22400.0}
    assert _numbers("a unos mil 500 kilómetros")["mil 500"] == {1500.0}
    assert 93_400_000 in _numbers("93,4 millones de euros")["93,4 millones"]
    assert _names("The delegation met Noboa in Quito. Then Richardson left for the U.S. on Monday") == [
        "Noboa",
        "Quito",
        "Richardson",
        "U.S",
    ]
