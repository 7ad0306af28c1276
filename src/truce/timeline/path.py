"""Solve a sequence of phases, each warm-started from the one before.

Consecutive phases usually differ by a few measures, so the previous phase's solution
(wages, price indices, spending and any constraint equivalents) is a good first guess
for the next one.  A warm start changes how the solver gets to the equilibrium, not
where it ends: every phase is solved to the same tolerance as a cold solve.  The solve
itself is the caller's (any model): :func:`solve_path` only orders the phases, threads
the warm start through them and reports progress.

Pure: no I/O and no clock; progress is reported through an optional callback.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

from truce.timeline.calendar import Phase

Solved = TypeVar("Solved")
Start = TypeVar("Start")

SolvePhase = Callable[[datetime.date | None, Start | None], tuple[Solved, Start | None]]
"""``solve_phase(day, start)``: solve the measures in force on ``day`` (``None``: every
measure) from the warm start ``start`` (``None``: cold), returning the result and the
warm start for the next phase."""

Progress = Callable[[int, int, Phase], None]
"""``progress(done, total, phase)``: ``done`` of ``total`` phases are solved and
``phase`` is the one being solved next (the last one once ``done == total``)."""


class PathStep(NamedTuple, Generic[Solved]):
    """One solved phase: the phase and what solving it gave."""

    phase: Phase
    solved: Solved


def solve_path(
    phases: Sequence[Phase],
    solve_phase: SolvePhase,
    *,
    progress: Progress | None = None,
) -> list[PathStep]:
    """Solve every phase in order, warm-starting each from the last.

    ``progress``, when given, is called before each phase is solved and once after the
    last, as ``progress(done, total, phase)``.  An error raised for a phase (for example
    :class:`~truce.errors.NonConvergenceError`) propagates; nothing of the path is
    returned then.
    """
    total = len(phases)
    steps: list[PathStep] = []
    start = None
    for done, phase in enumerate(phases):
        if progress is not None:
            progress(done, total, phase)
        solved, start = solve_phase(phase.date, start)
        steps.append(PathStep(phase, solved))
    if progress is not None and phases:
        progress(total, total, phases[-1])
    return steps
