"""The HTML review site (`seccoop export --format html`): its files, escaping, code-point offsets, and
the page itself driven in headless Chromium over the DevTools protocol (a real click, a real Enter)."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT, invoke

from seccoop.exports.review import write_review_site
from seccoop.model.package import KINDS, PLURAL
from seccoop.safety.write import WriteRefused

ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


# -- helpers: the exported site, its spans, and what a DOM holds ---------------------------------


def export_site(package: Path, out: Path) -> Path:
    result = invoke("export", str(package), "--format", "html", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def evidence_spans(document: dict):
    """(span id, source, quote) of every evidence span of every record, as the site names them."""
    for kind in KINDS:
        for record in document[PLURAL[kind]]:
            for n, span in enumerate(record["evidence"], start=1):
                yield f"span-{kind}-{record['id']}-{n}", span["source"], span["quote"]


class PageParts(HTMLParser):
    """The highlighted text of each span (joined over its segments), the anchors, and the scripts."""

    def __init__(self, markup: str):
        super().__init__()
        self.span_text: dict[str, str] = {}
        self.ids: set[str] = set()
        self.scripts: list[tuple[dict, str]] = []
        self._segment: list[str] | None = None
        self._script: dict | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "mark" and "seg" in attrs.get("class", "").split():
            self._segment = attrs["data-spans"].split()
        if tag == "script":
            self._script = attrs
            self.scripts.append((attrs, ""))

    def handle_endtag(self, tag):
        if tag == "mark":
            self._segment = None
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        for span_id in self._segment or ():
            self.span_text[span_id] = self.span_text.get(span_id, "") + data
        if self._script is not None:
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)


def find_chromium() -> str | None:
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    return shutil.which("chromium")


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        why = "Chromium is not installed (needed for the browser tests); install it: apt-get install chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{why}. CI=true: a browser test skipped in CI would go unnoticed, so it fails.", pytrace=False)
        pytest.skip(why)
    return path


def dump_dom(chromium: str, page: Path, profile: Path) -> str:
    """The DOM after the page's scripts ran. Bytes, not text mode: a carriage return must survive."""
    result = subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")[-2000:]
    return result.stdout.decode("utf-8")


# -- a DevTools protocol client, standard library only ------------------------------------------


