"""The installed truce's version, stamped on results, stores and charts (no numerics
imported, so the command line's ``--version`` answers at once)."""

from __future__ import annotations

from importlib import metadata


def truce_version() -> str | None:
    """The installed truce's version (where a result came from), if it is installed."""
    try:
        return metadata.version("truce")
    except metadata.PackageNotFoundError:
        return None
