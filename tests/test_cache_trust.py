"""The check cache belongs to its user and holds data (docs/cache.md, "Rules"): a cache folder
another user could change (writable by others, another user's, a link, below a folder others can
write) or one inside the checkout is not used, with one line saying so, and nothing is written
there; an entry is read as data, never run (a planted pickle stays bytes); an entry that is
corrupt or truncated is ignored. Every answer is the cold one."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import struct
from pathlib import Path

import pytest
from conftest import copy_package, first_fast, invoke, snapshot
from test_cache import EDITS, _age, _answer

from seccoop import check


@pytest.fixture
def pkg(built_base, tmp_path) -> Path:
    """An aged copy of the fixture package (its files' stored parses are then used), invalid: a
    code no codelist has."""
    dest = copy_package(built_base, tmp_path / "pkg")
    EDITS["bad-code"](dest)
    _age(dest)
    return dest


@pytest.fixture
def cache_on(monkeypatch):
    monkeypatch.delenv("CI", raising=False)

    def use(base: Path) -> None:
        monkeypatch.setenv("SECCOOP_CACHE_DIR", str(base))

    return use


def _everything(folder: Path) -> tuple:
    """Every entry under a folder (links not followed) and every file's sha256: to prove that
    nothing was written there."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")), snapshot(folder)


# Each makes a cache folder (SECCOOP_CACHE_DIR) that is not the user's alone, or lies in the
# checkout, and returns it, the folder to watch, and the reason the notice gives.
def _writable_by_others(tmp: Path, pkg: Path):
    (tmp / "cache" / "seccoop").mkdir(parents=True)
    os.chmod(tmp / "cache" / "seccoop", 0o777)
    return tmp / "cache", tmp / "cache", "it is writable by other users"


def _writable_by_its_group(tmp: Path, pkg: Path):
    (tmp / "cache" / "seccoop").mkdir(parents=True)
    os.chmod(tmp / "cache" / "seccoop", 0o770)
    return tmp / "cache", tmp / "cache", "it is writable by other users"


def _another_users(tmp: Path, pkg: Path):
    if os.geteuid() != 0:
        pytest.skip("only root can give a folder to another user")
    (tmp / "cache" / "seccoop").mkdir(parents=True, mode=0o700)
    os.chown(tmp / "cache" / "seccoop", 65534, 65534)
    return tmp / "cache", tmp / "cache", "it belongs to another user (uid 65534)"


def _a_link(tmp: Path, pkg: Path):
    (tmp / "elsewhere").mkdir(mode=0o700)
    (tmp / "cache").mkdir()
    (tmp / "cache" / "seccoop").symlink_to(tmp / "elsewhere")
    return tmp / "cache", tmp / "elsewhere", "it is a link"


def _through_a_link_into_the_checkout(tmp: Path, pkg: Path):
    (pkg / "notes").mkdir()
    (tmp / "cache-link").symlink_to(pkg / "notes")
    return tmp / "cache-link", pkg, "it is inside the package being checked"


def _below_a_folder_others_can_write(tmp: Path, pkg: Path):
    (tmp / "shared").mkdir()
    os.chmod(tmp / "shared", 0o777)  # not sticky: anyone may rename the cache folder away and replace it
    return tmp / "shared", tmp / "shared", "a folder on its way, is writable by other users"


REFUSED = [
    _writable_by_others,
    _writable_by_its_group,
    _another_users,
    _a_link,
    _through_a_link_into_the_checkout,
    _below_a_folder_others_can_write,
]


@pytest.mark.parametrize("make", first_fast(REFUSED), ids=lambda make: make.__name__.strip("_"))
def test_a_cache_folder_not_the_users_alone_is_not_used(pkg, tmp_path, cache_on, capsys, make):
    base, watched, reason = make(tmp_path, pkg)
    cache_on(base)
    before = _everything(watched)
    cold = check(pkg, cache=False)
    assert capsys.readouterr().err == ""
    for _ in range(2):  # the notice is given by every check, once
        cached = check(pkg, cache=True)
        assert _answer(cached) == _answer(cold) and not cold.valid
        [notice] = capsys.readouterr().err.splitlines()
        assert notice.startswith(f"seccoop: the check cache at {base.absolute() / 'seccoop'} is not used: ")
        assert reason in notice and notice.endswith("; checking without it")
    assert _everything(watched) == before  # nothing written there


def test_the_notice_on_the_command_line(pkg, tmp_path):
    base, _, reason = _writable_by_others(tmp_path, pkg)
    env = {"SECCOOP_CACHE_DIR": str(base), "CI": "false"}
    cached, cold = invoke("check", str(pkg), env=env), invoke("check", str(pkg), "--no-cache", env=env)
    assert cold.returncode == 1 and (cached.returncode, cached.stdout) == (cold.returncode, cold.stdout)
    notice = f"seccoop: the check cache at {base / 'seccoop'} is not used: {reason}; checking without it\n"
    assert cached.stderr == notice
    assert cold.stderr == "" and not any((base / "seccoop").iterdir())


def test_a_sticky_folder_such_as_tmp_may_hold_the_cache(pkg, tmp_path, cache_on, capsys):
    """In a folder everyone may write but no one may rename another's entries (/tmp), the user's
    own cache folder is used; and one of this user's that others may read is made theirs alone."""
    (tmp_path / "sticky").mkdir()
    os.chmod(tmp_path / "sticky", 0o1777)
    cache_on(tmp_path / "sticky")
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))
    assert capsys.readouterr().err == ""
    where = tmp_path / "sticky" / "seccoop"
    assert where.stat().st_mode & 0o777 == 0o700 and list(where.glob("*.json"))
    os.chmod(where, 0o755)  # as 0.2.0 made it
    assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False))
    assert where.stat().st_mode & 0o777 == 0o700 and capsys.readouterr().err == ""