class DevTools:
    """Just enough of the Chrome DevTools Protocol, over a minimal RFC 6455 websocket, to drive a page."""

    def __init__(self, ws_url: str):
        host_port, path = ws_url.removeprefix("ws://").split("/", 1)
        host, port = host_port.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        response = b""
        while b"\r\n\r\n" not in response:
            response += self.sock.recv(1)
        assert response.startswith(b"HTTP/1.1 101"), response
        self.next_id = 0

    def _recv_exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            data += chunk
        return data

    def _send_text(self, text: str) -> None:
        payload = text.encode("utf-8")
        header = bytes([0x81])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 1 << 16:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _recv_message(self) -> dict:
        message = b""
        while True:
            first, second = self._recv_exact(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._recv_exact(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._recv_exact(8))[0]
            message += self._recv_exact(length)
            if first & 0x80:
                return json.loads(message)

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        self._send_text(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            reply = self._recv_message()
            if reply.get("id") == self.next_id:
                assert "error" not in reply, reply
                return reply["result"]

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 20):
        deadline = time.monotonic() + timeout
        while not self._settled(expression):
            assert time.monotonic() < deadline, f"timed out waiting for {expression}"
            time.sleep(0.05)

    def _settled(self, expression: str):
        """The expression's value; False while the page is between documents (a click's navigation
        can close the context the question was put to: the browser says so, and it is asked again)."""
        try:
            return self.evaluate(expression)
        except AssertionError as exc:
            if "navigated or closed" in str(exc) or "Cannot find context" in str(exc):
                return False
            raise

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for(f"location.href === {json.dumps(url)} && document.readyState === 'complete'")

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element's widest line box (an inline element that
        wraps, or holds a <q>, has several)."""
        x, y = self.evaluate(f"""(() => {{
            const element = document.querySelector({json.dumps(selector)});
            element.scrollIntoView({{block: "center"}});
            const box = Array.from(element.getClientRects()).reduce((a, b) => (b.width > a.width ? b : a));
            return [box.left + box.width / 2, box.top + box.height / 2];
        }})()""")
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def press_enter(self) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Enter",
                code="Enter",
                windowsVirtualKeyCode=13,
                **({"text": "\r"} if kind == "keyDown" else {}),
            )

    def screenshot(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"]))


@contextmanager
def browser(chromium: str, profile: Path):
    """A headless Chromium on a blank page, driven over DevTools; ended (its process group) on exit."""
    process = subprocess.Popen(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1280,900",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    devtools = None
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
            assert time.monotonic() < deadline and process.poll() is None, "Chromium did not open DevTools"
            time.sleep(0.05)
        port = port_file.read_text().split("\n")[0]
        no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        targets = json.load(no_proxy.open(f"http://127.0.0.1:{port}/json/list", timeout=30))
        devtools = DevTools(next(t for t in targets if t["type"] == "page")["webSocketDebuggerUrl"])
        yield devtools
    finally:
        if devtools is not None:
            devtools.sock.close()
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# -- the files -------------------------------------------------------------------------------


def test_export_writes_a_self_contained_deterministic_site(base_package, tmp_path):
    first = export_site(base_package, tmp_path / "first")
    second = export_site(base_package, tmp_path / "second")
    names = sorted(p.name for p in first.iterdir())
    assert names == [
        "actors-1.html",
        "commitments-1.html",
        "events-1.html",
        "index.html",
        "relations-1.html",
        "source-alpha.html",
        "source-beta.html",
        "sources-1.html",
    ]
    assert sorted(p.name for p in second.iterdir()) == names
    for name in names:
        markup = (first / name).read_text(encoding="utf-8")
        assert (second / name).read_bytes() == (first / name).read_bytes(), name
        parts = PageParts(markup)
        assert all("src" not in attrs for attrs, _ in parts.scripts), name
        assert "<link" not in markup and "<img" not in markup and "<iframe" not in markup, name
        assert "@import" not in markup and "url(" not in markup, name
        assert "default-src 'none'" in markup, name  # the browser itself refuses any load


def test_export_says_what_it_wrote(base_package, tmp_path):
    result = invoke("export", str(base_package), "--format", "html", "--out", str(tmp_path / "site"))
    assert result.returncode == 0
    for name in ("index.html", "events-1.html", "source-alpha.html", "source-beta.html"):
        assert f"wrote {tmp_path / 'site' / name}" in result.stderr


def test_export_refuses_a_file_where_the_folder_should_be(base_package, tmp_path):
    target = tmp_path / "site"
    target.write_text("keep me", encoding="utf-8")
    result = invoke("export", str(base_package), "--format", "html", "--out", str(target))
    assert result.returncode == 2 and "is a file; this export writes a folder" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.read_text(encoding="utf-8") == "keep me"
    with pytest.raises(WriteRefused):
        write_review_site({"sources": []}, {}, target)


def test_record_pages_link_every_span_to_its_anchor_in_its_source(base_package, tmp_path):
    site = export_site(base_package, tmp_path / "site")
    document = json.loads((base_package / "data" / "seccoop.json").read_text(encoding="utf-8"))
    for span_id, source, _ in evidence_spans(document):
        kind = span_id.split("-")[1]
        page = (site / f"{PLURAL[kind]}-1.html").read_text(encoding="utf-8")
        assert f'href="source-{source}.html#{span_id}"' in page
        assert span_id in PageParts((site / f"source-{source}.html").read_text(encoding="utf-8")).ids


class Links(HTMLParser):
    """The ids of a page and its links to other pages of the site."""

    def __init__(self, markup: str):
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a":
            self.hrefs.append(attrs["href"])


def test_small_pages_hold_every_record_once_and_every_link_lands(base_package, tmp_path):
    from seccoop.exports.published import load_published

    published = load_published(base_package)
    site = tmp_path / "site"
    written = write_review_site(published, published.texts, site, page_size=2)
    assert written[0] == str(site / "index.html") and sorted(written) == sorted(str(p) for p in site.iterdir())
    document = json.loads((base_package / "data" / "seccoop.json").read_text(encoding="utf-8"))
    pages = {p.name: Links(p.read_text(encoding="utf-8")) for p in site.iterdir()}
    for kind in KINDS:
        records = document[PLURAL[kind]]
        numbers = range(1, (len(records) + 1) // 2 + 1)
        assert {n for n in pages if n.startswith(f"{PLURAL[kind]}-")} == {f"{PLURAL[kind]}-{n}.html" for n in numbers}
        cards = [i for n in numbers for i in pages[f"{PLURAL[kind]}-{n}.html"].ids if i.startswith("record-")]
        assert cards == [f"record-{kind}-{r['id']}" for r in records]  # each once, in order, two a page
        assert all(f"{PLURAL[kind]}-{n}.html" in pages["index.html"].hrefs for n in numbers)
    for name, page in pages.items():
        for href in page.hrefs:
            if href.startswith(("https://", "http://")):  # a publisher's page: navigation, not a page of the site
                continue
            target, _, anchor = href.partition("#")
            target = target or name  # `#timeline`: an anchor in the page itself
            assert target in pages, (name, href)
            assert not anchor or anchor in pages[target].ids, (name, href)
    assert "events-2.html" in pages["events-1.html"].hrefs and "events-1.html" in pages["events-2.html"].hrefs
    # The same site from the document in memory: the same bytes.
    again = tmp_path / "again"
    write_review_site(document, published.texts, again, page_size=2)
    assert sorted(p.name for p in again.iterdir()) == sorted(pages)
    for name in pages:
        assert (again / name).read_bytes() == (site / name).read_bytes(), name


# -- escaping and offsets, in the DOM Chromium builds ---------------------------------------------


@pytest.mark.slow  # the browser
def test_markup_in_a_source_is_shown_as_text(base_package, tmp_path, chromium):
    site = export_site(base_package, tmp_path / "site")
    markup = (site / "source-beta.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;injured&lt;/script&gt;" in markup and "<script>injured" not in markup
    dom = PageParts(dump_dom(chromium, site / "source-beta.html", tmp_path / "profile"))
    assert [attrs.get("type") for attrs, _ in dom.scripts] == ["application/json", None]
    assert not any("injured" in text for _, text in dom.scripts)
    quote = "Over 30 officers were <script>injured</script> in the riots"
    assert dom.span_text["span-event-riot-injuries-1"] == quote


@pytest.mark.slow  # the browser
def test_every_span_highlights_exactly_its_quote_after_an_emoji(base_package, tmp_path, chromium):
    site = export_site(base_package, tmp_path / "site")
    document = json.loads((base_package / "data" / "seccoop.json").read_text(encoding="utf-8"))
    doms = {
        s["id"]: PageParts(dump_dom(chromium, site / f"source-{s['id']}.html", tmp_path / f"profile-{s['id']}"))
        for s in document["sources"]
    }
    spans = list(evidence_spans(document))
    assert any("🚨" in quote for _, _, quote in spans)  # the fixture really has a span with an emoji before it
    for span_id, source, quote in spans:
        assert doms[source].span_text.get(span_id) == quote, span_id


@pytest.mark.slow  # the browser
def test_carriage_returns_and_astral_characters_keep_their_offsets(tmp_path, chromium):
    text = "🚨🚨 first line\r\nsecond 🚨 line\r\n"
    quotes = ["first line\r\nsecond", "🚨 line\r", "line\r\nsecond 🚨"]
    evidence = [{"source": "crlf", "quote": q, "start": text.index(q), "end": text.index(q) + len(q)} for q in quotes]
    source = {"id": "crlf", "title": "CRLF", "published": "2024-01-01", "language": "en", "evidence": evidence}
    write_review_site({"sources": [source]}, {"crlf": text}, tmp_path / "site")
    dom = PageParts(dump_dom(chromium, tmp_path / "site" / "source-crlf.html", tmp_path / "profile"))
    assert [dom.span_text[f"span-source-crlf-{n}"] for n in (1, 2, 3)] == quotes


# -- the page in a real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_and_document(built_base, tmp_path_factory):
    site = export_site(built_base, tmp_path_factory.mktemp("review") / "site")
    return site, json.loads((built_base / "data" / "seccoop.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def page(chromium, tmp_path_factory):
    with browser(chromium, tmp_path_factory.mktemp("chromium")) as devtools:
        yield devtools


SHOWN_CARDS = "Array.from(document.querySelectorAll('#panel .card')).filter(c => c.offsetParent).map(c => c.id)"


@pytest.mark.slow  # the browser
def test_every_record_span_is_highlighted_in_the_browser(page, site_and_document):
    site, document = site_and_document
    for source in document["sources"]:
        page.open((site / f"source-{source['id']}.html").as_uri())
        for span_id, in_source, quote in evidence_spans(document):
            if in_source != source["id"]:
                continue
            shown = page.evaluate(f"""(() => {{
                const parts = Array.from(document.querySelectorAll('[data-spans~="{span_id}"]'));
                return {{text: parts.map(p => p.textContent).join(""),
                         painted: parts.every(p => getComputedStyle(p).backgroundColor !== "rgba(0, 0, 0, 0)"),
                         focusable: parts.every(p => p.tabIndex === 0 || !p.textContent.trim())}};
            }})()""")
            assert shown == {"text": quote, "painted": True, "focusable": True}, span_id


@pytest.mark.slow  # the browser
def test_clicking_nested_words_shows_every_record_they_support(page, site_and_document):
    site, _ = site_and_document
    page.open((site / "source-beta.html").as_uri())
    assert page.evaluate(SHOWN_CARDS) == []
    page.click('[data-spans="span-actor-riot-officers-1 span-event-riot-injuries-1"]')
    assert page.evaluate(SHOWN_CARDS) == ["record-actor-riot-officers", "record-event-riot-injuries"]
    event_card = page.evaluate("document.getElementById('record-event-riot-injuries').innerText")
    for fact in ("violence", "occurred", "on or before 2024-03-05", "officers (victim)", "riot-injuries"):
        assert fact in event_card
    pressed = page.evaluate("Array.from(document.querySelectorAll('[aria-pressed=true]')).map(s => s.textContent)")
    assert "".join(pressed) == "Over 30 officers were <script>injured</script> in the riots"
    assert page.evaluate("document.getElementById('panel-hint').offsetParent === null")
    page.screenshot(ARTIFACTS / "review.png")


@pytest.mark.slow  # the browser
def test_enter_on_a_focused_span_selects_it(page, site_and_document):
    site, _ = site_and_document
    page.open((site / "source-beta.html").as_uri())
    page.evaluate("document.querySelector('[data-spans=\"span-event-freedonia-request-1\"]').focus()")
    page.press_enter()
    assert page.evaluate(SHOWN_CARDS) == ["record-event-freedonia-request"]
    card = page.evaluate("document.getElementById('record-event-freedonia-request').innerText")
    assert "Freedonia (initiator); Ruritania (recipient)" in card


@pytest.mark.slow  # the browser
def test_a_quote_in_a_page_of_records_opens_its_span_in_context(page, site_and_document):
    site, _ = site_and_document
    page.open((site / "relations-1.html").as_uri())
    page.click('#record-relation-vela-official-of-ruritania a[href*="#span-"]')
    target = (site / "source-alpha.html").as_uri() + "#span-relation-vela-official-of-ruritania-1"
    page.wait_for(f"location.href === {json.dumps(target)} && document.readyState === 'complete'")
    assert page.evaluate(SHOWN_CARDS) == ["record-relation-vela-official-of-ruritania"]
    card = page.evaluate("document.getElementById('record-relation-vela-official-of-ruritania').innerText")
    assert "Ana Vela" in card and "Ruritania" in card and "Interior Minister" in card


@pytest.mark.slow  # the browser
def test_a_page_of_records_filters_by_type(page, site_and_document):
    site, document = site_and_document
    page.open((site / "actors-1.html").as_uri())
    shown = "Array.from(document.querySelectorAll('.card')).filter(c => c.offsetParent).map(c => c.id)"
    choose = (
        "(id, value) => { const s = document.getElementById(id); s.value = value; "
        "s.dispatchEvent(new Event('change')); }"
    )
    total = len(document["actors"])
    assert page.evaluate(shown) == [f"record-actor-{a['id']}" for a in document["actors"]]
    page.evaluate(f"({choose})('filter-type', 'state')")
    assert page.evaluate(shown) == ["record-actor-ruritania", "record-actor-freedonia"]
    assert page.evaluate("document.getElementById('shown').textContent") == f"2 of {total} records"
    page.evaluate(f"({choose})('filter-type', '')")
    assert len(page.evaluate(shown)) == total


@pytest.mark.slow  # the browser
def test_the_index_links_every_page_of_every_kind(page, site_and_document):
    site, document = site_and_document
    page.open((site / "index.html").as_uri())
    links = page.evaluate(
        "Array.from(document.querySelectorAll('#records-section a')).map(a => a.getAttribute('href'))"
    )
    assert links == [f"{PLURAL[k]}-1.html" for k in KINDS]
    page.click('a[href="sources-1.html"]')
    page.wait_for("location.href.endsWith('sources-1.html') && document.readyState === 'complete'")
    page.click("#record-source-beta .label a")
    page.wait_for("location.href.endsWith('source-beta.html') && document.readyState === 'complete'")


@pytest.mark.slow  # the browser
def test_the_page_fits_a_phone(page, site_and_document):
    site, _ = site_and_document
    page.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
    try:
        for name in ("source-alpha.html", "index.html", "events-1.html"):
            page.open((site / name).as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        page.open((site / "source-alpha.html").as_uri())
        page.click('[data-spans~="span-event-vela-statement-1"]')
        assert "record-event-vela-statement" in page.evaluate(SHOWN_CARDS)
        page.screenshot(ARTIFACTS / "review-phone.png")
    finally:
        page.send("Emulation.clearDeviceMetricsOverride")


# -- several sources: each source's account of a record, side by side ---------------------------

HOSTILE = '<img src=x onerror="alert(1)">&amp;</td>'

# beta's account of alpha's event: another day (within alpha's range), another participant, and a
# place that is markup. The quote occurs once in beta.
BETA_ACCOUNT = f"""
# beta's account of the statement: a day, another participant, a hostile place.
- id: vela-statement
  status: occurred
  date: {{earliest: "2024-01-29", latest: "2024-01-29", precision: day}}
  place: {json.dumps(HOSTILE)}
  participants:
    - {{actor: ana-vela, role: speaker}}
    - {{actor: freedonia, role: recipient}}
  evidence:
    - source: beta
      quote: Ruritania for police trainers
