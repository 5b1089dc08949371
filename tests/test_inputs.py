"""pipeline.inputs: expanding inputs, reading archives in place, refusing unsafe inputs."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from pipeline.inputs import (MiB, ArchiveLimits, InputError, is_archive, iter_sources, read_path_list,
                             safe_member_name)

PLAN = "KẾ HOẠCH\nThực hiện công tác dân vận năm 2026\n".encode()


def _rel(sources, base: Path) -> list[tuple[str, str | None]]:
    return [(os.path.relpath(s.path, base) if s.path.startswith(str(base)) else s.path, s.error) for s in sources]


def _zip(path: Path, members: dict[str, bytes], **kw) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **kw) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _tar(path: Path, members: dict[str, bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


# --- files, directories, globs, lists -------------------------------------------------------


def test_directory_walk_is_recursive_sorted_and_skips_hidden_and_non_documents(tmp_path):
    for rel in ["b.txt", "a/z.md", "a/b/c.pdf", ".git/x.txt", "a/.hidden.txt", "notes.json", "img.PNG"]:
        p = tmp_path / "in" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(PLAN)
    got = [os.path.relpath(s.path, tmp_path / "in") for s in iter_sources([str(tmp_path / "in")])]
    assert got == ["a/b/c.pdf", "a/z.md", "b.txt", "img.PNG"]


def test_named_file_missing_path_glob_and_path_list(tmp_path):
    (tmp_path / "x").mkdir()
    for n in ("1.txt", "2.txt", "3.md"):
        (tmp_path / "x" / n).write_bytes(PLAN)
    lst = tmp_path / "list.txt"
    lst.write_text(f"# inputs\n\n{tmp_path}/x/3.md\n{tmp_path}/x/*.txt\n", encoding="utf-8")
    assert list(read_path_list(str(lst))) == [f"{tmp_path}/x/3.md", f"{tmp_path}/x/*.txt"]
    got = [os.path.relpath(s.path, tmp_path) for s in iter_sources([str(tmp_path / "nope.txt")], from_file=str(lst))]
    assert got == ["nope.txt", "x/3.md", "x/1.txt", "x/2.txt"]
    missing = next(iter_sources([str(tmp_path / "nope.txt")]))
    assert missing.error is None and missing.key is None and missing.sha256() is None  # fails later: "file not found"


def test_recursive_glob_and_a_directory_glob(tmp_path):
    for rel in ("2025/a.txt", "2026/q1/b.txt", "2026/c.pdf"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(PLAN)
    got = [os.path.relpath(s.path, tmp_path) for s in iter_sources([f"{tmp_path}/**/*.txt"])]
    assert got == ["2025/a.txt", "2026/q1/b.txt"]
    got = [os.path.relpath(s.path, tmp_path) for s in iter_sources([f"{tmp_path}/202*"])]
    assert got == ["2025/a.txt", "2026/c.pdf", "2026/q1/b.txt"]


def test_key_changes_with_content_and_hash_is_of_the_bytes(tmp_path):
    import hashlib

    p = tmp_path / "a.txt"
    p.write_bytes(PLAN)
    s1 = next(iter_sources([str(p)]))
    assert s1.sha256() == hashlib.sha256(PLAN).hexdigest()
    p.write_bytes(PLAN + b"x")
    s2 = next(iter_sources([str(p)]))
    assert s1.key != s2.key


@pytest.mark.parametrize("name,expected", [
    ("a.zip", True), ("A.TGZ", True), ("x.tar.gz", True), ("x.tar.xz", True), ("x.tar", True),
    ("plan.docx", False), ("plan.odt", False), ("plan.gz", False), ("plan.txt", False),
])
def test_only_the_suffix_makes_an_archive(name, expected):
    assert is_archive(name) is expected


# --- archives read in place ------------------------------------------------------------------


def test_zip_members_are_read_in_place_with_virtual_paths(tmp_path):
    z = _zip(tmp_path / "plans.zip", {"2026/b.txt": PLAN + b"b", "2026/a.txt": PLAN, "2026/": b"",
                                      "readme.json": b"{}", "plan.docx": b"PK..."})
    got = [(s, s.read_bytes()) for s in iter_sources([str(z)])]
    assert [os.path.relpath(s.path, tmp_path) for s, _ in got] == [
        "plans.zip!/2026/a.txt", "plans.zip!/2026/b.txt", "plans.zip!/plan.docx"]
    assert got[0][1] == PLAN and got[0][0].is_member and got[0][0].fs_path is None
    assert not list(tmp_path.glob("**/a.txt"))  # nothing extracted to disk


@pytest.mark.parametrize("mode,suffix", [("w", ".tar"), ("w:gz", ".tar.gz"), ("w:bz2", ".tar.bz2"), ("w:xz", ".txz")])
def test_tar_members_are_streamed(tmp_path, mode, suffix):
    t = _tar(tmp_path / f"plans{suffix}", {"x/a.txt": PLAN, "x/b.md": PLAN + b"!", "x/c.bin": b"\0"}, mode)
    got = list(iter_sources([str(t)]))
    assert [s.path.rsplit("!/", 1)[1] for s in got] == ["x/a.txt", "x/b.md"]
    # a stream archive is read member by member, in order, while iterating
    data = [s.read_bytes() for s in iter_sources([str(t)])]
    assert data == [PLAN, PLAN + b"!"]


def test_archive_inside_archive_and_depth_limit(tmp_path):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("kh.txt", PLAN)
    outer = _tar(tmp_path / "outer.tar.gz", {"2026/xa.zip": inner.getvalue()})
    got = [(s.path.split("outer.tar.gz", 1)[1], s.read_bytes()) for s in iter_sources([str(outer)])]
    assert got == [("!/2026/xa.zip!/kh.txt", PLAN)]
    refused = list(iter_sources([str(outer)], limits=ArchiveLimits(max_depth=1)))
    assert len(refused) == 1 and refused[0].error.startswith("nested archive too deep")


def test_corrupt_archive_is_one_failed_input(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    (s,) = iter_sources([str(bad)])
    assert s.error.startswith("bad archive: ") and s.path == str(bad)


def test_zip_names_stored_as_utf8_without_the_flag_are_repaired(tmp_path):
    z = _zip(tmp_path / "vn.zip", {"Kế hoạch 2026.txt": PLAN})
    raw = bytearray(z.read_bytes())
    for sig, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # clear the UTF-8 flag (bit 11)
        i = raw.find(sig)
        flags = int.from_bytes(raw[i + flag_at:i + flag_at + 2], "little") & ~0x800
        raw[i + flag_at:i + flag_at + 2] = flags.to_bytes(2, "little")
    z.write_bytes(bytes(raw))
    (s,) = iter_sources([str(z)])
    assert s.path.endswith("!/Kế hoạch 2026.txt")


# --- safety: zip-slip, links, symlinks leaving the root, bombs ---------------------------------


@pytest.mark.parametrize("name,ok", [
    ("a/b.txt", "a/b.txt"),
    ("a/./b/../c.txt", "a/c.txt"),
    ("../evil.txt", None),
    ("a/../../evil.txt", None),
    ("/etc/cron.d/evil.txt", None),
    ("C:\\Windows\\evil.txt", None),
    ("..\\..\\evil.txt", None),
])
def test_safe_member_name(name, ok):
    if ok is None:
        with pytest.raises(InputError, match=r"^unsafe archive member \(zip-slip\)"):
            safe_member_name(name)
    else:
        assert safe_member_name(name) == ok


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_zip_slip_members_are_refused_and_the_rest_is_read(tmp_path, kind):
    members = {"ok.txt": PLAN, "../../evil.txt": PLAN, "/abs/evil.txt": PLAN, "a/../../evil2.txt": PLAN}
    arc = _zip(tmp_path / "x.zip", members) if kind == "zip" else _tar(tmp_path / "x.tar.gz", members)
    got = {s.path.split("!/", 1)[1]: s.error for s in iter_sources([str(arc)])}
    assert got.pop("ok.txt") is None
    assert len(got) == 3
    assert all(e.startswith("unsafe archive member (zip-slip): ") for e in got.values()), got
    assert not (tmp_path.parent / "evil.txt").exists()


def test_link_members_are_refused(tmp_path):
    z = tmp_path / "links.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("passwd.txt")
        info.external_attr = (0o120777 << 16)  # a symlink, as Info-ZIP stores it
        zf.writestr(info, "/etc/passwd")
        zf.writestr("ok.txt", PLAN)
    t = tmp_path / "links.tar"
    with tarfile.open(t, "w") as tf:
        for name, kind in (("sym.txt", tarfile.SYMTYPE), ("hard.txt", tarfile.LNKTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            tf.addfile(info)
    errors = [(s.path.rsplit("!/", 1)[1], s.error) for s in iter_sources([str(z), str(t)])]
    assert errors == [("ok.txt", None),
                      ("passwd.txt", "unsafe archive member (link): passwd.txt is a symlink"),
                      ("sym.txt", "unsafe archive member (link): sym.txt links to /etc/passwd"),
                      ("hard.txt", "unsafe archive member (link): hard.txt links to /etc/passwd")]


def test_symlinks_leading_outside_the_input_root_are_refused(tmp_path):
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    (outside / "secret.txt").write_bytes(PLAN)
    (outside / "dir" / "more.txt").write_bytes(PLAN)
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "real.txt").write_bytes(PLAN)
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "leakdir").symlink_to(outside / "dir")
    (root / "inside.txt").symlink_to(root / "sub" / "real.txt")  # stays inside: fine
    (root / "sub" / "loop").symlink_to(root)  # a loop inside the root: walked once
    got = _rel(iter_sources([str(root)]), root)
    assert ("inside.txt", None) in got and ("sub/real.txt", None) in got
    refused = {p: e for p, e in got if e}
    assert set(refused) == {"leak.txt", "leakdir"}
    assert all(e.startswith("unsafe symlink: ") and "leads outside the input root" in e for e in refused.values())
    assert len(got) == 4


def test_symlink_matched_by_a_glob_must_stay_under_the_glob_root(tmp_path):
    (tmp_path / "secret.txt").write_bytes(PLAN)
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_bytes(PLAN)
    (root / "b.txt").symlink_to(tmp_path / "secret.txt")
    got = _rel(iter_sources([f"{root}/*.txt"]), root)
    assert got[0] == ("a.txt", None)
    assert got[1][0] == "b.txt" and got[1][1].startswith("unsafe symlink: ")


def test_zip_bomb_is_refused_before_it_is_inflated(tmp_path):
    z = tmp_path / "bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok.txt", PLAN)
        zf.writestr("bomb.txt", b"\0" * (40 * MiB))  # ~40 KB compressed, 1000x
    assert z.stat().st_size < 200_000
    got = {s.path.rsplit("!/", 1)[1]: s for s in iter_sources([str(z)])}
    assert got["ok.txt"].error is None
    err = got["bomb.txt"].error
    assert err.startswith("decompression bomb: ") and "limit 100x" in err
    assert got["bomb.txt"].reader is None  # nothing left that could inflate it


def test_many_small_members_that_add_up_to_a_bomb(tmp_path):
    limits = ArchiveLimits(ratio_floor=1 * MiB, max_ratio=50)
    z = tmp_path / "quiet-bomb.zip"
    with zipfile.ZipFile(z, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for i in range(40):
            zf.writestr(f"p{i:02d}.txt", b" " * (256 * 1024))  # each small, all 10 MiB from ~10 KB
    got = list(iter_sources([str(z)], limits=limits))
    assert got[-1].error.startswith("decompression bomb: ") and "remaining members refused" in got[-1].error
    assert got[-1].path == str(z)
    assert 3 <= len(got) - 1 < 40  # the first members (under the floor) came through, then it stopped


def test_tar_gz_bomb_is_refused_from_the_header(tmp_path):
    t = tmp_path / "bomb.tar.gz"
    with tarfile.open(t, "w:gz") as tf:
        info = tarfile.TarInfo("big.txt")
        info.size = 40 * MiB
        tf.addfile(info, io.BytesIO(b"\0" * info.size))
    got = list(iter_sources([str(t)]))
    assert len(got) == 1 and got[0].error.startswith("decompression bomb: ")


def test_member_over_the_size_limit(tmp_path):
    z = _zip(tmp_path / "big.zip", {"big.txt": os.urandom(2 * MiB)})
    (s,) = iter_sources([str(z)], limits=ArchiveLimits(max_member_bytes=1 * MiB))
    assert s.error.startswith("archive member too large: ")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["..", ".", "a", "b c", "/", "\\", "C:", "x.txt", "đ", ""]), max_size=8).map("/".join))
def test_a_member_name_is_refused_or_stays_inside_the_root(name):
    try:
        norm = safe_member_name(name)
    except InputError as e:
        assert str(e).startswith("unsafe archive member (zip-slip)")
        return
    root = "/srv/extract"
    resolved = os.path.normpath(os.path.join(root, norm.replace("\\", "/")))
    assert resolved == root or resolved.startswith(root + "/"), (name, norm)
