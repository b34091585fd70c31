"""Texts fetched and verified on demand (docs/fetch.md; the network rules in docs/safety.md): a
package with one withheld source whose text the tests wrote, a local HTTP server on 127.0.0.1
serving its page in every way a page goes wrong (boilerplate, other spacing and quote marks,
redirects, a redirect to a private address, an oversized page, an edited page, a failing page with
an archived copy, a slow page), and `seccoop check` verifying the spans through what was fetched.
No test reaches anything but 127.0.0.1: the command's policy is replaced in this process only."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import http.server
import io
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import copy_package, invoke

from seccoop.model.locators import folded_fingerprint
from seccoop.safety import network
from seccoop.texts.align import align

# The curators' copy: curly quotes, paragraphs apart. Invented for these tests.
COPY = (
    "The harbour masters of Veldmark and Ostrava agreed on Tuesday to run a joint ferry inspection "
    "on the northern lake.\n\n"
    "\u201cWe will board every night ferry,\u201d said the Veldmark harbour master, Ilse Marrow.\n\n"
    "Inspectors from both towns will share one radio channel from June, according to the agreement.\n\n"
    "A review of the inspections is planned for the winter, when the lake freezes over.\n"
)
SHA = hashlib.sha256(COPY.encode("utf-8")).hexdigest()
PAGE_PATH = "/2024/04/02/ferry-pact"
ARCHIVE_PATH = "/archive/2024/04/02/ferry-pact"

EVENTS = """\
- id: ferry-inspection-agreed
  type: cooperation
  status: occurred
  summary: Two lake ports set up shared checks of boats.
  date: {earliest: null, latest: "2024-04-02", precision: open}
  participants:
    - {actor: freedonia, role: participant}
    - {actor: ruritania, role: participant}
  evidence:
    - source: ferry
      quote: agreed on Tuesday to run a joint ferry inspection on the northern lake
    - source: ferry
      quote: \u201cWe will board every night ferry,\u201d said the Veldmark harbour master
    - source: ferry
      quote: Inspectors from both towns will share one radio channel from June
    - source: ferry
      quote: A review of the inspections is planned for the winter
"""


def article_html(paragraphs: list[str], straight: bool = True) -> bytes:
    """The page as a publisher serves it: navigation, an ad, a script, a sidebar and a footer around
    the article, its spaces after commas non-breaking and (`straight`) its quote marks straight."""
    if straight:
        paragraphs = [p.replace("\u201c", '"').replace("\u201d", '"') for p in paragraphs]
    body = "\n".join("<p>" + p.replace(", ", ",&nbsp;") + "</p>" for p in paragraphs)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Lake ferry pact | The Harbour Courier</title>
<script>var slots = ["Buy a boat today", "Cheap nets for sale"]; window.track && track();</script></head>
<body><nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a>
<a href="/weather">Weather</a></nav>
<div class="advert">Advertisement: subscribe to the Courier for one coin a week and win a rowing boat!</div>
<main><article><h1>Lake ferry pact</h1><p class="byline">By a staff writer</p>
{body}
</article></main>
<aside><h2>Most read</h2><ul><li><a href="/a">Cheese prices rise again in the valley</a></li>
<li><a href="/b">Local choir wins the spring contest</a></li></ul></aside>
<footer>&copy; 2024 The Harbour Courier. All rights reserved.
<a href="/privacy">Privacy</a> <a href="/terms">Terms</a></footer>
</body></html>""".encode()


PARAGRAPHS = [p for p in COPY.split("\n\n") if p.strip()]
GOOD = article_html([p.strip() for p in PARAGRAPHS])
CHANGED = article_html([p.strip() for p in PARAGRAPHS[:3]] + ["A review of the patrols is planned for the spring."])


class Server(http.server.ThreadingHTTPServer):
    """A local server whose answers a test sets: path -> (status, headers, body, delay)."""

    daemon_threads = True
    routes: dict[str, tuple[int, dict, bytes, float]]
    requests: list[str]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server: Server

    def do_GET(self):
        self.server.requests.append(self.path)
        status, headers, body, delay = self.server.routes.get(self.path, (404, {}, b"no such page", 0.0))
        if delay > 0:
            time.sleep(delay)
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            if value is not None:
                self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (a time limit, a size limit)
            if delay < 0:  # a trickle: one byte every -delay seconds, each within any read timeout
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(-delay)
            else:
                self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


def page(body: bytes, **headers) -> tuple[int, dict, bytes, float]:
    return 200, {"Content-Length": str(len(body)), **headers}, body, 0.0


