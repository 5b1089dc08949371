"""Subcommands of ``vnplan``: one module each, exposing ``register(subparsers)``."""
