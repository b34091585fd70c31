"""The published package as the reading gate admits it (docs/safety.md, "Frictionless reads
through the gate"): the descriptor read through the gate and shape-checked, each file it names
checked by the gate, and a Frictionless loader that opens files only through the gate.

Frictionless, left to itself, opens whatever a descriptor names: a link committed in a pull
request (to /proc/self/environ, a secret file, /dev/zero), a FIFO, a remote URL, a schema or
profile in another file, a compressed file. Here it is handed the descriptor as a value seccoop
has read and checked, with only the files the gate has seen, and every byte it reads comes
through `seccoop.safety.paths`."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seccoop.safety import paths
from seccoop.safety.untrusted import BadJSON, load_json

# The only profile seccoop writes (render.PROFILE); Frictionless knows it without a network.
PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
# An included source's text is a resource too (its licence named on it), checked by its bytes and hash.
FORMATS = {"table": "csv", "json": "json", "text": "txt"}
# Keys by which Frictionless would read something other than the resource's own file (another
# file, a URL, an archive member) or decompress it: seccoop's descriptor never holds them.
_FORBIDDEN = ("profile", "$schema", "scheme", "compression", "innerpath", "extrapaths", "control")


@dataclass
class GatedPackage:
    """A descriptor fit to hand to Frictionless, the problems found on the way, and which
    resources were left out because the gate refused their file."""

    descriptor: dict | None
    problems: list = field(default_factory=list)
    refused: set[str] = field(default_factory=set)


def read_descriptor(root: Path, descriptor: str = "datapackage.json") -> Any:
    """The descriptor's JSON value, read through the gate. Raises `paths.Refused` or `BadJSON`."""
    return load_json(paths.read_file(root / descriptor, root, paths.DOCUMENT_LIMIT))


def gate_package(root: Path, descriptor_name: str = "datapackage.json") -> GatedPackage:
    """Read and check the descriptor at `root` and every file it names; return what Frictionless
    may be given. A resource whose file the gate refuses is reported once (with the gate's code)
    and left out, with the foreign keys that point at it, so the rest is still validated."""
    from seccoop.model.report import Problem

    def problem(code: str, message: str, file: str = descriptor_name) -> Problem:
        return Problem(code, message, file=file)

    try:
        doc = read_descriptor(root, descriptor_name)
    except paths.Refused as exc:
        return GatedPackage(None, [problem(exc.code, exc.reason)])
    except BadJSON as exc:
        return GatedPackage(None, [problem("package-descriptor", f"not readable as JSON: {exc.reason}")])
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        return GatedPackage(None, [problem("package-descriptor", "has no list of resources")])
    problems = []
    if doc.get("$schema", PROFILE) != PROFILE or "profile" in doc:
        problems.append(
            problem(
                "package-descriptor", f"names a profile other than {PROFILE}; seccoop reads no profile from elsewhere"
            )
        )
    refused: set[str] = set()
    kept = []
    for n, resource in enumerate(doc["resources"]):
        fault = _resource_fault(resource)
        if fault is not None:
            name = resource.get("name") if isinstance(resource, dict) else None
            problems.append(problem("package-descriptor", f"resource {name or n + 1}: {fault}"))
            if isinstance(name, str):
                refused.add(name)
            continue
        if resource.get("type") == "text":
            # An included source's text: `check` holds it to its source's sha256 and length itself
            # (source-checksum, source-missing), and the resource to a fresh build (package-stale);
            # Frictionless would say each fault of a seed a second time. A downloader's
            # `frictionless validate` checks its size and hash.
            continue
        try:
            paths.check_file(root / resource["path"], root, paths.TABLE_LIMIT)
        except paths.Refused as exc:
            if exc.code == "file-missing":  # as Frictionless said it: a file `build` writes again
                problems.append(
                    problem("package-frictionless", "scheme-error: the file is missing", file=resource["path"])
                )
            else:
                problems.append(problem(exc.code, exc.reason, file=resource["path"]))
            refused.add(resource.get("name") if isinstance(resource.get("name"), str) else resource["path"])
            continue
        kept.append(resource)
    if any(p.code == "package-descriptor" for p in problems) and not kept:
        return GatedPackage(None, problems, refused)
    out = {k: v for k, v in doc.items() if k not in ("$schema", "profile")}
    out["resources"] = [_without_keys_to(resource, refused) for resource in kept]
    return GatedPackage(out, problems, refused)


def _resource_fault(resource: Any) -> str | None:
    """Why a resource cannot be handed to Frictionless as seccoop's own (None: it can)."""
    if not isinstance(resource, dict):
        return "is not an object"
    path = resource.get("path")
    if not isinstance(path, str) or not path:
        return "has no `path` naming one file of the package"
    if (
        "\\" in path
        or ":" in path
        or path.startswith("/")
        or posixpath.normpath(path) != path
        or path.startswith("..")
        or "\0" in path
    ):
        return f"`path` {path!r} is not a relative path inside the package"
    for key in _FORBIDDEN:
        if key in resource:
            return f"has `{key}`: seccoop's resources read nothing but their own file"
    kind = resource.get("type", "table")
    if kind not in FORMATS or resource.get("format", FORMATS[kind]) != FORMATS[kind]:
        return "is neither a CSV table nor a JSON document"
    if resource.get("encoding", "utf-8") != "utf-8":
        return "is not UTF-8"
    for key in ("schema", "dialect"):
        if key in resource and not isinstance(resource[key], dict):
            return f"has a `{key}` that is not written inline (seccoop reads no other file for it)"
    return None


def _without_keys_to(resource: dict, refused: set[str]) -> dict:
    """The resource without foreign keys to resources that were left out: their file was refused
    and reported once; a foreign key to it would only repeat that."""
    schema = resource.get("schema")
    if not refused or not isinstance(schema, dict) or not isinstance(schema.get("foreignKeys"), list):
        return resource
    keys = [
        fk
        for fk in schema["foreignKeys"]
        if not (
            isinstance(fk, dict)
            and isinstance(fk.get("reference"), dict)
            and fk["reference"].get("resource") in refused
        )
    ]
    return {**resource, "schema": {**schema, "foreignKeys": keys}}


def gated_loader_plugin(root: Path):
    """A Frictionless plugin whose loader opens every local file through the gate, rooted at the
    package: registered first, it is asked before Frictionless's own local loader."""
    import io

    from frictionless import FrictionlessException, Loader, Plugin, errors

    class GatedLoader(Loader):
        def read_byte_stream_create(self):
            path = Path(self.resource.normpath or "")
            try:
                raw = paths.open_file(path, root, paths.TABLE_LIMIT)
            except paths.Refused as exc:
                raise FrictionlessException(errors.SchemeError(note=f"{exc.reason}")) from None
            return io.BufferedReader(raw, 1 << 20)

        def write_byte_stream(self, path: str):
            raise FrictionlessException(errors.SchemeError(note="seccoop's validation writes nothing"))

    class GatedPlugin(Plugin):
        def create_loader(self, resource):
            if resource.scheme == "file":
                return GatedLoader(resource)
            return None

    return GatedPlugin()