def redirect(status: int, location: str) -> tuple[int, dict, bytes, float]:
    return status, {"Location": location, "Content-Length": "0"}, b"", 0.0


@pytest.fixture(scope="module")
def server():
    httpd = Server(("127.0.0.1", 0), Handler)
    httpd.routes, httpd.requests = {}, []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def local(server, monkeypatch):
    """The server, with no routes yet, and the command allowed to reach 127.0.0.1 (never a private
    address): the policy replaced in this process only, as docs/safety.md says."""
    server.routes.clear()
    server.requests.clear()
    monkeypatch.setattr(network, "DEFAULT", network.Policy(allow_loopback=True))
    return server


def base_url(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def without_folded_fingerprints(pkg: Path) -> None:
    """data/spans.csv as a package published before the folded columns were filled: empty."""
    path = pkg / "data" / "spans.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in rows:
        row["folded_sha256"], row["folded_length"] = "", ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


@pytest.fixture(scope="module")
def fetch_package(tmp_path_factory, built_base, server) -> Path:
    """The base package plus the withheld source `ferry`, its page on the local server, its four
    quotes pinned and none published, its spans' folded fingerprints in the locators register
    (`seccoop texts link`); built."""
    home = tmp_path_factory.mktemp("fetch")
    pkg = copy_package(built_base, home / "pkg")
    document = home / "ferry.txt"
    document.write_text(COPY, encoding="utf-8")
    added = invoke(
        "add-source",
        str(document),
        "--package",
        str(pkg),
        "--id",
        "ferry",
        "--title",
        "Lake ferry pact",
        "--published",
        "2024-04-02",
        "--published-from",
        "url",
        "--url",
        base_url(server) + PAGE_PATH,
        "--archived-url",
        base_url(server) + ARCHIVE_PATH,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    (pkg / "data" / "curated" / "events").mkdir(exist_ok=True)
    events = pkg / "data" / "curated" / "events" / "ferry.yaml"
    events.write_text(EVENTS, encoding="utf-8")
    pinned = invoke("locate", "--pin", "--package", str(pkg))
    assert pinned.returncode == 0, pinned.stdout + pinned.stderr
    events.write_text(
        "".join(line for line in events.read_text(encoding="utf-8").splitlines(True) if "quote:" not in line),
        encoding="utf-8",
    )
    linked = invoke("texts", "link", "--package", str(pkg))  # each span's folded fingerprint
    assert linked.returncode == 0, linked.stdout + linked.stderr
    built = invoke("build", str(pkg))
    assert built.returncode == 0, built.stdout + built.stderr
    assert all(s["folded_sha256"] for s in spans_of(pkg).values())
    return pkg


@pytest.fixture
def pkg(fetch_package, tmp_path) -> Path:
    return copy_package(fetch_package, tmp_path / "pkg")


def fetch(pkg: Path, folder: Path, *args: str):
    result = invoke("texts", "fetch", "--package", str(pkg), "--texts", str(folder), *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def spans_of(pkg: Path) -> dict[str, dict]:
    rows = csv.DictReader(io.StringIO((pkg / "data" / "spans.csv").read_text(encoding="utf-8")))
    return {r["id"]: r for r in rows if r["source"] == "ferry"}


# -- the page recovered and verified -----------------------------------------------------------------


def test_the_article_is_recovered_from_its_boilerplate_and_every_span_verifies(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = page(GOOD)
    folder = tmp_path / "texts"
    result = fetch(pkg, folder)
    assert result.returncode == 0, result.stdout + result.stderr
    spans = spans_of(pkg)
    assert f"ferry: 4 of 4 span(s) verified, {sum(int(s['length']) for s in spans.values())} of " in result.stdout
    assert "(100%)" in result.stdout and "every span verified" in result.stdout
    text = (folder / f"{SHA}.fetched.txt").read_text(encoding="utf-8")
    assert "Advertisement" not in text and "Cheese prices" not in text and "Buy a boat" not in text
    assert '"We will board every night ferry,"' in text  # straight, as the page has them
    document = json.loads((folder / f"{SHA}.fetched.json").read_text(encoding="utf-8"))
    assert document["source"] == "ferry" and document["url"] == base_url(local) + PAGE_PATH
    assert document["sha256"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert document["extractor"]["name"] == "trafilatura" and document["fetched_at"].endswith("Z")
    assert set(document["spans"]) == set(spans)
    for span_id, place in document["spans"].items():
        words = text[place["start"] : place["end"]]
        assert folded_fingerprint(words)[0] == spans[span_id]["folded_sha256"], span_id
    # The curators' own copy is never touched; the request named seccoop.
    assert not (folder / f"{SHA}.txt").exists()
    assert local.requests == [PAGE_PATH]


def test_a_redirect_chain_is_followed_and_the_final_address_recorded(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = redirect(301, "/moved/once")
    local.routes["/moved/once"] = redirect(302, base_url(local) + "/moved/twice")
    local.routes["/moved/twice"] = page(GOOD)
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"(redirected to {base_url(local)}/moved/twice)" in result.stdout
    document = json.loads((tmp_path / "texts" / f"{SHA}.fetched.json").read_text(encoding="utf-8"))
    assert document["url"] == base_url(local) + "/moved/twice"
    assert local.requests == [PAGE_PATH, "/moved/once", "/moved/twice"]


def test_a_changed_page_names_exactly_the_spans_it_no_longer_has(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = page(CHANGED)
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode == 1, result.stdout + result.stderr
    [gone] = [i for i, s in spans_of(pkg).items() if COPY[int(s["start"]) :].startswith("A review")]
    assert f"ferry: not found in the fetched text: {gone}\n" in result.stdout
    assert "ferry: 3 of 4 span(s) verified" in result.stdout
    assert "different document" not in result.stdout
    document = json.loads((tmp_path / "texts" / f"{SHA}.fetched.json").read_text(encoding="utf-8"))
    assert document["spans"][gone] is None
    assert local.requests == [PAGE_PATH]  # the page gave a text: the archive is not asked


def test_without_the_folded_fingerprints_only_exact_words_are_found(local, pkg, tmp_path):
    """A package published before the folded columns were filled: the span whose quote marks the
    page straightened is not found, and said so; the others are."""
    without_folded_fingerprints(pkg)
    local.routes[PAGE_PATH] = page(GOOD)
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode == 1
    [curly] = [i for i, s in spans_of(pkg).items() if COPY[int(s["start"])] == "\u201c"]
    assert f"not found in the fetched text: {curly}\n" in result.stdout


# -- what is refused, and what fails -----------------------------------------------------------------


def test_a_redirect_to_a_private_address_is_refused_before_any_connection(local, pkg, tmp_path, monkeypatch):
    connected: list = []
    real = socket.create_connection

    def watched(address, *args, **kwargs):
        connected.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(network.socket, "create_connection", watched)
    for target in ("http://10.0.0.1/article", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/"):
        local.routes[PAGE_PATH] = redirect(302, target)
        result = fetch(pkg, tmp_path / "texts")
        assert result.returncode == 1, result.stdout + result.stderr
        assert f"ferry: refused url {base_url(local)}{PAGE_PATH}: redirected to {target}: " in result.stdout
        assert "not fetched" in result.stdout
    assert set(connected) == {"127.0.0.1"}  # the local server only: never a private address
    assert not (tmp_path / "texts" / f"{SHA}.fetched.txt").exists()


def test_a_file_url_and_other_schemes_are_refused(local):
    for url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/html,<p>hi</p>", "gopher://127.0.0.1/"):
        with pytest.raises(network.Refused, match="only http and https"):
            network.fetch(url, network.DEFAULT)
    with pytest.raises(network.Refused, match="no credentials"):
        network.fetch(f"http://user:secret@127.0.0.1:{local.server_address[1]}/", network.DEFAULT)
    assert local.requests == []


def test_a_file_url_in_the_package_is_refused_by_the_command(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = redirect(302, "file:///etc/passwd")
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode == 1
    assert "redirected to file:///etc/passwd: only http and https are fetched, not `file:`" in result.stdout


def test_loopback_private_and_metadata_addresses_are_refused_by_default():
    strict = network.Policy()
    for url in (
        "http://127.0.0.1/",
        "http://[::1]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.0.1/",
        "http://[fd00::1]/",
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://100.100.100.200/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://[::ffff:10.0.0.1]/",
        # outside global unicast, though some versions of ipaddress call them global
        "http://[::7f00:1]/",
        "http://[::ffff:0:7f00:1]/",
        "http://[64:ff9b:1::a00:1]/",
        "http://[fec0::1]/",
    ):
        with pytest.raises(network.Refused, match="not fetched"):
            network.fetch(url, strict)
    loopback_only = network.Policy(allow_loopback=True)
    for url in ("http://10.1.2.3/", "http://169.254.169.254/", "http://[::ffff:192.168.0.1]/"):
        with pytest.raises(network.Refused):
            network.fetch(url, loopback_only)


def test_an_oversized_page_is_refused_whether_or_not_it_says_its_size(local, pkg, tmp_path):
    big = GOOD + b"<!-- " + b"x" * 20_000 + b" -->"
    for headers in ({}, {"Content-Length": None}):  # stated, then read until the limit
        local.routes[PAGE_PATH] = (200, {"Content-Length": str(len(big)), **headers}, big, 0.0)
        result = fetch(pkg, tmp_path / "texts", "--max-bytes", "10000")
        assert result.returncode == 1, result.stdout + result.stderr
        assert "over the limit of 10000" in result.stdout
    assert not (tmp_path / "texts" / f"{SHA}.fetched.txt").exists()


def test_a_page_that_is_not_html_or_text_is_not_read(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = page(b"%PDF-1.7", **{"Content-Type": "application/pdf"})
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode == 1
    assert "the page is `application/pdf`, not HTML or plain text: not read" in result.stdout


def test_a_failing_page_falls_back_to_its_archived_copy(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = (500, {"Content-Length": "5"}, b"oops!", 0.0)
    local.routes[ARCHIVE_PATH] = page(GOOD)
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ferry: failed url {base_url(local)}{PAGE_PATH}: HTTP 500" in result.stdout
    assert f"ferry: fetched archived_url {base_url(local)}{ARCHIVE_PATH}" in result.stdout
    document = json.loads((tmp_path / "texts" / f"{SHA}.fetched.json").read_text(encoding="utf-8"))
    assert document["url"] == base_url(local) + ARCHIVE_PATH


def test_a_rotted_url_and_archive_are_reported_not_dropped(local, pkg, tmp_path):
    # Neither route is served: both 404.
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode == 1
    assert f"ferry: failed url {base_url(local)}{PAGE_PATH}: HTTP 404" in result.stdout
    assert f"ferry: failed archived_url {base_url(local)}{ARCHIVE_PATH}: HTTP 404" in result.stdout
    assert "ferry: not verified: the page could not be fetched and its archived copy failed too" in result.stdout
    assert "1 of 1 source(s) not wholly verified" in result.stdout


def test_a_slow_page_hits_the_time_limit(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = (200, {"Content-Length": str(len(GOOD))}, GOOD, 3.0)
    started = time.monotonic()
    result = fetch(pkg, tmp_path / "texts", "--timeout", "0.5")
    took = time.monotonic() - started
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no answer within 0.5 s" in result.stdout
    assert took < 2.5, took  # the archive's 404 included


# -- the command line --------------------------------------------------------------------------------


def test_the_texts_folder_must_be_named_and_lie_outside_the_package(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = page(GOOD)
    result = invoke("texts", "fetch", "--package", str(pkg), env={"SECCOOP_TEXTS": None})
    assert result.returncode == 2 and "name the texts folder with --texts DIR" in result.stderr
    for inside in (pkg / "texts", pkg / "data" / "fetched", pkg):
        result = invoke("texts", "fetch", "--package", str(pkg), "--texts", str(inside))
        assert result.returncode == 2, result.stdout + result.stderr
        assert "fetched texts are never written inside the package" in result.stderr
    result = invoke("texts", "fetch", "nope", "--package", str(pkg), "--texts", str(tmp_path / "t"))
    assert result.returncode == 2 and "no withheld source of the package is called `nope`" in result.stderr
    assert local.requests == []


def test_without_the_extra_the_command_says_what_to_install(pkg, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # an import of it fails, as where it is not installed
    result = invoke("texts", "fetch", "--package", str(pkg), "--texts", str(tmp_path / "t"))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pip install 'seccoop[fetch]'" in result.stderr and "Traceback" not in result.stderr


def test_check_runs_without_the_extra_or_the_network_module(pkg):
    """Neither trafilatura nor the network client is imported by check: with both unimportable, it
    runs as before."""
    blocked = "import sys; sys.modules['trafilatura'] = None; sys.modules['seccoop.safety.network'] = None\n"
    run = "from seccoop.cli import main; sys.argv = ['seccoop', 'check', sys.argv[1]]; main()"
    done = subprocess.run([sys.executable, "-c", blocked + run, str(pkg)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not verified" not in done.stdout  # the curators' copy is in the package's texts/


# -- check verifies through the fetched copy ---------------------------------------------------------


def _check(pkg: Path, folder: Path, *args: str) -> tuple[int, dict]:
    result = invoke("check", str(pkg), "--texts", str(folder), "--format", "json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_check_verifies_the_spans_through_the_fetched_copy_and_reports_a_tampered_one(local, pkg, tmp_path):
    folder = tmp_path / "texts"
    # The page keeps the curators' quote marks here: every span verifies by its exact fingerprint.
    local.routes[PAGE_PATH] = page(article_html([p.strip() for p in PARAGRAPHS], straight=False))
    assert fetch(pkg, folder).returncode == 0
    # Only the fetched copy is there: no curators' text.
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
        f"{SHA}.fetched.json",
        f"{SHA}.fetched.txt",
    ]
    code, report = _check(pkg, folder)
    codes = {p["code"] for p in report["errors"]}
    assert "evidence-unverified" not in codes and "evidence-fetched-mismatch" not in codes, report
    assert code == 0 and report["unverified"] == {}, report
    # Without it, the same spans are unverified.
    code, report = _check(pkg, tmp_path / "empty")
    assert report["unverified"] == {"ferry": 4}
    # The fetched text edited: the span whose words changed is named.
    fetched = folder / f"{SHA}.fetched.txt"
    fetched.write_text(fetched.read_text(encoding="utf-8").replace("radio channel", "radio station"), encoding="utf-8")
    code, report = _check(pkg, folder)
    [mismatch] = [p for p in report["errors"] if p["code"] == "evidence-fetched-mismatch"]
    [changed] = [i for i, s in spans_of(pkg).items() if COPY[int(s["start"]) :].startswith("Inspectors")]
    assert mismatch["severity"] == "warning" and mismatch["file"] == "data/curated/events/ferry.yaml"
    assert f"span {changed}: the page fetched for ferry" in mismatch["message"]
    assert "no longer has those words" in mismatch["message"]
    assert report["unverified"] == {"ferry": 1} and code == 0


def test_check_verifies_through_the_folded_fingerprint_where_the_package_publishes_it(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = page(GOOD)  # quote marks straightened: one span found by its folded fingerprint
    folder = tmp_path / "texts"
    assert fetch(pkg, folder).returncode == 0
    code, report = _check(pkg, folder)
    assert code == 0 and report["unverified"] == {}, report
    assert not {"evidence-fetched-mismatch", "evidence-unverified"} & {p["code"] for p in report["errors"]}
    # Where the package does not publish it, that span is not verified (its table then stale).
    without_folded_fingerprints(pkg)
    code, report = _check(pkg, folder)
    assert report["unverified"] == {"ferry": 1}, report
    [mismatch] = [p for p in report["errors"] if p["code"] == "evidence-fetched-mismatch"]
    [curly] = [i for i, s in spans_of(pkg).items() if COPY[int(s["start"])] == "\u201c"]
    assert f"span {curly}:" in mismatch["message"]


def test_a_fetched_map_of_another_shape_or_a_link_is_reported_not_used(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = page(GOOD)
    folder = tmp_path / "texts"
    fetch(pkg, folder)
    mapped = folder / f"{SHA}.fetched.json"
    mapped.write_text('{"spans": {"x": {"start": -1, "end": 5}}}', encoding="utf-8")
    code, report = _check(pkg, folder)
    [problem] = [p for p in report["errors"] if p["code"] == "evidence-fetched-mismatch"]
    assert "cannot be used" in problem["message"] and report["unverified"] == {"ferry": 4}
    mapped.unlink()
    elsewhere = tmp_path / "map.json"
    elsewhere.write_text('{"spans": {}}', encoding="utf-8")
    mapped.symlink_to(elsewhere)
    code, report = _check(pkg, folder)
    assert code == 1 and "file-link" in {p["code"] for p in report["errors"]}


# -- alignment ---------------------------------------------------------------------------------------


def _span(text: str, start: int, end: int, name: str) -> dict:
    words = text[start:end]
    digest, length = folded_fingerprint(words)
    return {
        "id": name,
        "start": start,
        "end": end,
        "sha256": hashlib.sha256(words.encode("utf-8")).hexdigest(),
        "folded_sha256": digest,
        "folded_length": length,
    }


def test_alignment_finds_spans_by_either_fingerprint_and_maps_them_back():
    spans = [
        _span(COPY, COPY.index("agreed"), COPY.index(" on the northern"), "a"),
        _span(COPY, COPY.index("\u201cWe"), COPY.index(" master,"), "b"),
    ]
    fetched = "Menu\n" + COPY.replace("\u201c", '"').replace("\u201d", '"').replace("agreed on", "agreed\u00a0on")
    found = {f.span["id"]: f for f in align(fetched, spans)}
    assert found["a"].how == "folded" and found["b"].how == "folded"  # a's spaces, b's quote marks
    assert fetched[found["b"].start : found["b"].end] == '"We will board every night ferry," said the Veldmark harbour'
    plain = align("Menu\n" + COPY, spans)
    assert [f.how for f in plain] == ["exact", "exact"]
    assert [f.start for f in align("nothing here", spans)] == [None, None]


def test_alignment_of_a_long_text_is_fast():
    import random

    rng = random.Random(27)
    vocabulary = ["harbour", "ferry", "lake", "inspection", "radio", "channel", "winter", "master", "board"]
    text = ""
    while len(text) < 20_000:
        text += " ".join(rng.choice(vocabulary) for _ in range(14)) + ".\n\n"
    starts = sorted(rng.sample(range(0, len(text) - 200), 100))
    spans = []
    for k, start in enumerate(starts):
        while start > 0 and text[start - 1].isalnum():
            start += 1
        end = start + rng.randrange(20, 150)
        while end < len(text) and text[end].isalnum():
            end += 1
        spans.append(_span(text, start, end, f"s{k}"))
    page_text = "Home World Sport\n" + text.replace(" ", "\u00a0")
    started = time.monotonic()
    found = align(page_text, spans)
    assert time.monotonic() - started < 1.0
    assert all(f.start is not None for f in found)


def test_a_recheck_after_an_edit_answers_as_a_cold_check(local, pkg, tmp_path):
    folder = tmp_path / "texts"
    local.routes[PAGE_PATH] = page(article_html([p.strip() for p in PARAGRAPHS], straight=False))
    assert fetch(pkg, folder).returncode == 0
    assert _check(pkg, folder)[1]["unverified"] == {}
    events = pkg / "data" / "curated" / "events" / "ferry.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("shared checks", "joint checks"), encoding="utf-8")
    warm, cold = _check(pkg, folder), _check(pkg, folder, "--no-cache")
    assert warm[1]["unverified"] == cold[1]["unverified"] == {}
    assert [p["code"] for p in warm[1]["errors"]] == [p["code"] for p in cold[1]["errors"]]


# -- what a hostile server or package sends: refused or failed, never a traceback --------------------


def test_a_trickling_page_is_cut_at_the_time_limit(local):
    """`Connection: close` makes http.client drop its socket once the headers are read: the
    watchdog still shuts the one the body is read from."""
    local.routes[PAGE_PATH] = (200, {"Content-Length": "40"}, b"<p>" + b"x" * 37, -0.2)
    started = time.monotonic()
    with pytest.raises(network.Failed):
        network.fetch(base_url(local) + PAGE_PATH, network.Policy(allow_loopback=True, timeout=1.0))
    assert time.monotonic() - started < 3.0


def test_a_redirect_no_url_parser_takes_and_a_non_ascii_path_fail_cleanly(local):
    policy = network.Policy(allow_loopback=True)
    local.routes[PAGE_PATH] = redirect(302, "http://[::1/")
    with pytest.raises(network.Failed, match="no URL"):
        network.fetch(base_url(local) + PAGE_PATH, policy)
    local.routes[PAGE_PATH] = redirect(302, "/caf\u00e9")
    local.routes["/caf%C3%A9"] = page(GOOD)
    assert network.fetch(base_url(local) + PAGE_PATH, policy).body == GOOD  # sent percent-encoded


def test_a_charset_that_is_no_text_encoding_is_no_crash(local, pkg, tmp_path):
    local.routes[PAGE_PATH] = page(b"aGVsbG8=", **{"Content-Type": "text/plain; charset=base64"})
    result = fetch(pkg, tmp_path / "texts")
    assert result.returncode in (0, 1), result.stdout + result.stderr


def test_a_sha256_that_is_a_path_is_refused_and_nothing_written(local, pkg, tmp_path):
    """The sha256 names the files written in the texts folder: `../` would name another place."""
    local.routes[PAGE_PATH] = page(GOOD)
    sources = pkg / "data" / "sources.csv"
    sources.write_text(sources.read_text(encoding="utf-8").replace(SHA, "../../escaped"), encoding="utf-8")
    result = fetch(pkg, tmp_path / "deep" / "er" / "texts")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "64 lowercase hex" in result.stderr
    assert not list(tmp_path.rglob("escaped*"))
