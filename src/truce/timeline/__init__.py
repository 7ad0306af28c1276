"""Time ordering of dated policies and repeated solving.

:func:`phases` cuts a scenario's dates into the spans over which the same measures are
in force; :func:`solve_path` solves one equilibrium per phase, each warm-started from
the one before.  No I/O and no "today": every date comes from the scenario.
"""

from truce.timeline.calendar import Phase as Phase
from truce.timeline.calendar import phases as phases
from truce.timeline.path import PathStep as PathStep
from truce.timeline.path import Progress as Progress
from truce.timeline.path import SolvePhase as SolvePhase
from truce.timeline.path import solve_path as solve_path

__all__ = ["PathStep", "Phase", "Progress", "SolvePhase", "phases", "solve_path"]
