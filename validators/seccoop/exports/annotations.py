"""`seccoop export --format annotations`: every evidence span as a W3C Web Annotation (JSON-LD),
which annotation tools such as Hypothesis can anchor on the publisher's page (docs/links.md).

One annotation a span, targeting its source's page: a TextPositionSelector with its offsets and
both fingerprints (the exact words' and the folded words'), a TextQuoteSelector only where the
words are published, and a FragmentSelector with its text fragment where it has one. Its bodies
are the records the span supports, in the dataset's own words (an event's summary, a
commitment's action, an actor's name). Nothing of a withheld text is in it that the package does
not publish already.
"""

from __future__ import annotations

import json

from seccoop.exports.published import Published
from seccoop.exports.request import Request, emit
from seccoop.model.package import KINDS, PLURAL
from seccoop.safety.write import Output

CONTEXT = [
    "http://www.w3.org/ns/anno.jsonld",
    {
        "seccoop": "urn:seccoop:terms:",
        "sha256": "seccoop:sha256",
        "folded_sha256": "seccoop:folded_sha256",
        "folded_length": "seccoop:folded_length",
        "text_sha256": "seccoop:text_sha256",
        "record": "seccoop:record",
        "kind": "seccoop:kind",
    },
]
TEXT_FRAGMENTS = "https://wicg.github.io/scroll-to-text-fragment/"
# What a record of each kind is called by, in the dataset's own words.
ENGLISH = ("event", "commitment")  # a summary and an action are the dataset's words, in English
_LABEL = {"source": "title", "actor": "name", "relation": "role", "event": "summary", "commitment": "action"}


def export_annotations(published: Published, request: Request) -> list[str]:
    """The annotation collection into --out or standard output."""

    def write(output: Output) -> None:
        output.write(render(published))

    return emit({request.destination: write}, request.stdout)


def render(published: Published) -> bytes:
    """The collection, spans by source and offsets: the same package, the same bytes."""
    spans, sources, supports = _collect(published)
    items = [
        _annotation(span, sources[span["source"]], supports[span["id"]])
        for span in sorted(spans.values(), key=lambda s: (s["source"], s["start"], s["end"]))
    ]
    collection = {
        "@context": CONTEXT,
        "id": "urn:seccoop:annotations",
        "type": "AnnotationCollection",
        "label": "seccoop: the evidence spans of every record, on their sources' pages",
        "total": len(items),
        "first": {"type": "AnnotationPage", "startIndex": 0, "items": items},
    }
    return (json.dumps(collection, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _collect(published: Published):
    spans: dict[str, dict] = {}
    sources: dict[str, dict] = {}
    supports: dict[str, list[dict]] = {}
    singular = {plural: kind for kind, plural in PLURAL.items()}
    for plural, record in published.records([PLURAL[k] for k in KINDS]):
        kind = singular[plural]
        if kind == "source":
            sources[record["id"]] = record
        for span in record["evidence"]:
            spans.setdefault(span["id"], span)
            label = record.get(_LABEL[kind]) or record["id"]
            supports.setdefault(span["id"], []).append({"kind": kind, "record": record["id"], "value": label})
    return spans, sources, supports


def _body(supported: dict) -> dict:
    body = {"type": "TextualBody", "purpose": "describing", "format": "text/plain"}
    if supported["kind"] in ENGLISH:  # a title, name or role is in its source's words
        body["language"] = "en"
    body.update(
        kind=supported["kind"],
        record=supported["record"],
        value=f"{supported['kind']} {supported['record']}: {supported['value']}",
    )
    return body


def _annotation(span: dict, source: dict, supports: list[dict]) -> dict:
    position = {
        "type": "TextPositionSelector",
        "start": span["start"],
        "end": span["end"],
        "sha256": span["sha256"],
    }
    if span.get("folded_sha256"):
        position["folded_sha256"] = span["folded_sha256"]
    selectors: list[dict] = [position]
    if span["quote"] is not None:
        selectors.append({"type": "TextQuoteSelector", "exact": span["quote"]})
    if span.get("fragment"):
        selectors.append(
            {"type": "FragmentSelector", "conformsTo": TEXT_FRAGMENTS, "value": span["fragment"].removeprefix(":~:")}
        )
    page = source["url"] if source["url"].startswith(("https://", "http://")) else None
    target: dict = {"source": page or f"urn:seccoop:source:{source['id']}"}
    target["text_sha256"] = source["sha256"]
    target["selector"] = selectors
    return {
        "id": f"urn:seccoop:span:{span['id']}",
        "type": "Annotation",
        "motivation": "describing",
        "body": [_body(s) for s in supports],
        "target": target,
    }
