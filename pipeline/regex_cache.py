"""A disk cache of compiled ``regex`` patterns, for the processes that start often.

Why: the extractors compile about 270 patterns, some of them alternations of a few
thousand characters (unit names, deadline words). The ``regex`` module parses and
optimises a pattern in Python before its C code builds the matcher, so compiling them
takes ~0.25 s — a third of the time a ``vnplan run`` fork server needs before the first
worker can start, and paid again by every ``vnplan extract`` or test process.

What is cached is the output of that Python stage: the arguments ``regex`` hands to its C
compiler (``_regex.compile``: the flattened code, group names, the required string), as
JSON, keyed by the pattern, its flags and the ``regex`` and Python versions. A hit calls
the C compiler directly with them, which builds the very same pattern object (a test
checks the arguments a fresh compilation produces against the cached ones for every
pattern the pipeline compiles). Patterns with named lists (``\\L<name>``) are not cached.

It relies on ``regex``'s private ``_main._compile``/``_regex.compile``: anything unexpected
(another ``regex`` layout, a corrupt or foreign cache file, a failing call) falls back to
the normal compilation, so the cache can only make compiling faster, never different.
Only the application entry points install it (``vnplan`` itself and the local engine's
fork server); ``import extractors`` in a user's program leaves ``regex`` untouched.

The file lives in ``$VNPLAN_CACHE_DIR`` (default ``$XDG_CACHE_HOME/vnplan`` or
``~/.cache/vnplan``); ``VNPLAN_REGEX_CACHE=0`` turns the cache off.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from pathlib import Path

ENV_DIR = "VNPLAN_CACHE_DIR"
ENV_SWITCH = "VNPLAN_REGEX_CACHE"
FORMAT = 1
MAX_ENTRIES = 1000  # patterns this version of vnplan no longer compiles are dropped beyond this

_lock = threading.Lock()
_local = threading.local()  # the capture of the compilation running in this thread
_state: dict | None = None  # set by install(): path, entries, compiled, new, originals


def cache_dir() -> Path:
    """Where vnplan keeps its caches: ``$VNPLAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/vnplan``,
    else ``~/.cache/vnplan``."""
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vnplan"


def cache_path() -> Path:
    """The cache file of this ``regex`` and Python version.

    >>> cache_path().name.startswith("regex-")
    True
    """
    import regex

    return cache_dir() / f"regex-{regex.__version__}-py{sys.version_info[0]}{sys.version_info[1]}.json"


def _key(pattern: str, flags: int) -> str:
    import regex

    # regex.DEFAULT_VERSION (VERSION0/1) changes how a pattern without a version flag compiles
    return f"{int(flags)}\x00{int(regex.DEFAULT_VERSION)}\x00{pattern}"


class _CapturingC:
    """Stands for the ``_regex`` C module inside ``regex._main``: ``compile`` also records its
    arguments when the calling thread asked for them; everything else is the module's own."""

    def __init__(self, real):
        self._real = real

    def __getattr__(self, name):
        return getattr(self._real, name)

    def compile(self, *args):
        capture = getattr(_local, "capture", None)
        if capture is not None:
            capture.append(args)
        return self._real.compile(*args)


def _to_json(args: tuple) -> list:
    (pattern, flags, code, group_index, index_group, named_lists, named_list_indexes,
     req_offset, req_chars, req_flags, group_count) = args
    return [flags, list(code), dict(group_index), [[k, v] for k, v in index_group.items()], req_offset,
            None if req_chars is None else list(req_chars), req_flags, group_count,
            type(req_chars).__name__]


def _from_json(pattern: str, e: list) -> tuple:
    flags, code, group_index, index_group, req_offset, req_chars, req_flags, group_count, chars_type = e
    if req_chars is not None and chars_type == "tuple":
        req_chars = tuple(req_chars)
    return (pattern, flags, code, group_index, {k: v for k, v in index_group}, {}, [], req_offset, req_chars,
            req_flags, group_count)


def _cacheable(pattern, flags, kwargs: dict) -> bool:
    import regex

    return isinstance(pattern, str) and isinstance(flags, int) and not kwargs \
        and not (flags & (regex.DEBUG | regex.LOCALE))