"""


@pytest.fixture
def two_accounts(base_package, tmp_path):
    """The fixture package with an event attested by two sources that differ on date and participants."""
    events = base_package / "data" / "curated" / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8") + BETA_ACCOUNT, encoding="utf-8")
    result = invoke("build", str(base_package))
    assert result.returncode == 0, result.stderr
    document = json.loads((base_package / "data" / "seccoop.json").read_text(encoding="utf-8"))
    event = next(e for e in document["events"] if e["id"] == "vela-statement")
    assert [a["source"] for a in event["accounts"]] == ["alpha", "beta"] and event["source_count"] == 2
    return export_site(base_package, tmp_path / "site"), document


class Card(HTMLParser):
    """The accounts table of one card: its column sources, and per row the text and classes of each cell."""

    def __init__(self, markup: str, card_id: str):
        super().__init__()
        self.card_id, self.depth, self.in_card = card_id, 0, False
        self.text = ""
        self.columns: list[str] = []
        self.rows: dict[str, list[tuple[str, set[str]]]] = {}
        self._row: list[tuple[str, set[str]]] | None = None
        self._cell: list | None = None
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "article" and attrs.get("id") == self.card_id:
            self.in_card = True
        if not self.in_card:
            return
        if tag == "th" and "data-source" in attrs:
            self.columns.append(attrs["data-source"])
        if tag == "tr":
            self._row = []
        if tag in ("th", "td") and self._row is not None:
            self._cell = ["", set((attrs.get("class") or "").split())]

    def handle_endtag(self, tag):
        if not self.in_card:
            return
        if tag == "article":
            self.in_card = False
        if tag in ("th", "td") and self._cell is not None and self._row is not None:
            self._row.append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        if tag == "tr" and self._row:
            self.rows[self._row[0][0]] = self._row[1:]
            self._row = None

    def handle_data(self, data):
        if self.in_card:
            self.text += data
            if self._cell is not None:
                self._cell[0] += data


def card_markup(page: str, card_id: str) -> str:
    return page.split(f'id="{card_id}"', 1)[1].split("</article>", 1)[0]


def test_a_card_shows_each_sources_account_side_by_side(two_accounts):
    site, document = two_accounts
    for page in ("events-1.html", "source-alpha.html", "source-beta.html"):  # the record is cited in both sources
        markup = (site / page).read_text(encoding="utf-8")
        card = Card(markup, "record-event-vela-statement")
        assert "2 sources" in card.text, page
        assert card.columns == ["alpha", "beta"], page
        date, participants = card.rows["date sources differ"], card.rows["participants sources differ"]
        # merged, alpha, beta: the merged date is the day both allow; alpha's range is marked as not it
        assert [text for text, _ in date] == ["2024-01-29", "≠ 2024-01-26 to 2024-02-01", "2024-01-29"], page
        assert ["differs" in classes for _, classes in date] == [False, True, False], page
        assert "merged" in date[0][1]
        assert [text for text, _ in participants] == [
            "Ana Vela (speaker); Ruritania (initiator); Freedonia (recipient)",
            "≠ Ana Vela (speaker); Ruritania (initiator)",
            "≠ Ana Vela (speaker); Freedonia (recipient)",
        ], page
        # only beta states the place: no disagreement, alpha's cell says so
        assert [text for text, _ in card.rows["place"]] == [HOSTILE, "not stated", HOSTILE], page
        assert "status" not in card.rows and "summary" not in card.rows and "type" not in card.rows, page
        # each column links to its source's page at that source's spans
        assert (
            '<a href="source-alpha.html#span-event-vela-statement-1">Ruritania and Freedonia to share intelligence</a>'
        ) in markup
        assert '<a href="source-beta.html#span-event-vela-statement-2">Freedonia asks for help 🚨</a>' in markup
        # the hostile value is text, everywhere: no markup of it survives
        assert HOSTILE not in markup and "<img" not in markup, page
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;amp;&lt;/td&gt;" in markup, page
    beta = PageParts((site / "source-beta.html").read_text(encoding="utf-8"))
    assert beta.span_text["span-event-vela-statement-2"] == "Ruritania for police trainers"


def test_a_card_with_one_account_stays_as_it_was(two_accounts):
    site, _ = two_accounts
    events = (site / "events-1.html").read_text(encoding="utf-8")
    card = Card(events, "record-event-riot-injuries")
    assert "1 source" in card.text and "1 sources" not in card.text
    assert card.columns == [] and card.rows == {}
    assert 'class="accounts"' not in card_markup(events, "record-event-riot-injuries")
    # two accounts that agree on every field they state still show both columns
    actors = (site / "actors-1.html").read_text(encoding="utf-8")
    freedonia = Card(actors, "record-actor-freedonia")
    assert freedonia.columns == ["alpha", "beta"] and "agree on every field they state" in freedonia.text
    assert "2 sources" in freedonia.text
    sources = (site / "sources-1.html").read_text(encoding="utf-8")
    assert 'class="count"' not in card_markup(sources, "record-source-alpha")  # a source has no source count


@pytest.mark.slow  # the browser
def test_accounts_in_the_browser_escape_and_fit_a_phone(two_accounts, chromium, tmp_path):
    site, _ = two_accounts
    dom = dump_dom(chromium, site / "events-1.html", tmp_path / "profile")
    assert "<img" not in dom
    card = Card(dom, "record-event-vela-statement")
    assert [text for text, _ in card.rows["place"]] == [HOSTILE, "not stated", HOSTILE]
    with browser(chromium, tmp_path / "devtools") as page:
        page.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
        for name in ("events-1.html", "source-alpha.html"):
            page.open((site / name).as_uri())
            assert page.evaluate("document.images.length") == 0, name
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        page.click('[data-spans~="span-event-vela-statement-1"]')
        assert "record-event-vela-statement" in page.evaluate(SHOWN_CARDS)
        shown = page.evaluate("document.querySelector('#record-event-vela-statement .accounts').innerText")
        assert "2024-01-26 to 2024-02-01" in shown and "Freedonia (recipient)" in shown and "≠" in shown
        page.screenshot(ARTIFACTS / "review-accounts-phone.png")


def test_accounts_pages_are_deterministic(two_accounts, tmp_path):
    site, _ = two_accounts
    again = export_site(site.parent / "pkg", tmp_path / "again")
    for path in site.iterdir():
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


# -- many sources: the index tells the story; a withheld source's page; the curators' private view ----

# A made-up text (no source's words), withheld: kept in a texts folder the test writes, never in the
# package. One quote is published (a name); the others are offsets and fingerprints only.
PACT = (
    "date 2024-06-03 Three towns of Veldmark agree to share their patrol boats\n\n"
    "The mayors of three coastal towns of Veldmark signed a pact on Friday to share their patrol boats "
    "along the estuary. Mayor Oren Halvik said the towns would pool their crews from the first of July. "
    "The harbour police of Kessin will train the new crews in night navigation, officials said. "
    "A fourth town, Brisk, may join the pact next spring if its council approves the cost.\n"
)
PACT_URL = "https://example.org/veldmark-patrol-boats"
NAME = "Oren Halvik"  # the one quote published
UNPUBLISHED = ["signed a pact on Friday to share their patrol boats", "the towns would pool their crews"]

PACT_ACTORS = """\
- id: oren-halvik
  name: Oren Halvik
  type: person
  evidence:
    - source: veldmark-pact
      quote: Oren Halvik
