"""Pure functions from a normalized ``pipeline.document.Document`` to typed records.

One module per kind of record: ``metadata``, ``citations``, ``deadlines``, ``units``.
Every record is a dataclass with ``start``/``end``/``raw`` such that
``doc.text[start:end] == raw``, and a ``to_row()`` giving its output-table columns.
"""
