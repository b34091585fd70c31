"""Where a package lives: finding it from a path, and the fixed layout inside it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seccoop.safety import paths

KINDS = ("source", "actor", "relation", "event", "commitment")
PLURAL = {
    "source": "sources",
    "actor": "actors",
    "relation": "relations",
    "event": "events",
    "commitment": "commitments",
}
DESCRIPTOR = "datapackage.json"
DOCUMENT = "data/seccoop.json"


class NoPackage(Exception):
    """The given path holds no package (exit 2)."""


@dataclass(frozen=True)
class Package:
    """A seccoop package folder: datapackage.json, seeds/, schema/, data/ and data/curated/."""

    root: Path
    # Where withheld texts are looked for (None: SECCOOP_TEXTS, else texts/; seccoop.model.rights), and
    # whether a missing one is an error (`--require-texts`) rather than a span left unverified.
    texts: Path | None = None
    require_texts: bool = False
    # A portable baseline's folder, named by the user (`seccoop check --baseline DIR`, or
    # `--save-baseline DIR` with `save_baseline`; docs/cache.md, "A portable baseline"): the check
    # cache is that folder, on under CI=true too, and every input is compared by its content
    baseline: Path | None = None
    save_baseline: bool = False

    @property
    def descriptor(self) -> Path:
        return self.root / DESCRIPTOR

    @property
    def curated(self) -> Path:
        return self.root / "data" / "curated"

    @property
    def schema(self) -> Path:
        return self.root / "schema"

    @property
    def seeds(self) -> Path:
        return self.root / "seeds"

    def rel(self, path: Path) -> str:
        """The path as a person sees it from the package root, with forward slashes."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def curated_files(self, kind: str) -> list[Path]:
        """`<kinds>.yaml` first, then every `<kinds>/**/*.yaml` in path order (deterministic).
        The folder is walked without following links: a link found there (or the folder itself,
        if it is one) is listed, so that loading it reports it, unread."""
        plural = PLURAL[kind]
        files = [self.curated / f"{plural}.yaml"]
        folder = self.curated / plural
        try:
            files += [p for p, is_link in paths.walk(folder, self.root) if is_link or p.suffix in (".yaml", ".yml")]
        except paths.Refused as exc:
            if exc.link == folder:
                files.append(folder)
            # a link further up (data/curated) is reported with `<kinds>.yaml`, which lies beyond it too
        return files


def _is_unbuilt(folder: Path) -> bool:
    """A package before its first build: curated data and schemas, no datapackage.json yet."""
    return (folder / "data" / "curated").is_dir() and (folder / "schema").is_dir()


# The folder of the seccoop package itself (this module sits in its model/ subpackage): the wheel
# bundles the published package beside the code there (setup.py), and the cache hashes all of it.
CODE_FOLDER = Path(__file__).resolve().parents[1]


def bundled_root() -> Path | None:
    """The package shipped inside the installed wheel, or the checkout an editable install runs from."""
    for candidate in (CODE_FOLDER / "_package", CODE_FOLDER.parent.parent):
        if (candidate / DESCRIPTOR).is_file() and (candidate / "data" / "curated").is_dir():
            return candidate
    return None


def is_installed_copy(package: Package) -> bool:
    """True for the package bundled inside an installed seccoop (never written to)."""
    return package.root.name == "_package" and package.root.parent == CODE_FOLDER


def find_package(path: str | Path | None = None, *, allow_bundled: bool = True) -> Package:
    """The package at `path` (a folder or its datapackage.json), or the nearest one at or above the
    current folder; failing that, and where allowed, the package bundled with seccoop."""
    if path is not None:
        p = Path(path)
        if p.name == DESCRIPTOR and p.is_file():
            return Package(p.resolve().parent)
        if p.is_dir() and ((p / DESCRIPTOR).is_file() or _is_unbuilt(p)):
            return Package(p.resolve())
        raise NoPackage(f"{path}: no {DESCRIPTOR} here")
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / DESCRIPTOR).is_file() or _is_unbuilt(folder):
            return Package(folder)
    if allow_bundled:
        bundled = bundled_root()
        if bundled is not None:
            return Package(bundled)
    raise NoPackage(f"no {DESCRIPTOR} in {cwd} or any folder above it")


def kind_of(rel: str) -> str | None:
    """The kind of record a curated file holds, by its place (`<kinds>.yaml`, `<kinds>/...`)."""
    inner = rel.removeprefix("data/curated/")
    head = inner.split("/", 1)[0]
    for kind in KINDS:
        if head in (PLURAL[kind], f"{PLURAL[kind]}.yaml"):
            return kind
    return None