- id: kessin-harbour-police
  name: the harbour police of Kessin
  type: organization
  evidence:
    - source: veldmark-pact
      quote: The harbour police of Kessin
"""
PACT_EVENTS = """\
- id: veldmark-patrol-pact
  type: agreement
  status: occurred
  summary: Oren Halvik and two other mayors agreed on a joint use of patrol vessels on the estuary.
  date: {earliest: "2024-05-27", latest: "2024-06-03", precision: range}
  participants:
    - {actor: oren-halvik, role: initiator}
  evidence:
    - source: veldmark-pact
      quote: signed a pact on Friday to share their patrol boats
"""
PACT_COMMITMENTS = """\
- id: veldmark-pool-crews
  action: combine the crew rosters of the towns starting in July
  category: strategic-cooperation
  strength: pledge
  status: announced
  parties:
    - {actor: oren-halvik, role: committer}
    - {actor: kessin-harbour-police, role: partner}
  date: {earliest: null, latest: "2024-06-03", precision: open}
  evidence:
    - source: veldmark-pact
      quote: the towns would pool their crews
"""


def _ok(result) -> None:
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def story(tmp_path_factory) -> dict:
    """A package of many sources: the benchmark generator's (stories told by several sources, with
    accounts that differ and resolutions), plus one withheld source whose text is in a texts folder
    outside the package; built, and exported as the review site."""
    home = tmp_path_factory.mktemp("story")
    pkg, texts = home / "pkg", home / "texts"
    generated = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--events", "80", "--seed", "3", "--out", str(pkg)],
        capture_output=True,
        text=True,
    )
    assert generated.returncode == 0, generated.stderr
    texts.mkdir()
    document = home / "pact.txt"
    document.write_text(PACT, encoding="utf-8")
    _ok(invoke("add-source", str(document), "--package", str(pkg), "--id", "veldmark-pact", "--texts", str(texts),
               "--url", PACT_URL, "--publisher", "Veldmark Courier", "--language", "en"))  # fmt: skip
    curated = pkg / "data" / "curated"
    for kind, text in (("actors", PACT_ACTORS), ("events", PACT_EVENTS), ("commitments", PACT_COMMITMENTS)):
        (curated / kind).mkdir(exist_ok=True)
        (curated / kind / "veldmark-pact.yaml").write_text(text, encoding="utf-8")
    _ok(invoke("locate", "--pin", "--package", str(pkg), "--texts", str(texts)))
    for kind in ("actors", "events", "commitments"):  # every quote but the name: offsets and fingerprint only
        path = curated / kind / "veldmark-pact.yaml"
        kept = [
            line
            for line in path.read_text(encoding="utf-8").splitlines(keepends=True)
            if not (line.strip().startswith("quote:") and line.strip() != f"quote: {NAME}")
        ]
        path.write_text("".join(kept), encoding="utf-8")
    _ok(invoke("build", str(pkg), "--texts", str(texts)))
    site = export_site(pkg, home / "site")
    doc = json.loads((pkg / "data" / "seccoop.json").read_text(encoding="utf-8"))
    assert len(doc["sources"]) >= 8 and any(len(e["accounts"]) > 1 for e in doc["events"])
    return {"pkg": pkg, "texts": texts, "site": site, "document": doc, "home": home}


def _rows(markup: str, table_class: str) -> list[str]:
    """The `data-record` (or `data-source`) of each row of a table of the index, in order."""
    body = markup.split(f'class="story {table_class}"', 1)[1].split("</table>", 1)[0]
    return [part.split('"', 2)[1] for part in body.split("<tr data-")[1:]]


def test_the_index_tells_the_story_in_date_order(story):
    from seccoop.exports.review.story import date_bounds, date_key

    markup = (story["site"] / "index.html").read_text(encoding="utf-8")
    events = {e["id"]: e for e in story["document"]["events"]}
    timeline = _rows(markup, "timeline")
    assert sorted(timeline) == sorted(events)  # every event once (fewer than a page's worth)
    keys = [date_key(events[i]["date"]) for i in timeline]
    assert keys == sorted(keys) and keys[0][0] == 0
    assert (
        '<td class="when">between 2024-05-27 and 2024-06-03</td><td><a href="events-1.html#record-event-'
        'veldmark-patrol-pact">Oren Halvik and two other mayors agreed on a joint use of patrol vessels on the '
        "estuary.</a></td>"
    ) in markup
    assert date_bounds({"earliest": "2024-01-12", "latest": "2024-01-12", "precision": "day"}) == "on 2024-01-12"
    assert date_bounds({"earliest": None, "latest": "2024-01-12", "precision": "open"}) == "on or before 2024-01-12"
    assert date_bounds(None) == "date not stated"
    # who committed what to whom, how strongly
    assert (
        '<tr data-record="veldmark-pool-crews"><td class="when">on or before 2024-06-03</td><td>Oren Halvik</td>'
        '<td><span class="strength">pledge</span></td><td><a href="commitments-1.html#record-commitment-veldmark-'
        'pool-crews">combine the crew rosters of the towns starting in July</a></td><td>the harbour police of '
        "Kessin (partner)</td><td>announced</td></tr>"
    ) in markup
    assert len(_rows(markup, "commitments")) == len(story["document"]["commitments"])


def test_the_index_says_where_the_sources_disagree_and_lists_the_sources(story):
    markup = (story["site"] / "index.html").read_text(encoding="utf-8")
    document = story["document"]
    listed = [part.split('"', 1)[0] for part in markup.split('<article class="disagreement" data-record="')[1:]]
    assert listed, "the generated stories disagree on some fields"
    titles = {s["id"]: s["title"] for s in document["sources"]}
    for kind_id in listed:
        kind, id_ = kind_id.split("/", 1)
        record = next(r for r in document[PLURAL[kind]] if r["id"] == id_)
        assert len(record["accounts"]) > 1
        section = markup.split(f'data-record="{kind_id}">', 1)[1].split("</article>", 1)[0]
        assert f'href="{PLURAL[kind]}-1.html#record-{kind}-{id_}"' in section
        stating = [a["source"] for a in record["accounts"] if f'<a href="source-{a["source"]}.html">' in section]
        assert len(stating) >= 2  # each source's value, by its title: two that differ at least
        assert all(titles[source].replace("'", "&#39;") in section for source in stating)
        silent = len(record["accounts"]) - len(stating)
        assert not silent or f"{silent} other source" in section
    # the sources by publisher, then language: the withheld one says so, with how many records cite it
    rows = _rows(markup, "sources")
    assert sorted(rows) == sorted(titles)
    assert (
        '<tr data-source="veldmark-pact"><td>Veldmark Courier</td><td>en</td><td><a href="source-veldmark-pact.html">'
        'Three towns of Veldmark agree to share their patrol boats</a></td><td class="when">2024-06-03</td>'
        '<td>withheld</td><td class="number">4</td></tr>'
    ) in markup


def test_a_withheld_source_lists_what_each_span_supports_and_links_to_its_words(story):
    page = (story["site"] / "source-veldmark-pact.html").read_text(encoding="utf-8")
    for words in [*UNPUBLISHED, "harbour police of Kessin will", "Brisk"]:
        assert words not in page  # the title is published; the text is not
    assert f"<q>{NAME}</q>" in page
    places = page.split('<ol class="withheld-spans">', 1)[1].split("</ol>", 1)[0].split('<li><span class="anchor"')[1:]
    assert len(places) == 5  # the title, two actors, the event and the commitment
    pact = next(p for p in places if "record-event-veldmark-patrol-pact" in p)
    assert "words not published here (51 characters)" in pact
    assert f'<a href="{PACT_URL}" rel="noopener noreferrer">open the publisher&#39;s page</a>' in pact
    assert (
        '<span class="kind">event</span> <a href="events-1.html#record-event-veldmark-patrol-pact">Oren '
        "Halvik and two other mayors agreed on a joint use of patrol vessels on the estuary.</a>"
    ) in pact
    assert "[words withheld" not in page and "sha256 " not in page


def test_a_spans_own_link_opens_its_words_where_the_document_gives_one(tmp_path):
    """The published document's `link` and `fragment` of a span (a W3C text fragment), where it has
    them; else the source's url."""
    fragment = ":~:text=share%20their%20patrol%20boats"
    evidence = [
        {"source": "w", "quote": None, "start": 0, "end": 9, "sha256": "0" * 64},
        {"source": "w", "quote": "Harbour", "start": 20, "end": 27, "sha256": "1" * 64,
         "fragment": fragment, "link": f"{PACT_URL}#{fragment}"},
        {"source": "w", "quote": None, "start": 30, "end": 40, "sha256": "2" * 64, "fragment": None, "link": None},
    ]  # fmt: skip
    source = {"id": "w", "title": "W", "published": "2024-01-01", "language": "en", "text": "withheld"}
    site = tmp_path / "site"
    write_review_site({"sources": [{**source, "url": PACT_URL, "evidence": evidence}]}, {}, site)
    page = (site / "source-w.html").read_text(encoding="utf-8")
    assert f'<a href="{PACT_URL}#{fragment}" rel="noopener noreferrer">open at its words on the publisher' in page
    assert page.count(f'<a href="{PACT_URL}" rel="noopener noreferrer">open the publisher&#39;s page</a>') == 2
    # a url that is no web address is never a link
    write_review_site({"sources": [{**source, "url": "javascript:alert(1)", "evidence": evidence[:1]}]}, {}, site)
    assert 'href="javascript:' not in (site / "source-w.html").read_text(encoding="utf-8")


