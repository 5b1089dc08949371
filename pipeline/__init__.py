"""vnplan: Vietnamese official plans -> sections, citations, deadlines, units as Parquet.

Python API (mirrors the CLI)::

    from pipeline import process_text, process_file, run

    result = process_text(open("plan.txt").read())
    result.tables["citations"]          # list of row dicts, columns as in pipeline.schema
    result.document.text                # the normalized text all offsets point into

    summary = run(["data/samples"], out="out")   # like `vnplan run data/samples --out out`
"""

__version__ = "0.1.0"
# Bump when a change alters what the pipeline extracts, so incremental runs redo documents.
PIPELINE_VERSION = "1"

__all__ = ["DocumentResult", "process_file", "process_raw", "process_text", "run", "__version__"]

_LAZY = {"DocumentResult": "runner", "process_file": "runner", "process_raw": "runner", "process_text": "runner",
         "run": "batch"}


def __getattr__(name: str):
    # The API is imported on first use, so that `vnplan` can start its workers' fork server
    # before it pays for importing the pipeline itself (pipeline.engines.server.prestart).
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value