def _compile(pattern, flags, ignore_unused, kwargs, cache_it):
    """``regex._main._compile`` with the disk cache in front of it."""
    state = _state
    orig = state["orig"]
    if not _cacheable(pattern, flags, kwargs):
        return orig(pattern, flags, ignore_unused, kwargs, cache_it)
    key = _key(pattern, flags)
    done = state["compiled"].get(key)
    if done is not None:
        return done
    entry = state["entries"].get(key)
    if entry is not None:
        try:
            compiled = state["c"].compile(*_from_json(pattern, entry))
        except Exception:  # a foreign or damaged entry: compile it the normal way
            state["entries"].pop(key, None)
        else:
            state["compiled"][key] = compiled
            return compiled
    _local.capture = captured = []
    try:
        compiled = orig(pattern, flags, ignore_unused, kwargs, cache_it)
    finally:
        _local.capture = None
    # Only a pattern compiled in one call of the C compiler, with no named lists, is kept.
    if len(captured) == 1 and captured[0][0] == pattern and not captured[0][5]:
        with _lock:
            state["entries"][key] = _to_json(captured[0])
            state["new"] += 1
            state["misses"] += 1
    state["compiled"][key] = compiled
    return compiled


def install() -> bool:
    """Put the cache in front of ``regex``'s compiler (once per process); returns whether it is on.

    Patterns compiled before this call are not affected.
    """
    global _state
    if _state is not None:
        return True
    if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "no", "off", "false"):
        return False
    try:
        import regex._main as main

        if not callable(getattr(main, "_compile", None)) or not hasattr(main, "_regex"):
            return False
        path = cache_path()
        entries = _load(path)
        real_c = main._regex._real if isinstance(main._regex, _CapturingC) else main._regex
        _state = {"path": path, "entries": entries, "compiled": {}, "new": 0, "misses": 0, "orig": main._compile, "c": real_c}
        main._regex = _CapturingC(real_c)
        main._compile = _compile
    except Exception:  # never keep the program from running: it compiles as usual
        _state = None
        return False
    return True


def _load(path: Path) -> dict:
    # The entries travel as one JSON string with its hash: a file damaged in any way is
    # ignored rather than handed to the C compiler.
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        body = data["entries"]
        if data.get("format") != FORMAT or hashlib.sha256(body.encode()).hexdigest() != data.get("sha256"):
            return {}
        entries = json.loads(body)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}
    return entries if isinstance(entries, dict) else {}


def save() -> bool:
    """Write the cache if this process compiled patterns it did not hold; returns whether it wrote.

    Atomic (a temporary file renamed over the old one), so concurrent runs never read half
    a file; an unwritable cache directory is not an error.
    """
    state = _state
    if state is None or not state["new"]:
        return False
    path = state["path"]
    # What other processes saved since this one read the file is kept: the fork server and
    # the main process of a first `vnplan run` both start before either has saved.
    on_disk = _load(path)
    with _lock:
        entries = state["entries"]
        # The patterns of this process first, then the others (another command's) while there is room.
        keep = {k: entries[k] for k in state["compiled"] if k in entries}
        for source in (on_disk, entries):
            for k, v in source.items():
                if len(keep) >= MAX_ENTRIES:
                    break
                keep.setdefault(k, v)
        body = json.dumps(keep, ensure_ascii=False, separators=(",", ":"))
        data = {"format": FORMAT, "sha256": hashlib.sha256(body.encode()).hexdigest(), "entries": body}
        state["new"] = 0
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return False
    return True


def check_entries(texts: list[str]) -> list[str]:
    """The cached patterns that do not behave as a fresh compilation of them on ``texts``
    (none, unless ``regex`` changed its compiler without changing its version).

    Each cached pattern is compiled again by ``regex`` itself, past every cache. What it
    hands its C compiler must equal the cached entry (after the trip through JSON), except
    the order of the members of a character set, which ``regex`` itself varies from one
    compilation to the next; so both patterns must also find the same matches, with the
    same groups, in every text. Slow (every pattern is compiled): for tests.
    """
    state = _state
    if state is None:
        return []
    bad = []
    for key, entry in list(state["entries"].items()):
        flags_s, _version, pattern = key.split("\x00", 2)
        _local.capture = captured = []
        try:
            fresh = state["orig"](pattern, int(flags_s), False, {}, False)
        except Exception:
            captured = []
        finally:
            _local.capture = None
        args = _from_json(pattern, json.loads(json.dumps(entry)))
        if len(captured) != 1 or captured[0][:2] + captured[0][3:] != args[:2] + args[3:] \
                or sorted(captured[0][2]) != sorted(args[2]):
            bad.append(pattern)
            continue
        cached = state["c"].compile(*args)
        for text in texts:
            if [(m.span(), m.groups()) for m in fresh.finditer(text)] \
                    != [(m.span(), m.groups()) for m in cached.finditer(text)]:
                bad.append(pattern)
                break
    return bad


def uninstall() -> None:
    """Give ``regex`` its own compiler back (for tests)."""
    global _state
    state = _state
    if state is None:
        return
    import regex._main as main

    main._compile = state["orig"]
    main._regex = state["c"]
    _state = None
