"""Regenerate gazetteer/data/provinces.json and communes.csv from ../shared/gazetteer-sources.

The sources (MIT, dvhcvn 2025-07-01 reform data) are not part of the repo; the generated
files are, so the package works offline. Run: python scripts/build_gazetteer.py [SOURCES_DIR]
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipeline.normalize import normalize_chars  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SRC = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "gazetteer-sources"

# Spellings seen in documents besides "Tỉnh X" / "Thành phố X" (checked against the bulk corpus).
EXTRA_ALIASES = {
    "Hồ Chí Minh": ["TP. Hồ Chí Minh", "TP.Hồ Chí Minh", "TP Hồ Chí Minh", "TP.HCM", "TP. HCM", "TPHCM", "Tp. Hồ Chí Minh", "Tp.HCM"],
    "Huế": ["Thừa Thiên Huế", "Thừa Thiên - Huế", "Thừa Thiên-Huế", "TP. Huế"],
    "Hà Nội": ["TP. Hà Nội", "Tp. Hà Nội"],
    "Đà Nẵng": ["TP. Đà Nẵng", "Tp. Đà Nẵng"],
    "Hải Phòng": ["TP. Hải Phòng", "Tp. Hải Phòng"],
    "Cần Thơ": ["TP. Cần Thơ", "Tp. Cần Thơ"],
    "Đắk Lắk": ["Đăk Lăk", "Đắc Lắc", "Daklak"],
    "Lâm Đồng": ["Đắk Nông", "Đăk Nông"],
}


def norm(s: str) -> str:
    return normalize_chars(s)[0].strip()


def short(name: str) -> tuple[str, str]:
    name = norm(name)
    for kind in ("Thành phố ", "Tỉnh "):
        if name.startswith(kind):
            return name[len(kind):], kind.strip().lower()
    return name, "tỉnh"


def main() -> None:
    provinces = []
    with open(SRC / "derived" / "provinces_34_from_63.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            name, kind = short(row["new_name"])
            old = [short(n)[0] for n in row["old_names"].split(";")]
            old = [o for o in old if o != name]
            aliases = sorted(set(EXTRA_ALIASES.get(name, [])) | set(old))
            provinces.append({
                "code": row["new_code"], "name": name, "kind": kind,
                "full_name": f"{'Thành phố' if kind == 'thành phố' else 'Tỉnh'} {name}",
                "old_names": old, "aliases": aliases,
                "examples": [f"{'thành phố' if kind == 'thành phố' else 'tỉnh'} {name}"] + [f"tỉnh {o}" for o in old[:1]],
            })
    data = {
        "source": "dvhcvn 20250701 (MIT), see gazetteer/LICENSES/dvhcvn-MIT.txt; aliases checked against real documents",
        "provinces": provinces,
    }
    (ROOT / "gazetteer" / "data" / "provinces.json").write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    merges = json.load(open(SRC / "dvhcvn_20250701" / "merges.json", encoding="utf-8"))
    by_code = {p["code"]: p["name"] for p in provinces}
    rows = []
    for p in merges["data"]:
        for c in p["level2s"]:
            full = norm(c["name"])
            unit_type, _, cname = full.partition(" ")
            if unit_type == "Đặc":  # "Đặc khu X"
                unit_type, cname = "Đặc khu", cname.partition(" ")[2]
            rows.append([p["level1_id"], by_code[p["level1_id"]], c["level2_id"], unit_type.lower(), cname])
    with open(ROOT / "gazetteer" / "data" / "communes.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["province_code", "province", "commune_code", "unit_type", "name"])
        w.writerows(rows)
    print(f"{len(provinces)} provinces, {len(rows)} communes")


if __name__ == "__main__":
    main()
