"""The one guarded HTTP client: what `seccoop texts fetch` may request, and how (docs/safety.md,
"Network").

Addresses come from curated files a stranger may have written, so a request is made only where
every rule holds: http or https, no credentials, every address the host resolves to globally
routable (no loopback, private, link-local, shared, multicast or reserved address), the connection
made to the address that was checked (no second lookup: no DNS rebinding), redirects followed by
hand and checked again, the body and the time bounded, and only a page (HTML or plain text) read.
Nothing else in seccoop opens a connection, and nothing that `check` or `build` runs imports this.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urljoin, urlsplit, urlunsplit

MiB = 1024 * 1024
MAX_BYTES = 8 * MiB
TIMEOUT = 30.0  # seconds: the total deadline of one page, its redirects included
MAX_REDIRECTS = 5
PAGE_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
_CHUNK = 64 * 1024
_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """A request the rules do not allow: nothing was sent to the address refused."""


class Failed(Exception):
    """A request made that did not give a page: a status, a time-out, a closed connection, a name
    that does not resolve. `status` is the HTTP status where one was received."""

    def __init__(self, reason: str, status: int | None = None):
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Policy:
    """The limits of one fetch. `allow_loopback` admits 127.0.0.0/8 and ::1 (never a private or
    link-local address): for the tests' local server only. No option, variable or file sets it;
    the command always uses DEFAULT (docs/safety.md says why)."""

    max_bytes: int = MAX_BYTES
    timeout: float = TIMEOUT
    max_redirects: int = MAX_REDIRECTS
    allow_loopback: bool = False
    user_agent: str = field(default_factory=lambda: f"seccoop/{_version()} (+https://github.com/seccoop/seccoop)")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("seccoop")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Page:
    """What a URL gave: the URL it came from after redirects, its body, its media type and charset."""

    url: str
    body: bytes
    media_type: str
    charset: str | None


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a URL seccoop may request, or Refused: http or https, a host, no
    user name or password."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused(f"only http and https are fetched, not `{scheme or 'a URL without a scheme'}:`")
    if parts.username is not None or parts.password is not None:
        raise Refused("a URL holding a user name or password is not fetched: no credentials are sent")
    host = parts.hostname
    if not host:
        raise Refused("the URL names no host")
    return scheme, host, port or (443 if scheme == "https" else 80)


def refusal(address: Address, policy: Policy) -> str | None:
    """Why an address may not be connected to, or None where it may."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return refusal(embedded, policy)
        if address not in _GLOBAL_UNICAST and not (address.is_loopback and policy.allow_loopback):
            # IPv4-compatible and -translated forms, local NAT64, site-local: outside 2000::/3,
            # and taken as global by some versions of Python's ipaddress
            return "an IPv6 address outside global unicast (2000::/3)"
    if address.is_loopback:
        return None if policy.allow_loopback else "a loopback address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address (the cloud metadata service answers there)"
    if address.is_private and not address.is_global:
        return "a private address"
    if not address.is_global:
        return "an address that is not globally routable (shared, reserved or documentation)"
    return None


