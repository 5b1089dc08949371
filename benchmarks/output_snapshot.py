"""Save, then compare, the pipeline's whole output on a corpus: the safety net of speed work.

    python benchmarks/output_snapshot.py save /tmp/before.pkl       # before changing anything
    python benchmarks/output_snapshot.py compare /tmp/before.pkl    # after each change

Every table row of every document (bulk corpus + bundled samples + sample PDFs), timings and
paths left out. ``compare`` exits 1 and prints the first differing rows when anything changed,
so an optimisation that claims "same output" can prove it.
"""

from __future__ import annotations

import argparse
import pickle
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BULK = REPO.parent / "shared" / "corpus" / "bulk"
VOLATILE = ("seconds", "source_path")


def default_files() -> list[Path]:
    files = sorted(p for p in BULK.rglob("*") if p.is_file() and p.suffix != ".tsv") if BULK.is_dir() else []
    return files + sorted((REPO / "data" / "samples").glob("*.txt")) + sorted((REPO / "data" / "samples_pdf").glob("*.pdf"))


def output(path: Path) -> dict[str, list[dict]]:
    from pipeline.runner import process_file

    return {name: [{k: v for k, v in row.items() if k not in VOLATILE} for row in rows]
            for name, rows in process_file(path).tables.items()}


def first_difference(want: dict, got: dict) -> list[str]:
    lines = []
    for name in sorted(set(want) | set(got)):
        w, g = want.get(name, []), got.get(name, [])
        if w == g:
            continue
        lines.append(f"  table {name}: {len(w)} rows before, {len(g)} now")
        for a, b in zip(w, g):
            if a != b:
                lines += [f"    {k}: {str(a.get(k))[:120]!r} -> {str(b.get(k))[:120]!r}"
                          for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
                break
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=("save", "compare"))
    ap.add_argument("snapshot", type=Path)
    args = ap.parse_args(argv)
    files = default_files()
    if args.mode == "save":
        snap = {f.name: output(f) for f in files}
        args.snapshot.write_bytes(pickle.dumps(snap))
        print(f"saved the output of {len(snap)} documents to {args.snapshot}")
        return 0
    snap = pickle.loads(args.snapshot.read_bytes())
    differ = 0
    for f in files:
        got, want = output(f), snap.get(f.name)
        if want is None or got != want:
            differ += 1
            if differ <= 10:
                print(f"{f.name}: " + ("not in the snapshot" if want is None else "differs"))
                print("\n".join(first_difference(want or {}, got)))
    print(f"{differ} of {len(files)} documents differ")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
