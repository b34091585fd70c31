"""Whether the derived files on disk are those a fresh build would write, and whether a build was
interrupted."""

from __future__ import annotations

from seccoop.model.package import Package
from seccoop.model.report import Problem
from seccoop.safety import paths


def interrupted_builds(package: Package) -> list[Problem]:
    """A problem for each journal of an unfinished commit where `build` writes. Only reported:
    `build` finishes or discards it (check never writes)."""
    from seccoop.safety.write import unfinished_journals

    return [
        Problem(
            "package-interrupted",
            "a build was interrupted while renaming its files "
            "(or this journal was not written by seccoop on this machine)",
            file=package.rel(journal),
        )
        for folder in (package.root, package.root / "data")
        for journal in unfinished_journals(folder)
    ]


def stale_files(package: Package, outputs) -> list[Problem]:
    """At most one problem: the derived files on disk that differ from a fresh build (missing,
    unreadable or other bytes), and the CSVs in data/ that build does not write. Said once, with
    the command that fixes it, since one edit of curated data stales many files at once."""
    behind: dict[str, list[str]] = {"differ": [], "missing": [], "unreadable": []}
    for rel, output in outputs.items():
        try:  # through the gate: a link, FIFO or device in a derived file's place is never read
            digest = paths.digest(package.root / rel, package.root, max(paths.TABLE_LIMIT, output.size))
        except paths.Refused as exc:
            behind["missing" if exc.code == "file-missing" else "unreadable"].append(rel)
            continue
        if digest != (output.size, output.sha256):
            behind["differ"].append(rel)
    data_dir = package.root / "data"
    extra = (
        [package.rel(p) for p in sorted(data_dir.glob("*.csv")) if package.rel(p) not in outputs]
        if data_dir.is_dir()
        else []
    )
    return stale_outputs(behind["differ"], behind["missing"], behind["unreadable"], extra)


def stale_outputs(differ: list[str], missing: list[str], unreadable: list[str], extra: list[str]) -> list[Problem]:
    """The one `package-stale` problem for derived files that differ from a fresh build, are
    missing or unreadable, and CSVs in data/ that build does not write (none: no problem)."""
    behind = {"differ": differ, "missing": missing, "unreadable": unreadable}
    rebuilt = sorted(
        [
            *behind["differ"],
            *(f"{rel} (missing)" for rel in behind["missing"]),
            *(f"{rel} (unreadable)" for rel in behind["unreadable"]),
        ]
    )
    if not rebuilt and not extra:
        return []
    delete = f"delete {', '.join(extra)}, which `seccoop build` does not write" if extra else ""
    if rebuilt:
        message = (
            f"the derived files differ from a fresh build of the curated data: run `seccoop build` "
            f"(it rewrites {', '.join(rebuilt)})" + (f"; {delete}" if extra else "")
        )
    else:
        message = f"data/ holds a CSV that is not derived: {delete}"
    hint = (
        "Run `seccoop build`, then commit what it writes together with the curated files: derived files "
        "are never edited by hand, and only `seccoop build` writes data/*.csv."
    )
    files = sorted([*behind["differ"], *behind["missing"], *behind["unreadable"]]) + extra
    # One file is the problem's place (an editor or GitHub annotation opens it); several are listed.
    return [Problem("package-stale", message, file=files[0] if len(files) == 1 else None, hint=hint)]
