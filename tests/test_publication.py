"""A source's publication date as bounds, and the dates a page's address gives (docs/rights.md,
"Sources a reader can find")."""

from __future__ import annotations

import pytest

from seccoop.model.publication import Published, published, url_dates


@pytest.mark.parametrize(
    "url, dates",
    [
        ("https://news.example/2024/01/08/police-chief", [("2024-01-08", "2024-01-08")]),
        ("https://news.example/a/2024-01-12-visit", [("2024-01-12", "2024-01-12")]),
        ("https://news.example/story-20240114.html", [("2024-01-14", "2024-01-14")]),
        ("https://news.example/el-mundo/freed-nid14012024/", [("2024-01-14", "2024-01-14")]),
        ("https://news.example/2024/04/el-si-gana/", [("2024-04-01", "2024-04-30")]),
        ("https://news.example/2024/02/leap/", [("2024-02-01", "2024-02-29")]),
        ("https://news.example/politica/tropas-90660", []),
        ("https://news.example/2024/02/30/no-such-day", []),
        # A web archive's timestamp is the archive's, not the page's.
        ("https://archive.example/web/20240305041054/https://en.example.org/wiki/Conflict", []),
        (
            "https://archive.example/web/20240305041054/https://news.example/2024/01/09/x",
            [("2024-01-09", "2024-01-09")],
        ),
    ],
)
def test_the_dates_an_address_gives(url, dates):
    assert url_dates(url) == dates


def test_bounds_say_which_source_was_certainly_first():
    day = published({"published": "2024-01-12"})
    month = published({"published": {"earliest": "2024-01-01", "latest": "2024-01-31", "precision": "range"}})
    later = Published("2024-02-01", None)
    assert day.day == "2024-01-12" and month.day is None and month.precision == "range"
    assert not day.before(month) and not month.before(day)  # overlapping: simultaneous
    assert day.before(later) and month.before(later) and not later.before(day)
    assert str(month) == "between 2024-01-01 and 2024-01-31" and str(later) == "on or after 2024-02-01"
    assert str(Published(None, None)) == "on an unknown date" and Published(None, None).precision == "open"
