"""``truce``: run scenarios and manage worlds from the terminal.

Exit codes (docs/cli.md): 0 success, 1 the model failed (nothing is written),
2 bad input (the message names what is wrong).  Progress goes to stderr, results to
stdout or to the named files.
"""

from __future__ import annotations

import sys

from truce.cli import frameworks, games, runs, serve, solve, sweep_command, worlds  # noqa: F401  (they register commands)
from truce.cli._common import app

__all__ = ["app", "main"]


def main() -> None:
    """Console entry point."""
    # Text that cannot be encoded (a lone surrogate in a world's name, say) is printed
    # escaped rather than failing after the results were written.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    try:
        app(obj={"compilation_cache": True})
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.exit(130)