# -- the curators' private view -----------------------------------------------------------------


def _export_private(story: dict, out: Path, *extra: str):
    return invoke("export", str(story["pkg"]), "--format", "html", "--private", "--texts", str(story["texts"]),
                  "--out", str(out), *extra)  # fmt: skip


def test_the_private_view_shows_withheld_texts_highlighted_and_says_not_for_publication(story, tmp_path):
    out = tmp_path / "private"
    _ok(_export_private(story, out))
    for page in out.iterdir():
        markup = page.read_text(encoding="utf-8")
        assert "Private: contains withheld texts — not for publication" in markup, page.name
        assert '<meta name="robots" content="noindex">' in markup, page.name
    parts = PageParts((out / "source-veldmark-pact.html").read_text(encoding="utf-8"))
    for kind in KINDS:
        for record in story["document"][PLURAL[kind]]:
            for n, span in enumerate(record["evidence"], start=1):
                if span["source"] == "veldmark-pact":
                    assert parts.span_text[f"span-{kind}-{record['id']}-{n}"] == PACT[span["start"] : span["end"]]
    assert all(words in parts.span_text.values() for words in UNPUBLISHED)
    public = (story["site"] / "index.html").read_text(encoding="utf-8")
    assert "not for publication" not in public and "noindex" not in public