class _Planted:
    """Unpickled, it creates a marker file: what a planted pickle would run, harmlessly."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, "w")


def _plant_in_store(store: Path, payload: bytes) -> None:
    """Every parse in a parse store replaced by `payload`, with the sha256 of each and of the index
    made to match, as whoever can write the store can."""
    raw = store.read_bytes()
    start, _, magic = struct.unpack(">Q32s8s", raw[-48:])
    index = json.loads(raw[start:-48])
    body = b""
    for record in index["files"].values():  # ..., offset, length, sha256
        record[-3:] = [len(body), len(payload), hashlib.sha256(payload).hexdigest()]
        body += payload
    head = json.dumps(index).encode()
    store.write_bytes(body + head + struct.pack(">Q32s8s", len(body), hashlib.sha256(head).digest(), magic))


def _plant_index(folder: Path, payload: bytes) -> None:
    """The baseline's index replaced by `payload`, its sha256 written into the baseline's entry
    and that entry's own sha256 made to match."""
    [index] = folder.glob("*.index")
    index.write_bytes(payload)
    for entry in folder.glob("*.json"):
        _, _, raw = entry.read_bytes().partition(b"\n")
        body = json.loads(raw)
        if isinstance(body["answer"], dict) and "index" in body["answer"]:
            body["answer"]["index"] = hashlib.sha256(payload).hexdigest()
            raw = json.dumps(body).encode()
            entry.write_bytes(hashlib.sha256(raw).hexdigest().encode() + b"\n" + raw)


@pytest.mark.parametrize("folder_mode", first_fast([0o700, 0o777]))
def test_a_planted_pickle_is_never_run(built_base, tmp_path, cache_on, capsys, folder_mode):
    """A parse store and an index whose every stored value is a pickle (their sha256 recomputed),
    in the user's own folder (entries are read as JSON and arrays: the bytes do not decode) and
    in one others can write (not read at all)."""
    pkg = copy_package(built_base, tmp_path / "pkg")
    _age(pkg)
    cache_on(tmp_path / "cache")
    assert check(pkg, cache=True).valid  # a baseline, its store and its index
    folder = tmp_path / "cache" / "seccoop"
    marker = tmp_path / "ran"
    payload = pickle.dumps(_Planted(marker))
    for store in folder.glob("*.parsed"):
        _plant_in_store(store, payload)
    _plant_index(folder, payload)
    os.chmod(folder, folder_mode)
    for name in ("valid-summary", "bad-code", "comment-on-top"):
        EDITS[name](pkg)
        _age(pkg)
        assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False)), name
        assert not marker.exists(), name
    assert ("not used" in capsys.readouterr().err) == (folder_mode == 0o777)


def test_a_forged_answer_in_a_folder_others_can_write_is_not_taken(pkg, tmp_path, cache_on):
    """The issue's case: another user rewrites the report of an invalid package as valid (its
    sha256 recomputed) in a cache folder they can write; check and export still say invalid."""
    cache_on(tmp_path / "cache")
    assert not check(pkg, cache=True).valid
    folder = tmp_path / "cache" / "seccoop"
    for entry in folder.glob("*.json"):
        _, _, raw = entry.read_bytes().partition(b"\n")
        body = json.loads(raw)
        if isinstance(body["answer"], dict):
            body["answer"]["problems"] = []
        else:
            body["answer"] = []
        raw = json.dumps(body).encode()
        entry.write_bytes(hashlib.sha256(raw).hexdigest().encode() + b"\n" + raw)
    os.chmod(folder, 0o777)
    env = {"SECCOOP_CACHE_DIR": str(tmp_path / "cache"), "CI": "false"}
    checked = invoke("check", str(pkg), env=env)
    assert checked.returncode == 1 and "is not used: it is writable by other users" in checked.stderr
    exported = invoke("export", str(pkg), "--format", "json", "--out", str(tmp_path / "out.json"), env=env)
    assert exported.returncode == 1 and not (tmp_path / "out.json").exists()


def _corrupt(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


@pytest.mark.parametrize("damage", first_fast([_corrupt, _truncate]), ids=["corrupt", "truncated"])
@pytest.mark.parametrize("suffix", first_fast([".json", ".parsed", ".index", ".scope"]))
def test_a_damaged_entry_is_ignored(built_base, tmp_path, cache_on, damage, suffix):
    pkg = copy_package(built_base, tmp_path / "pkg")
    _age(pkg)
    cache_on(tmp_path / "cache")
    check(pkg, cache=True)
    EDITS["valid-summary"](pkg)  # checked from the baseline: a scope as it was is kept
    _age(pkg)
    check(pkg, cache=True)
    folder = tmp_path / "cache" / "seccoop"
    damaged = {p.stat().st_ino: p for p in folder.glob(f"*{suffix}")}  # a store has two names
    assert damaged
    for path in damaged.values():
        damage(path)
    for name in ("bad-code", "comment-on-top"):
        EDITS[name](pkg)
        _age(pkg)
        assert _answer(check(pkg, cache=True)) == _answer(check(pkg, cache=False)), name
