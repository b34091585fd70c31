"""`seccoop.read()` of the release archive, the one file a downloader has (issue 25): the archive
that the real `seccoop export --format zip` writes gives the tables the folder gives; an archive a
stranger made is read only when every member is safe, and nothing is written anywhere."""

from __future__ import annotations

import os
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import invoke

import seccoop
from seccoop.model.package import NoPackage
from seccoop.safety.archives import ArchiveRefused


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release") / "seccoop-0.2.0.zip"
    result = invoke("export", "--format", "zip", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_the_release_archive_gives_the_tables_the_folder_gives(release, real_package, tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # found again from TMPDIR, as a new process would
    from_zip = seccoop.read(release)
    from_folder = seccoop.read(real_package)
    assert list(from_zip) == list(from_folder)
    for name, frame in from_folder.items():
        assert from_zip[name].equals(frame), name
        assert (from_zip[name].dtypes == frame.dtypes).all(), name
    assert seccoop.read(str(release), tables=["events"], library="polars")["events"].height == len(
        from_folder["events"]
    )
    assert list(scratch.iterdir()) == [], "nothing extracted"


def _copy(release: Path, target: Path, top: str = "", add=None) -> Path:
    """The release's members under `top`, and whatever `add` writes: an archive as anyone could make."""
    with zipfile.ZipFile(release) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(top + info.filename, src.read(info))
        if add is not None:
            add(out)
    return target


def test_an_archive_with_its_package_in_one_top_folder_is_read(release, tmp_path):
    archive = _copy(release, tmp_path / "renamed.zip", top="seccoop-0.2.0/")
    assert seccoop.read(archive, tables=["actors"])["actors"].equals(seccoop.read(release, tables=["actors"])["actors"])


def _link(archive: zipfile.ZipFile) -> None:
    info = zipfile.ZipInfo("data/link.csv")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    archive.writestr(info, "/etc/passwd")


@pytest.mark.parametrize(
    "add, member, words",
    [
        (lambda a: a.writestr("../evil.csv", "x"), "../evil.csv", "a path with `..`"),
        (lambda a: a.writestr("/tmp/evil.csv", "x"), "/tmp/evil.csv", "an absolute path"),
        (_link, "data/link.csv", "a link"),
        (lambda a: a.writestr("data/bomb.bin", bytes(20 * 1024 * 1024)), "data/bomb.bin", "a zip bomb"),
    ],
)
def test_an_unsafe_archive_is_refused_whole_naming_the_archive_and_member(release, tmp_path, add, member, words):
    archive = _copy(release, tmp_path / "evil.zip", add=add)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ArchiveRefused) as refused:
        seccoop.read(archive)
    said = str(refused.value)
    assert said.startswith(f"{archive}: refused member {member!r}: ") and words in said, said
    assert sorted(os.listdir(tmp_path)) == before and not (tmp_path.parent / "evil.csv").exists()


def test_a_corrupt_member_and_a_zip_without_a_package_are_clear_errors(release, tmp_path):
    corrupt = tmp_path / "corrupt.zip"
    raw = bytearray(release.read_bytes())
    with zipfile.ZipFile(release) as z:
        info = z.getinfo("data/events.csv")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 20
    raw[start : start + 40] = bytes(b ^ 0x5A for b in raw[start : start + 40])
    corrupt.write_bytes(raw)
    with pytest.raises(ArchiveRefused, match=r"corrupt\.zip: data/events\.csv: cannot be read: "):
        seccoop.read(corrupt, tables=["events"])
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("a/readme.txt", "no package here")
    with pytest.raises(NoPackage, match="no datapackage.json at the archive's root or in its one top folder"):
        seccoop.read(empty)
    text = tmp_path / "notes.txt"
    text.write_text("hello\n", encoding="utf-8")
    with pytest.raises(ArchiveRefused, match="neither a package folder nor a zip archive"):
        seccoop.read(text)