def test_the_private_view_is_refused_where_it_could_be_shipped(story, tmp_path):
    def refused(result, why: str, out: Path) -> None:
        assert result.returncode == 2, result.stdout + result.stderr
        assert why in result.stderr and "Traceback" not in result.stderr
        assert not out.exists()

    out = tmp_path / "private"
    empty = tmp_path / "no-texts"
    empty.mkdir()
    result = invoke("export", str(story["pkg"]), "--format", "html", "--private", "--texts", str(empty),
                    "--out", str(out))  # fmt: skip
    refused(result, "1 of them are not in the texts folder", out)
    inside = story["pkg"] / "review-private"
    refused(_export_private(story, inside), "lies inside", inside)
    refused(_export_private(story, story["pkg"] / "data" / "review"), "inside", story["pkg"] / "data" / "review")
    archive = tmp_path / "release.zip"
    result = invoke("export", str(story["pkg"]), "--format", "zip", "--private", "--texts", str(story["texts"]),
                    "--out", str(archive))  # fmt: skip
    refused(result, "never zip: withheld texts must never enter a release archive", archive)
    result = invoke("export", str(story["pkg"]), "--format", "html", "--texts", str(story["texts"]), "--out", str(out))
    refused(result, "--texts applies to --private only", out)


def test_a_private_view_copied_into_the_package_is_caught_by_the_leak_search(story, tmp_path):
    out = tmp_path / "private"
    _ok(_export_private(story, out))
    pkg = tmp_path / "pkg"
    shutil.copytree(story["pkg"], pkg)
    shutil.copytree(out, pkg / "review-private")
    result = invoke("leaks", "--package", str(pkg), "--texts", str(story["texts"]), "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    found = {p["file"] for p in json.loads(result.stdout)["errors"] if p["code"] == "text-leak"}
    assert "review-private/source-veldmark-pact.html" in found
    assert all(name.startswith("review-private/") for name in found)
    checked = invoke("check", str(pkg), "--texts", str(story["texts"]), "--format", "json")
    assert checked.returncode == 1
    assert any(p["code"] == "text-leak" for p in json.loads(checked.stdout)["errors"])


# -- in the browser: the story, a withheld source, and axe-core's accessibility rules -----------

# axe-core, as the axe-core-python package ships it (the test extra): run in the page itself.
AXE = Path(importlib.util.find_spec("axe_core_python").origin).parent / "axe.min.js"
AXE_RUN = """axe.run(document, {resultTypes: ["violations"]}).then((result) => result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" "))})))"""


def axe_violations(page: DevTools, url: str) -> list[dict]:
    page.open(url)
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;true")
    return page.evaluate(AXE_RUN)


@pytest.mark.slow  # the browser
def test_the_story_and_a_withheld_source_in_the_browser(page, story):
    site = story["site"]
    page.open((site / "index.html").as_uri())
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('table.timeline tbody tr')).map(r => r.querySelector('.when').innerText)"
    )
    assert len(rows) == len(story["document"]["events"]) and "between 2024-05-27 and 2024-06-03" in rows
    shown = page.evaluate("document.getElementById('story-commitments').parentElement.innerText")
    assert "Oren Halvik" in shown and "pledge" in shown and "the harbour police of Kessin (partner)" in shown
    assert page.evaluate("document.querySelectorAll('article.disagreement').length") > 0
    assert "Veldmark Courier" in page.evaluate("document.querySelector('table.sources').innerText")
    page.click('tr[data-record="veldmark-pool-crews"] a')
    page.wait_for("location.hash === '#record-commitment-veldmark-pool-crews' && document.readyState === 'complete'")
    page.open((site / "source-veldmark-pact.html").as_uri())
    page.click('[data-spans~="span-event-veldmark-patrol-pact-1"]')
    assert page.evaluate(SHOWN_CARDS) == ["record-event-veldmark-patrol-pact"]
    page.screenshot(ARTIFACTS / "review-withheld.png")