def resolve(host: str, port: int, policy: Policy, deadline: float) -> list[Address]:
    """Every address `host` resolves to, each checked: Refused where any is refused (a name with one
    private address among public ones is refused whole)."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        found: list[Address] = [literal]
    else:
        found = _lookup(host, port, deadline)
    for address in found:
        why = refusal(address, policy)
        if why is not None:
            named = f"{host} is" if literal is not None else f"{host} resolves to {address},"
            raise Refused(f"{named} {why}: not fetched")
    return found


def _lookup(host: str, port: int, deadline: float) -> list[Address]:
    """The name's addresses, asked once, within the deadline (getaddrinfo has no timeout of its
    own: it runs in a thread that is left behind, never waited for, where it hangs)."""
    answer: dict = {}

    def ask() -> None:
        try:
            answer["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            answer["error"] = exc

    asker = threading.Thread(target=ask, daemon=True)
    asker.start()
    asker.join(max(0.0, deadline - time.monotonic()))
    if asker.is_alive():
        raise Failed(f"the name {host} did not resolve in time")
    if "error" in answer:
        raise Failed(f"the name {host} does not resolve ({answer['error']})")
    addresses: list[Address] = []
    for info in answer["infos"]:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Failed(f"the name {host} resolves to no address")
    return addresses


class _Pinned(http.client.HTTPConnection):
    """A connection to the address that was checked, under the host's name (the Host header; for
    https the TLS server name and the certificate's check too): http.client opens its socket
    through `_create_connection`, which goes to that address, never to a second lookup."""

    def __init__(self, address: Address, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = str(address)
        self._create_connection = self._to_address  # http.client's own hook, set in its __init__

    def _to_address(self, where, timeout=None, source_address=None):
        return socket.create_connection((self.address, where[1]), timeout, source_address)

    def connect(self):
        super().connect()
        # kept for the watchdog: http.client drops `sock` once a `Connection: close` answer's
        # headers are read, while the body is still read from the same socket
        self.live = self.sock


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    pass


def _connection(scheme: str, host: str, port: int, address: Address, timeout: float) -> _Pinned:
    if scheme == "https":
        return _PinnedHTTPS(address, host, port, timeout=timeout, context=ssl.create_default_context())
    return _Pinned(address, host, port, timeout=timeout)


def fetch(url: str, policy: Policy) -> Page:
    """The page at `url`, following at most `policy.max_redirects` redirects, each checked as the
    first: Refused where a rule forbids a request (nothing is sent to that address), Failed where
    a request did not give a page."""
    deadline = time.monotonic() + policy.timeout
    current = url
    for hop in range(policy.max_redirects + 1):
        try:
            scheme, host, port = check_url(current)
            addresses = resolve(host, port, policy, deadline)
        except Refused as exc:
            if hop == 0:
                raise
            raise Refused(f"redirected to {current}: {exc}") from None
        answer = _request(scheme, host, port, addresses, _target(current), policy, deadline)
        if isinstance(answer, Page):
            return Page(current, answer.body, answer.media_type, answer.charset)
        try:
            current = urljoin(current, answer)
        except ValueError as exc:  # a Location no URL parser takes (`http://[::1/`)
            raise Failed(f"redirected to an address that is no URL ({exc})") from None
    raise Failed(f"more than {policy.max_redirects} redirects")


def _target(url: str) -> str:
    """The request target, percent-encoded: a path or query with other than ASCII (from a source's
    url or a redirect) is sent as a browser sends it; escapes already there are kept."""
    parts = urlsplit(url)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~-._")
    return urlunsplit(("", "", path, quote(parts.query, safe="=&%+/?:@!$'()*,;~-._"), ""))


def _request(scheme, host, port, addresses, target, policy: Policy, deadline: float) -> Page | str:
    """One request to the first of `addresses` that answers: the page, or where it redirects."""
    last: Exception | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        conn = _connection(scheme, host, port, address, remaining)
        watchdog = threading.Timer(remaining, _abort, (conn,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return _exchange(conn, target, policy, deadline)
        except (ValueError, UnicodeError) as exc:  # a header or answer http.client cannot take
            raise Failed(f"the answer could not be read ({exc})") from None
        except (OSError, http.client.HTTPException) as exc:
            if time.monotonic() >= deadline:
                raise Failed(f"no answer within {policy.timeout:g} s") from None
            last = exc
        finally:
            watchdog.cancel()
            conn.close()
    if last is None:
        raise Failed(f"no answer within {policy.timeout:g} s")
    raise Failed(f"the connection failed ({_reason(last)})")


def _reason(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLError):
        return f"TLS: {exc.reason or exc}"
    return str(exc) or type(exc).__name__


def _abort(conn: http.client.HTTPConnection) -> None:
    """At the deadline: the socket is shut, so whatever waits on it returns at once."""
    sock = getattr(conn, "live", None) or conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _exchange(conn: http.client.HTTPConnection, target: str, policy: Policy, deadline: float) -> Page | str:
    conn.putrequest("GET", target, skip_accept_encoding=True)
    for name, value in (
        ("User-Agent", policy.user_agent),
        ("Accept", "text/html, application/xhtml+xml, text/plain;q=0.9"),
        ("Accept-Encoding", "identity"),  # nothing compressed: a small answer cannot inflate
        ("Connection", "close"),
    ):
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    if response.status in _REDIRECTS:
        location = response.getheader("Location")
        if not location:
            raise Failed(f"HTTP {response.status} without a Location to go to", response.status)
        return location
    if response.status != 200:
        raise Failed(f"HTTP {response.status} {response.reason}".rstrip(), response.status)
    media_type, charset = _content_type(response.getheader("Content-Type") or "")
    if media_type not in PAGE_TYPES:
        raise Refused(f"the page is `{media_type or 'of no stated type'}`, not HTML or plain text: not read")
    length = response.getheader("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > policy.max_bytes:
        raise Refused(f"the page is {int(length)} bytes, over the limit of {policy.max_bytes}: not read")
    return Page("", _body(response, policy, deadline), media_type, charset)


def _body(response: http.client.HTTPResponse, policy: Policy, deadline: float) -> bytes:
    chunks, size = [], 0
    while True:
        if time.monotonic() >= deadline:
            raise Failed(f"the page did not arrive within {policy.timeout:g} s")
        chunk = response.read1(_CHUNK)
        if not chunk:
            if time.monotonic() >= deadline:  # the watchdog shut the socket: a cut page, not its end
                raise Failed(f"the page did not arrive within {policy.timeout:g} s")
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_bytes:
            raise Refused(f"the page is over the limit of {policy.max_bytes} bytes: reading stopped")
        chunks.append(chunk)


def _content_type(value: str) -> tuple[str, str | None]:
    media_type, _, rest = value.partition(";")
    charset = None
    for parameter in rest.split(";"):
        name, _, given = parameter.strip().partition("=")
        if name.strip().lower() == "charset" and given.strip():
            charset = given.strip().strip('"').lower()
    return media_type.strip().lower(), charset


DEFAULT = Policy()
