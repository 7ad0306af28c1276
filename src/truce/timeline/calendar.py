"""The phases of a dated scenario: the spans of time over which its measures stay put.

A measure is in force on dates ``d`` with ``start <= d < end`` (docs/scenarios.md), so the
set of measures in force can change only on a ``start`` or ``end`` date.  The distinct
change dates ``d_1 < d_2 < ... < d_k`` cut time into ``k + 1`` phases::

    before d_1,  [d_1, d_2),  ...,  [d_{k-1}, d_k),  from d_k

and within one phase the same measures are in force on every day, so one equilibrium
per phase describes the whole path.

* Each dated phase is solved at its ``start``.
* The leading phase "before ``d_1``" (``start`` is ``None``) is always included, so the
  pre-measure state is part of the path: it holds the undated measures and those whose
  only bound is an ``end``; when every measure is dated, it is the baseline.  It is
  solved at ``d_1`` minus one day (any earlier day gives the same measures).
* The last phase is open (``end`` is ``None``).
* A scenario without dates (or without measures) is a single phase with neither bound,
  solved with no date, that is with every measure in force, exactly as ``truce run``
  without ``--date``.

Nothing here reads a clock: the phases depend on the scenario alone.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from itertools import pairwise

from truce.policy.compile import change_dates
from truce.policy.spec import Scenario

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Phase:
    """A span ``start <= d < end`` over which the same measures are in force.

    ``None`` bounds are open: a phase with ``start=None`` reaches back indefinitely and
    one with ``end=None`` forward.
    """

    start: datetime.date | None
    end: datetime.date | None
    name: str | None = None
    """What the scenario calls the phase (its ``phases`` key), if it names it."""

    def __post_init__(self) -> None:
        """Reject an empty span."""
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValueError(f"empty phase: end {self.end} is not after start {self.start}")

    @property
    def date(self) -> datetime.date | None:
        """The day the phase is solved at: its start, the day before its end when it
        has no start, and ``None`` (every measure in force) when it has neither."""
        if self.start is not None:
            return self.start
        if self.end is not None:
            return self.end - _ONE_DAY
        return None

    @property
    def label(self) -> str:
        """A short human-readable name: ``before D``, ``D1 to D2``, ``from D`` or ``always``."""
        if self.start is None:
            return "always" if self.end is None else f"before {self.end.isoformat()}"
        if self.end is None:
            return f"from {self.start.isoformat()}"
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def title(self) -> str:
        """The phase's name and span (``Busan deal (2025-11-10 to 2026-02-24)``), or its
        span alone when it has no name."""
        return self.label if self.name is None else f"{self.name} ({self.label})"

    def contains(self, day: datetime.date) -> bool:
        """True iff ``start <= day < end`` (open bounds always hold)."""
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


def phases(scenario: Scenario) -> tuple[Phase, ...]:
    """The phases of ``scenario`` in date order (see the module docstring).

    Consecutive phases share a bound (one's ``end`` is the next one's ``start``), the first
    has no ``start`` and the last no ``end``.  Each phase takes the name the scenario's
    ``phases`` key gives its start date (``before`` for the leading phase).
    """
    dates = change_dates(scenario)
    names = dict(scenario.phase_names)
    if not dates:
        return (Phase(None, None, names.get(None)),)
    bounds: list[datetime.date | None] = [None, *dates, None]
    if dates[0] == datetime.date.min:  # nothing can come before the first day
        bounds = bounds[1:]
    return tuple(Phase(a, b, names.get(a)) for a, b in pairwise(bounds))
