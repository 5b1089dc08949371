"""pipeline.regex_cache: compiled patterns from disk behave as freshly compiled ones.

Every check runs in a fresh interpreter: installing the cache changes ``regex`` for the
whole process, and the patterns must be compiled after it (at import of the extractors).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, cache: Path, **env) -> str:
    e = {k: v for k, v in os.environ.items() if k != "VNPLAN_REGEX_CACHE"}
    e.update(VNPLAN_CACHE_DIR=str(cache), **env)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=REPO, env=e, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


_WARM = """
    import json
    from pipeline import regex_cache as R
    on = R.install()
    import pipeline.engines.warm  # every extractor, and a plan through every stage
    st = R._state
    R.save()  # (warm saved it already)
    print(json.dumps({"on": on, "entries": len(st["entries"]) if st else 0, "compiled": st["misses"] if st else 0,
                      "saved": any(R.cache_dir().glob("regex-*.json"))}))
"""


@pytest.fixture(scope="module")
def filled_cache(tmp_path_factory) -> Path:
    cache = tmp_path_factory.mktemp("regex-cache")
    first = json.loads(_python(_WARM, cache))
    assert first["on"] and first["saved"] and first["entries"] > 200 and first["compiled"] == first["entries"]
    return cache


def test_first_process_fills_the_cache_and_the_next_compiles_nothing(filled_cache):
    files = list(filled_cache.glob("regex-*.json"))
    assert len(files) == 1
    again = json.loads(_python(_WARM, filled_cache))
    # the pattern strings are the same in every process (alternations are sorted fully,
    # not by length alone over a set), so a second process finds every one of them
    assert again == {"on": True, "entries": again["entries"], "compiled": 0, "saved": True}


def test_cached_patterns_match_as_fresh_ones(filled_cache):
    out = _python("""
        from pathlib import Path
        from pipeline import regex_cache as R
        R.install()
        import pipeline.engines.warm
        from pipeline.ingest import read
        from pipeline.normalize import normalize
        texts = []
        for p in sorted(Path("data/samples").glob("*.txt")):
            texts += [p.read_text(encoding="utf-8"), normalize(read(p)).text]
        texts += ["Căn cứ Nghị quyết số 75/NQ-HĐND ngày 09/12/2024 của HĐND tỉnh; Sở Nội vụ chủ trì, "
                  "báo cáo trước ngày 15/12/2026, hằng quý (trước ngày 10 của tháng cuối quý).", ""]
        print(len(R._state["entries"]), R.check_entries(texts))
    """, filled_cache)
    n, bad = out.split(" ", 1)
    assert int(n) > 200
    assert bad.strip() == "[]"


def test_the_pipeline_gives_the_same_rows_with_and_without_the_cache(filled_cache, tmp_path):
    code = """
        import json, sys
        from pipeline import regex_cache as R
        R.install()
        from pipeline.runner import process_file
        rows = {}
        for p in sorted(__import__("pathlib").Path("data/samples").glob("*.txt")):
            res = process_file(p)
            rows[p.name] = {t: [{k: v for k, v in r.items() if k != "seconds"} for r in rs]
                            for t, rs in res.tables.items()}
        print(json.dumps(rows, default=str, sort_keys=True))
    """
    with_cache = _python(code, filled_cache)
    without = _python(code, tmp_path / "unused", VNPLAN_REGEX_CACHE="0")
    assert not (tmp_path / "unused").exists()
    assert json.loads(with_cache) == json.loads(without)


def test_a_damaged_cache_file_is_ignored_and_replaced(tmp_path):
    cache = tmp_path / "c"
    _python(_WARM, cache)
    (path,) = cache.glob("regex-*.json")
    good = json.loads(path.read_text(encoding="utf-8"))
    # every entry's code emptied, hash left as it was: the C compiler must never see it
    emptied = {k: [e[0], []] + e[2:] for k, e in json.loads(good["entries"]).items()}
    for damage in ("not json", "[]", json.dumps({**good, "entries": json.dumps(emptied)}),
                   json.dumps({**good, "format": 99})):
        path.write_text(damage, encoding="utf-8")
        res = json.loads(_python(_WARM, cache))
        # compiled as usual, and the file written anew
        assert res["on"] and res["compiled"] == res["entries"] > 200
        assert json.loads(path.read_text(encoding="utf-8"))["format"] == 1


def test_switched_off_and_unwritable(tmp_path):
    off = json.loads(_python(_WARM, tmp_path / "off", VNPLAN_REGEX_CACHE="0"))
    assert off == {"on": False, "entries": 0, "compiled": 0, "saved": False}
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = json.loads(_python(_WARM, blocker / "sub"))  # the cache directory cannot be made
    assert res["on"] and res["compiled"] > 200 and res["saved"] is False


def test_saving_keeps_what_another_process_saved_meanwhile(filled_cache, tmp_path):
    # A first `vnplan run`: its main process and its fork server both start on an empty cache;
    # whichever saves last must not drop the other's patterns.
    (full,) = filled_cache.glob("regex-*.json")
    n_full = len(json.loads(json.loads(full.read_text(encoding="utf-8"))["entries"]))
    out = _python(f"""
        import shutil
        from pipeline import regex_cache as R
        R.install()  # an empty cache
        import regex
        regex.compile("only in this process: [0-9]+ ngày")
        R.cache_dir().mkdir(parents=True)
        shutil.copy({str(full)!r}, R.cache_path())  # the other process saved meanwhile
        print(R.save(), len(R._load(R.cache_path())))
    """, tmp_path / "c")
    saved, n = out.split()
    assert saved == "True" and int(n) == n_full + 1
