"""Build a large benchmark archive from the bulk corpus, under /tmp (never in the repository).

    python benchmarks/make_archive.py                       # /tmp/vnplan-bench/archive-10000.zip
    python benchmarks/make_archive.py --docs 100000 --format tar.gz

Documents are the bulk corpus's, cycled; copy ``k`` of a document gets ``k`` trailing
spaces, so every member has its own content hash (an incremental run must not treat
them as duplicates) while its extracted records stay those of the original.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tarfile
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "bulk"
DEFAULT_DIR = Path("/tmp/vnplan-bench")


def build(corpus: Path, n_docs: int, dest: Path, fmt: str = "zip") -> Path:
    """Write an archive of ``n_docs`` members to ``dest``; returns its path (reused when complete)."""
    files = sorted(p for p in corpus.iterdir() if p.suffix == ".txt")
    if not files:
        raise SystemExit(f"no .txt documents in {corpus}")
    if str(dest.resolve()).startswith(str(REPO.resolve()) + os.sep):
        raise SystemExit("benchmark archives go under /tmp, not into the repository")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".tmp-{dest.name}")
    texts = [f.read_bytes() for f in files]
    if fmt == "zip":
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for i in range(n_docs):
                copy, j = divmod(i, len(files))
                zf.writestr(f"{copy:03d}/{files[j].name}", texts[j] + b" " * (copy + 1))
    else:
        with tarfile.open(tmp, "w:gz") as tf:
            for i in range(n_docs):
                copy, j = divmod(i, len(files))
                data = texts[j] + b" " * (copy + 1)
                info = tarfile.TarInfo(f"{copy:03d}/{files[j].name}")
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    os.replace(tmp, dest)
    return dest


def ensure(n_docs: int = 10_000, fmt: str = "zip", corpus: Path = DEFAULT_CORPUS,
           directory: Path = DEFAULT_DIR) -> Path:
    """The archive for ``n_docs`` documents, built once and reused."""
    dest = directory / f"archive-{n_docs}.{fmt}"
    if not dest.exists():
        build(corpus, n_docs, dest, fmt)
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--format", choices=("zip", "tar.gz"), default="zip")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    args = ap.parse_args(argv)
    dest = build(args.corpus, args.docs, args.dir / f"archive-{args.docs}.{args.format}", args.format)
    print(f"{dest}: {args.docs} documents, {dest.stat().st_size / 1e6:.1f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
