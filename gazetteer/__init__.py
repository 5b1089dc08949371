"""Rule knowledge as data: document-type and issuer codes, provinces and communes,
agencies, known laws. One loader for all of it.

Each data file lives in ``gazetteer/data/`` as JSON (or CSV for large flat lists); every
entry carries ``examples`` that ``tests/test_gazetteer*.py`` checks, in the manner of
eyecite's reporters-db. Code elsewhere holds only machinery.

>>> provinces = load("provinces")
>>> len(provinces["provinces"])
34
"""

from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).parent / "data"


@lru_cache(maxsize=None)
def load(name: str) -> Any:
    """Load ``gazetteer/data/<name>.json`` (or ``.csv`` as a list of dicts); cached.

    Treat the result as read-only: it is shared between callers.
    """
    json_path = DATA_DIR / f"{name}.json"
    if json_path.exists():
        with json_path.open(encoding="utf-8") as f:
            return json.load(f)
    csv_path = DATA_DIR / f"{name}.csv"
    if csv_path.exists():
        with csv_path.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    raise FileNotFoundError(f"no gazetteer data named {name!r} in {DATA_DIR}")


def available() -> list[str]:
    """Names of all gazetteer data files."""
    return sorted({p.stem for p in DATA_DIR.iterdir() if p.suffix in (".json", ".csv")})
