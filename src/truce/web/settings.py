"""The web app's settings: where runs are kept and the limits that protect the server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from truce.errors import InputError

#: Defaults of the limits (see :class:`WebSettings`).
KIB = 1024


@dataclass(frozen=True)
class WebSettings:
    """Everything :func:`truce.web.create_app` needs to know; nothing else is global.

    The limits keep one person's requests from exhausting the machine: every request
    body, scenario text, elasticity-draw count, solve and queue is bounded.
    """

    store: Path | None = None
    """The run store's database file; ``None``: the command line's default (``TRUCE_STORE``,
    else ``runs.duckdb`` in the user's data folder)."""
    temporary_store: bool = False
    """Keep runs in a temporary store removed when the app stops (also what happens when
    ``store`` is ``None`` and ``TRUCE_STORE=off``)."""
    worlds: tuple[str, ...] | None = None
    """The built-in worlds the app offers (``None``: all of them).  Only built-in worlds
    are ever loaded: a request never names a folder."""
    allowed_hosts: tuple[str, ...] | None = None
    """Host names requests may be addressed to (``None``: any).  A server on the loopback
    address lists its own names, so a web page elsewhere cannot reach it through a host
    name that resolves to this machine."""
    max_request_bytes: int = 256 * KIB
    """Largest request body accepted (413 beyond)."""
    body_timeout: float = 30.0
    """Seconds a request's whole body may take to arrive (408 beyond), so that clients
    sending headers and half a body cannot hold connections open."""
    max_scenario_bytes: int = 64 * KIB
    """Largest scenario text accepted, in UTF-8 bytes (413 beyond)."""
    max_measures: int = 500
    """Most measures one scenario may have (413 beyond)."""
    max_draws: int = 200
    """Most elasticity draws one run may ask for."""
    solve_timeout: float = 300.0
    """Seconds one job may run in the worker before it is stopped and fails."""
    queue_size: int = 8
    """Jobs that may wait behind the running one (429 beyond)."""
    max_jobs: int = 100
    """Jobs remembered, finished ones forgotten oldest first."""
    max_timelines: int = 10
    """Timeline results (JSON and HTML report) kept in memory, oldest dropped first."""
    max_reports: int = 8
    """Rendered run reports kept in memory for quick reloads."""
    worker_start_timeout: float = 180.0
    """Seconds the worker process may take to start (import the model, warm up)."""

    def __post_init__(self) -> None:
        """Check that every limit is positive and that the limits fit together."""
        for name in (
            "max_request_bytes",
            "max_scenario_bytes",
            "max_measures",
            "queue_size",
            "max_timelines",
            "max_reports",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise InputError(f"web setting {name} must be a positive integer, not {value!r}")
        if not isinstance(self.max_draws, int) or self.max_draws < 0:
            raise InputError(f"web setting max_draws must be 0 or more, not {self.max_draws!r}")
        for name in ("solve_timeout", "worker_start_timeout", "body_timeout"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not value > 0:
                raise InputError(f"web setting {name} must be a positive number, not {value!r}")
        if self.max_jobs < self.queue_size + 1:
            raise InputError(
                f"web setting max_jobs ({self.max_jobs}) must exceed queue_size "
                f"({self.queue_size}): every waiting job and the running one are remembered"
            )
        if self.worlds is not None and not self.worlds:
            raise InputError("web setting worlds must name at least one built-in world")
