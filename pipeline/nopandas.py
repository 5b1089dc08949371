"""Keep pandas out of a process that only converts Python values to Arrow.

pyarrow's conversion of Python lists (``pa.array``, ``Table.from_pylist``) imports pandas
the first time it runs, only to recognise pandas' own null values (``pd.NA``, ``NaT``),
and tries again on every conversion until the import succeeds. Importing pandas costs
about 0.7 CPU-seconds, a sixth of a whole `vnplan run` over 600 documents on two cores,
and the rows the pipeline produces never hold pandas values. ``vnplan run`` therefore
refuses the import in its main process (the only process that writes Parquet);
``pipeline.run()`` called from a user's program leaves pandas alone.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator


class _RefusePandas:
    """A ``sys.meta_path`` finder that makes ``import pandas`` fail with a clear message."""

    @staticmethod
    def find_spec(name: str, path=None, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError(f"{name} is not imported while `vnplan run` writes tables (see pipeline/nopandas.py)",
                              name=name)
        return None


@contextmanager
def pandas_refused() -> Iterator[bool]:
    """Within the block ``import pandas`` raises ImportError, unless pandas is already loaded.

    Yields whether the import is refused.

    >>> import pyarrow as pa
    >>> with pandas_refused():
    ...     pa.array(["a", None]).null_count
    1
    """
    if "pandas" in sys.modules:  # loaded already: refusing it now would only break its users
        yield False
        return
    sys.meta_path.insert(0, _RefusePandas)
    try:
        yield True
    finally:
        sys.meta_path.remove(_RefusePandas)
