"""vnplan: Vietnamese official plans -> sections, citations, deadlines, units as Parquet.

Python API (mirrors the CLI)::

    from pipeline import process_text, process_file, run

    result = process_text(open("plan.txt").read())
    result.tables["citations"]          # list of row dicts, columns as in pipeline.schema
    result.document.text                # the normalized text all offsets point into

    summary = run(["data/samples"], out="out")   # like `vnplan run data/samples --out out`
"""

__version__ = "0.1.0"

from .runner import DocumentResult, process_file, process_raw, process_text  # noqa: E402
from .batch import run  # noqa: E402

__all__ = ["DocumentResult", "process_file", "process_raw", "process_text", "run", "__version__"]