@pytest.mark.slow  # the browser
def test_the_review_site_has_no_serious_accessibility_violation(page, story, tmp_path):
    private = tmp_path / "private"
    _ok(_export_private(story, private))
    included = next(s["id"] for s in story["document"]["sources"] if s["text"] == "included")
    pages = [
        story["site"] / "index.html",
        story["site"] / "source-veldmark-pact.html",
        story["site"] / f"source-{included}.html",
        story["site"] / "events-1.html",
        story["site"] / "commitments-1.html",
        private / "index.html",
        private / "source-veldmark-pact.html",
    ]
    for path in pages:
        violations = axe_violations(page, path.as_uri())
        serious = [v for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], (path.name, serious)


def test_a_segment_of_white_space_is_shaded_but_no_button(tmp_path):
    """A control must have a name (axe's aria-command-name): white space between two spans is no stop."""
    text = "alpha beta"
    evidence = [
        {"source": "ws", "quote": "alpha ", "start": 0, "end": 6},
        {"source": "ws", "quote": " beta", "start": 5, "end": 10},
    ]
    source = {"id": "ws", "title": "WS", "published": "2024-01-01", "language": "en", "evidence": evidence}
    write_review_site({"sources": [source]}, {"ws": text}, tmp_path / "site")
    page = (tmp_path / "site" / "source-ws.html").read_text(encoding="utf-8")
    assert '<mark class="seg" data-depth="2" data-spans="span-source-ws-1 span-source-ws-2"> </mark>' in page
    assert page.count('role="button"') == 2
