"""Solve a sequence of phases, each equilibrium warm-started from the one before.

Consecutive phases usually differ by a few measures, so the previous phase's solution
(wages, price indices, spending and any constraint equivalents) is a good first guess
for the next one.  A warm start changes how the solver gets to the equilibrium, not
where it ends: every phase is solved to the same tolerance as a cold solve.  When two
phases have different numbers of constrained cells (caps, floors) the solver starts
cold (see :func:`truce.model.solve.solve`).

Pure: no I/O and no clock; progress is reported through an optional callback.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import NamedTuple

from truce.model.baseline import Baseline, Shock
from truce.model.solve import DEFAULT_MAX_STEPS, Equilibrium, solve
from truce.timeline.calendar import Phase

CompileFn = Callable[[datetime.date | None], Shock]
"""The shock of the measures in force on a day (``None``: every measure)."""

Progress = Callable[[int, int, Phase], None]
"""``progress(done, total, phase)``: ``done`` of ``total`` phases are solved and
``phase`` is the one being solved next (the last one once ``done == total``)."""


class PathStep(NamedTuple):
    """One solved phase: the phase, the shock in force during it and its equilibrium."""

    phase: Phase
    shock: Shock
    equilibrium: Equilibrium


def solve_path(
    baseline: Baseline,
    phases: Sequence[Phase],
    compile_fn: CompileFn,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: Progress | None = None,
) -> list[PathStep]:
    """Solve every phase in order on ``baseline``, warm-starting each from the last.

    ``compile_fn(phase.date)`` gives a phase's shock, for example
    ``lambda day: compile_scenario(scenario, baseline, date=day)``.  ``progress``, when
    given, is called before each phase is solved and once after the last, as
    ``progress(done, total, phase)``.  Raises
    :class:`~truce.errors.NonConvergenceError` for the first phase that fails; nothing
    of the path is returned then.
    """
    total = len(phases)
    steps: list[PathStep] = []
    previous: Equilibrium | None = None
    for done, phase in enumerate(phases):
        if progress is not None:
            progress(done, total, phase)
        shock = compile_fn(phase.date)
        previous = solve(baseline, shock, max_steps=max_steps, initial=previous)
        steps.append(PathStep(phase, shock, previous))
    if progress is not None and phases:
        progress(total, total, phases[-1])
    return steps
