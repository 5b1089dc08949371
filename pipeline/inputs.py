"""Inputs of a batch run: files, directories, globs, path lists and archives -> ``Source``s.

``iter_sources(inputs)`` streams one ``Source`` per document, in a stable order
(arguments in the order given, directory entries and archive members sorted by name),
so a run over a million files never holds them all in memory::

    >>> [s.path for s in iter_sources(["data/samples"])][:1]       # doctest: +SKIP
    ['data/samples/000_2c25de43f7d7b53b.txt']

Archives (``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz``) are read in
place, never extracted to disk; a member's path is ``archive.zip!/dir/file.txt`` and
archives inside archives are followed up to ``ArchiveLimits.max_depth``. Office files
that happen to be zips (``.docx``) are documents, not archives: only the suffix decides.

Safety. An input is *refused* (it becomes a ``failed`` documents row whose ``error``
says why, and nothing reads it) when it is:

* an archive member whose name escapes the archive root (``../x``, ``/etc/x``, ``C:\\x``:
  "zip-slip"), or a symlink / hard-link / device member;
* a symlink found under an input directory that leads outside that directory;
* a member that would expand beyond ``ArchiveLimits`` (per-member size, expansion ratio,
  whole-archive expansion ratio: decompression bombs), checked on the declared sizes
  before anything is inflated and again on the bytes actually read.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
import posixpath
import stat
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

# What a directory walk picks up. Named files are always tried (ingest says whether it
# can read them); ingest may publish its own list, which then wins.
DEFAULT_DOCUMENT_SUFFIXES = frozenset({
    ".txt", ".text", ".md", ".markdown", ".pdf", ".docx", ".doc", ".odt", ".rtf", ".html", ".htm",
    ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp",
})
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
MEMBER_SEP = "!/"

MiB = 1 << 20


def document_suffixes() -> frozenset[str]:
    """Suffixes a directory walk treats as documents (ingest's list when it has one)."""
    from . import ingest

    return frozenset(getattr(ingest, "SUPPORTED_SUFFIXES", None) or DEFAULT_DOCUMENT_SUFFIXES)


class InputError(Exception):
    """An input that is refused or cannot be read; the message is the ``error`` column."""


@dataclass(frozen=True)
class ArchiveLimits:
    """Bounds that stop decompression bombs before they are inflated.

    Ratios are only checked above ``ratio_floor`` expanded bytes: a small member may
    legitimately compress 1000x (a page of spaces), a large one may not.
    """

    max_member_bytes: int = 512 * MiB
    max_ratio: float = 100.0
    ratio_floor: int = 16 * MiB
    max_depth: int = 2  # archives inside archives inside archives are refused

    def check_member(self, name: str, size: int, compressed: int | None) -> None:
        """Raise ``InputError`` when one member's declared sizes are a bomb.

        >>> ArchiveLimits().check_member("a.txt", 200 * MiB, 100_000)
        Traceback (most recent call last):
        ...
        pipeline.inputs.InputError: decompression bomb: a.txt expands 2097x (200 MiB from 98 KiB), limit 100x
        """
        if size > self.max_member_bytes:
            raise InputError(f"archive member too large: {name} is {_human(size)}, "
                             f"limit {_human(self.max_member_bytes)}")
        if compressed is not None and size > self.ratio_floor and size > self.max_ratio * max(compressed, 1):
            raise InputError(f"decompression bomb: {name} expands {size / max(compressed, 1):.0f}x "
                             f"({_human(size)} from {_human(compressed)}), limit {self.max_ratio:g}x")

    def check_total(self, archive: str, expanded: int, archive_size: int) -> None:
        """Raise ``InputError`` when a whole archive expands beyond the ratio limit."""
        if expanded > self.ratio_floor and expanded > self.max_ratio * max(archive_size, 1):
            raise InputError(f"decompression bomb: {archive} expands beyond {self.max_ratio:g}x its size "
                             f"({_human(expanded)} from {_human(archive_size)}); remaining members refused")


def _human(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" or n >= 10 else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} GiB"  # pragma: no cover


@dataclass
class Source:
    """One document to process: a file on disk, or an archive member read through ``read``.

    ``key`` identifies the bytes cheaply (path, size, mtime / CRC) so an unchanged re-run
    can skip a document without reading it; ``error`` marks a refused input. An archive
    member must be read before the iterator that yielded it advances: archives are read
    as streams (a ``.tar.gz`` is inflated once) and closed when the iterator moves on.
    """

    path: str  # what the user sees and the documents row records: "a/b.txt", "x.zip!/d/b.txt"
    fs_path: str | None = None  # absolute path of a file on disk (None for archive members)
    size: int | None = None
    key: str | None = None
    error: str | None = None
    reader: Callable[[], bytes] | None = field(default=None, repr=False, compare=False)
    _digest: tuple | None = field(default=None, init=False, repr=False, compare=False)  # (sha256,) once computed

    @property
    def is_member(self) -> bool:
        return self.reader is not None

    def read_bytes(self) -> bytes:
        """The document's bytes (archive members are inflated here, within the limits)."""
        if self.reader is not None:
            return self.reader()
        assert self.fs_path is not None
        with open(self.fs_path, "rb") as f:
            return f.read()

    def prefetch(self) -> None:
        """Compute a file's hash now (``pipeline.readahead``); ``sha256`` then returns it."""
        if self.reader is None and self._digest is None:
            self._digest = (self._file_sha256(),)

    def sha256(self) -> str | None:
        """Content hash, or None when the source is not a readable regular file or member."""
        if self.error is not None:
            return None
        if self.reader is not None:
            return hashlib.sha256(self.reader()).hexdigest()
        if self._digest is not None:
            return self._digest[0]
        return self._file_sha256()

    def _file_sha256(self) -> str | None:
        if self.error is not None:
            return None
        try:
            st = os.stat(self.fs_path)  # type: ignore[arg-type]
            if not stat.S_ISREG(st.st_mode):  # a FIFO would block the planner forever
                return None
            h = hashlib.sha256()
            with open(self.fs_path, "rb") as f:  # type: ignore[arg-type]
                while chunk := f.read(MiB):
                    h.update(chunk)
            return h.hexdigest()
        except OSError:
            return None


def is_archive(name: str) -> bool:
    """True for names that are read as archives (by suffix only).

    >>> is_archive("a/B.TAR.GZ"), is_archive("plan.docx")
    (True, False)
    """
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def _suffix(name: str) -> str:
    return posixpath.splitext(name)[1].lower()


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _file_key(real: str, st: os.stat_result) -> str:
    return f"{real}|{st.st_size}|{st.st_mtime_ns}"


# ---------------------------------------------------------------------------------------
# Member names


def safe_member_name(name: str) -> str:
    """The normalized relative name of an archive member, or ``InputError`` when it escapes.

    >>> safe_member_name("dir/./a.txt")
    'dir/a.txt'
    >>> safe_member_name("dir/../../etc/passwd")
    Traceback (most recent call last):
    ...
    pipeline.inputs.InputError: unsafe archive member (zip-slip): dir/../../etc/passwd escapes the archive root
    """
    posix = name.replace("\\", "/")
    if posix.startswith("/") or (len(posix) > 1 and posix[1] == ":") or "\x00" in posix:
        raise InputError(f"unsafe archive member (zip-slip): {name} is an absolute path")
    norm = posixpath.normpath(posix)
    if norm == ".." or norm.startswith("../"):
        raise InputError(f"unsafe archive member (zip-slip): {name} escapes the archive root")
    return norm


def _zip_name(info: zipfile.ZipInfo) -> str:
    # Windows zip tools often store UTF-8 names without the UTF-8 flag, so zipfile decodes
    # them as CP437 ("Káº¿ hoáº¡ch"); undo that when the bytes are valid UTF-8.
    if not info.flag_bits & 0x800:
        try:
            return info.filename.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return info.filename


# ---------------------------------------------------------------------------------------
# Archives


class _Budget:
    """Expanded bytes of one top-level archive, nested archives included."""

    def __init__(self, name: str, size: int, limits: ArchiveLimits):
        self.name, self.size, self.limits, self.expanded = name, size, limits, 0

    def spend(self, n: int) -> None:
        self.expanded += n
        self.limits.check_total(self.name, self.expanded, self.size)


def _read_capped(f, declared: int, name: str, limits: ArchiveLimits) -> bytes:
    # Declared sizes can lie: never read more than was declared (and allowed).
    cap = min(declared, limits.max_member_bytes)
    data = f.read(cap + 1)
    if len(data) > cap:
        raise InputError(f"decompression bomb: {name} holds more than its declared {_human(declared)}")
    return data


def _iter_archive(display: str, fileobj, key: str, budget: _Budget, limits: ArchiveLimits,
                  suffixes: frozenset[str], depth: int) -> Iterator[Source]:
    low = display.lower()
    try:
        if low.endswith(".zip"):
            yield from _iter_zip(display, fileobj, key, budget, limits, suffixes, depth)
        else:
            yield from _iter_tar(display, fileobj, key, budget, limits, suffixes, depth)
    except InputError as e:  # a whole-archive bomb: the rest of the archive is refused
        yield Source(display, error=str(e))
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as e:
        yield Source(display, error=f"bad archive: {display}: {type(e).__name__}: {e}")


def _member_sources(display: str, name: str, size: int, compressed: int | None, key: str,
                    open_member: Callable[[], io.BufferedIOBase], budget: _Budget, limits: ArchiveLimits,
                    suffixes: frozenset[str], depth: int) -> Iterator[Source]:
    """Sources for one regular member (a document, or a nested archive's documents)."""
    try:
        name = safe_member_name(name)
    except InputError as e:
        yield Source(f"{display}{MEMBER_SEP}{name}", key=key, error=str(e))
        return
    path = f"{display}{MEMBER_SEP}{name}"
    nested = is_archive(name)
    if not nested and _suffix(name) not in suffixes:
        return
    try:
        limits.check_member(path, size, compressed)
    except InputError as e:
        yield Source(path, size=size, key=key, error=str(e))
        return
    if nested:
        if depth >= limits.max_depth:
            yield Source(path, key=key, error=f"nested archive too deep: {path} (limit {limits.max_depth})")
            return
        budget.spend(size)
        with open_member() as f:
            data = _read_capped(f, size, path, limits)
        yield from _iter_archive(path, io.BytesIO(data), key, budget, limits, suffixes, depth + 1)
        return

    def read() -> bytes:
        with open_member() as f:
            return _read_capped(f, size, path, limits)

    budget.spend(size)
    yield Source(path, size=size, key=key, reader=read)


def _iter_zip(display, fileobj, key, budget, limits, suffixes, depth) -> Iterator[Source]:
    with zipfile.ZipFile(fileobj) as zf:
        infos = sorted(zf.infolist(), key=_zip_name)
        for info in infos:
            name = _zip_name(info)
            if info.is_dir():
                continue
            mkey = f"{key}!{name}|{info.file_size}|{info.CRC}"
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                yield Source(f"{display}{MEMBER_SEP}{name}", key=mkey,
                             error=f"unsafe archive member (link): {name} is a symlink")
                continue
            if info.flag_bits & 0x1:
                yield Source(f"{display}{MEMBER_SEP}{name}", key=mkey,
                             error=f"encrypted archive member: {name}")
                continue
            yield from _member_sources(display, name, info.file_size, info.compress_size, mkey,
                                       lambda info=info: zf.open(info), budget, limits, suffixes, depth)


def _iter_tar(display, fileobj, key, budget, limits, suffixes, depth) -> Iterator[Source]:
    # Stream mode ("r|*"): members are read in order without seeking, so a .tar.gz is
    # inflated once. Each Source's reader is used before the next member is fetched.
    with tarfile.open(fileobj=fileobj, mode="r|*") as tf:
        for m in tf:
            mkey = f"{key}!{m.name}|{m.size}|{m.mtime}"
            if m.issym() or m.islnk():
                yield Source(f"{display}{MEMBER_SEP}{m.name}", key=mkey,
                             error=f"unsafe archive member (link): {m.name} links to {m.linkname}")
                continue
            if not m.isfile():
                continue
            # Skipping a member inflates it too, so every member counts, read or not.
            if m.size > limits.max_member_bytes:
                raise InputError(f"archive member too large: {display}{MEMBER_SEP}{m.name} is "
                                 f"{_human(m.size)}, limit {_human(limits.max_member_bytes)}; "
                                 "remaining members refused")
            if is_archive(m.name) or _suffix(m.name) in suffixes:
                yield from _member_sources(display, m.name, m.size, None, mkey,
                                           lambda m=m: tf.extractfile(m), budget, limits, suffixes, depth)
            else:
                budget.spend(m.size)


def _iter_archive_file(display: str, real: str, st: os.stat_result, limits: ArchiveLimits,
                       suffixes: frozenset[str]) -> Iterator[Source]:
    budget = _Budget(display, st.st_size, limits)
    try:
        f = open(real, "rb")
    except OSError as e:
        yield Source(display, fs_path=real, error=f"bad archive: {display}: {e.strerror or e}")
        return
    with f:
        yield from _iter_archive(display, f, _file_key(real, st), budget, limits, suffixes, 1)


# ---------------------------------------------------------------------------------------
# Files, directories, globs


def _file_sources(display: str, real: str, limits: ArchiveLimits, suffixes: frozenset[str]) -> Iterator[Source]:
    try:
        st = os.stat(real)
    except OSError:
        yield Source(display, fs_path=real)  # ingest reports "file not found" / "permission denied"
        return
    if stat.S_ISREG(st.st_mode) and is_archive(display):
        yield from _iter_archive_file(display, real, st, limits, suffixes)
    else:
        key = _file_key(real, st) if stat.S_ISREG(st.st_mode) else None
        yield Source(display, fs_path=real, size=st.st_size, key=key)


def _walk(display: str, root_real: str, limits: ArchiveLimits, suffixes: frozenset[str],
          visited: set[str], dir_real: str | None = None) -> Iterator[Source]:
    dir_real = dir_real or os.path.realpath(display)
    try:
        entries = sorted(os.scandir(display), key=lambda e: e.name)
    except OSError as e:
        yield Source(display, error=f"unreadable directory: {display}: {e.strerror or e}")
        return
    for e in entries:
        if e.name.startswith("."):  # .git, .DS_Store, editors' temp files
            continue
        path = os.path.join(display, e.name)
        link = e.is_symlink()
        if link:
            real = os.path.realpath(e.path)
            is_dir = os.path.isdir(real)
        else:  # no need to resolve it (a few stat calls per path component, for every file)
            real = os.path.join(dir_real, e.name)
            is_dir = e.is_dir(follow_symlinks=False)
        if not is_dir and not (is_archive(e.name) or _suffix(e.name) in suffixes):
            continue
        if link and not _within(real, root_real):
            yield Source(path, error=f"unsafe symlink: {path} leads outside the input root ({real})")
            continue
        if is_dir:
            if real not in visited:  # a symlink loop inside the root
                visited.add(real)
                yield from _walk(path, root_real, limits, suffixes, visited, real)
        elif os.path.isfile(real) if link else e.is_file(follow_symlinks=False):
            yield from _file_sources(path, real, limits, suffixes)


def _glob_root(pattern: str) -> str:
    """The directory part of a glob before its first wildcard (symlinks must stay inside)."""
    parts = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return str(Path(*parts)) if parts else "."


def _one_input(item: str, limits: ArchiveLimits, suffixes: frozenset[str]) -> Iterator[Source]:
    if os.path.isdir(item):
        real = os.path.realpath(item)
        yield from _walk(item.rstrip(os.sep) or os.sep, real, limits, suffixes, {real})
    elif os.path.lexists(item) or not glob.has_magic(item):
        yield from _file_sources(item, os.path.abspath(item), limits, suffixes)
    else:
        root = os.path.realpath(_glob_root(item))
        for m in sorted(glob.glob(item, recursive=True)):
            real = os.path.realpath(m)
            if os.path.islink(m) and not _within(real, root):
                yield Source(m, error=f"unsafe symlink: {m} leads outside the input root ({real})")
            elif os.path.isdir(m):
                if not item.endswith("**"):  # "a/**" also lists every directory under a: skip them
                    yield from _walk(m, real, limits, suffixes, {real})
            elif os.path.isfile(m):
                yield from _file_sources(m, os.path.abspath(m), limits, suffixes)


def read_path_list(path: str) -> Iterator[str]:
    """Inputs listed one per line in a file (``-`` for stdin); blank lines and ``#`` comments skipped."""
    import sys

    f = sys.stdin if path == "-" else open(path, encoding="utf-8")
    try:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                yield line
    finally:
        if f is not sys.stdin:
            f.close()


def iter_sources(inputs: Iterable[str], from_file: str | None = None,
                 limits: ArchiveLimits | None = None) -> Iterator[Source]:
    """Every document of the inputs, streamed in a stable order.

    A path that matches nothing is still yielded (reading it fails with "file not
    found"), so a typo shows up as a failed row rather than vanishing.

    >>> import tempfile, zipfile, os
    >>> d = tempfile.mkdtemp(); z = os.path.join(d, "plans.zip")
    >>> with zipfile.ZipFile(z, "w") as zf:
    ...     zf.writestr("2026/kh.txt", "KẾ HOẠCH"); zf.writestr("../evil.txt", "x")
    >>> [(s.path[len(d) + 1:], s.error) for s in iter_sources([z])]   # doctest: +NORMALIZE_WHITESPACE
    [('plans.zip!/../evil.txt', 'unsafe archive member (zip-slip): ../evil.txt escapes the archive root'),
     ('plans.zip!/2026/kh.txt', None)]
    """
    limits = limits or ArchiveLimits()
    suffixes = document_suffixes()
    items: Iterable[str] = list(inputs)
    if from_file:
        items = [*items, *read_path_list(from_file)]
    for item in items:
        yield from _one_input(str(item), limits, suffixes)


def expand_inputs(inputs: Iterable[str]) -> Iterator[Path]:
    """Paths of the files on disk the inputs name (archive members not included).

    Kept for callers of the first batch API; runs use ``iter_sources``.
    """
    for s in iter_sources(inputs):
        if s.fs_path is not None and s.error is None and not s.is_member:
            yield Path(s.path)
