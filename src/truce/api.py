"""Use-cases: load a world and a scenario, solve, tabulate.  The CLI and the web call these."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date as Date
from importlib import resources
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd

from truce.data.calibrate import world_to_baseline
from truce.data.catalogue import CATALOGUE, products_for
from truce.data.products import split_products
from truce.data.sources.icio2022 import DEFAULT_ELASTICITIES, ELASTICITY_SOURCES
from truce.data.summary import WorldSummary, summarize_world
from truce.data.world import World, builtin_worlds, load_world
from truce.errors import ScenarioError
from truce.importers import build_world, import_world
from truce.model.baseline import Baseline, Shock
from truce.model.solve import DEFAULT_MAX_STEPS, Equilibrium, solve
from truce.model.welfare import rebase, region_outcomes
from truce.policy.compile import (
    CompiledScenario,
    compile_scenario_full,
    in_force,
)
from truce.policy.parse import read_scenario
from truce.policy.spec import Scenario
from truce.report.result import Result, SolverStats
from truce.report.tables import region_table, trade_table
from truce.report.timeline import (
    PhaseResult,
    TimelineResult,
    bilateral_table,
    goods_sectors,
    timeline_table,
)
from truce.timeline.calendar import Phase, phases
from truce.timeline.path import Progress, solve_path

#: The model every scenario runs on until others are added.
MODEL_NAME = "caliendo-parro"

#: A constraint binds iff its equivalent rate exceeds this (CONTRACTS §3).
BINDING_RATE = 1e-9

#: Trade-elasticity sources ``build_world`` accepts (``--elasticities``).
ELASTICITY_CHOICES: tuple[str, ...] = tuple(ELASTICITY_SOURCES)

__all__ = [
    "DEFAULT_ELASTICITIES",
    "DEFAULT_MAX_STEPS",
    "ELASTICITY_CHOICES",
    "MODEL_NAME",
    "Phase",
    "World",
    "WorldSummary",
    "build_world",
    "builtin_scenarios",
    "builtin_worlds",
    "import_world",
    "load_scenario",
    "load_world",
    "run",
    "timeline",
    "with_products",
    "world_summary",
]


def _scenario_folder():
    return resources.files("truce") / "scenarios"


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions."""
    found: dict[str, str] = {}
    for entry in sorted(_scenario_folder().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            scenario = read_scenario(Path(str(entry)))
            found[entry.name.removesuffix(".yaml")] = scenario.description
    return found


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a scenario file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        if not candidate.is_file():
            raise ScenarioError("no such scenario file", path=str(candidate))
        return read_scenario(candidate)
    entry = _scenario_folder() / f"{name_or_path}.yaml"
    if not entry.is_file():
        known = ", ".join(sorted(builtin_scenarios())) or "none"
        raise ScenarioError(
            f"unknown scenario {str(name_or_path)!r}: not a file and not a built-in "
            f"scenario (built-in: {known})"
        )
    return read_scenario(Path(str(entry)))


def world_summary(world: World | str | Path) -> WorldSummary:
    """The numbers ``truce world show`` prints for a world (a name, a folder or a World)."""
    if not isinstance(world, World):
        world = load_world(world)
    return summarize_world(world)


def with_products(world: World, scenario: Scenario) -> World:
    """``world`` split into the catalogue's products that ``scenario``'s measures name.

    Each named product's entries in :data:`truce.data.catalogue.CATALOGUE` whose parent
    sector the world has become sub-sectors ``SECTOR.PRODUCT`` (see
    :func:`truce.data.products.split_products`); a world without such measures comes
    back unchanged.  A name the catalogue lacks raises :class:`ScenarioError` at the
    line of the first measure naming it, key ``product``.
    """
    named = [m for m in scenario.measures if m.product is not None]
    if not named:
        return world
    try:
        products = products_for(world, (m.product for m in named if m.product is not None))
    except KeyError as missing:
        name = missing.args[0]
        measure = next(m for m in named if m.product == name)
        raise ScenarioError(
            f"unknown product {name!r}: the product catalogue has {', '.join(CATALOGUE)}",
            path=scenario.path,
            line=measure.line_of("product"),
            key="product",
        ) from None
    return split_products(world, products)


def _zero_deficit_base(
    baseline: Baseline, max_steps: int = DEFAULT_MAX_STEPS
) -> tuple[Baseline, Equilibrium]:
    """The baseline re-solved with every deficit closed, as CP2015 do for Table 2."""
    closing = Shock(
        tau_sni=baseline.tau_sni,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=jnp.zeros_like(baseline.deficit_n),
    )
    eq = solve(baseline, closing, max_steps=max_steps)
    return rebase(baseline, closing, eq), eq


@dataclass(frozen=True)
class _Prepared:
    """A world and scenario made ready to solve: products split, base chosen."""

    world: World
    scenario: Scenario
    world_baseline: Baseline
    base: Baseline
    """The world's baseline, or its zero-deficit equilibrium under ``deficits: zero``."""
    zero_deficits: bool
    started: float
    iterations: int
    """Iterations and Jacobians already spent (the zero-deficit base solve)."""
    jacobians: int


def _prepare(
    world: World | str | Path, scenario: Scenario | str | Path, max_steps: int
) -> _Prepared:
    """Load what is named, split the scenario's products, solve the base if needed."""
    if not isinstance(world, World):
        world = load_world(world)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    world = with_products(world, scenario)
    world_baseline = world_to_baseline(world)
    started = time.perf_counter()
    base, iterations, jacobians = world_baseline, 0, 0
    zero_deficits = scenario.options.deficits == "zero"
    if zero_deficits:
        base, base_eq = _zero_deficit_base(world_baseline, max_steps)
        iterations, jacobians = int(base_eq.iterations), int(base_eq.jacobians)
    return _Prepared(
        world, scenario, world_baseline, base, zero_deficits, started, iterations, jacobians
    )


def run(
    world: World | str | Path,
    scenario: Scenario | str | Path,
    *,
    date: Date | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
) -> Result:
    """Solve ``scenario`` on ``world`` and return its results.

    ``date`` applies only the measures in force on that day; ``max_steps`` caps the
    solver's outer iterations (each solve's).  When measures name products, the world
    is first split into the catalogue's products (:func:`with_products`), and results
    carry the sub-sector codes (``A01.soybeans``).  Raises
    :class:`~truce.errors.ScenarioError` for a scenario that does not fit the world and
    :class:`~truce.errors.NonConvergenceError` when the solver fails.
    """
    p = _prepare(world, scenario, max_steps)
    world, scenario, world_baseline, base = p.world, p.scenario, p.world_baseline, p.base
    started, iterations, jacobians = p.started, p.iterations, p.jacobians
    zero_deficits = p.zero_deficits
    compiled = compile_scenario_full(scenario, base, date=date)
    shock = compiled.shock
    eq = solve(base, shock, max_steps=max_steps)
    seconds = time.perf_counter() - started

    outcomes = region_outcomes(base, shock, eq)
    return Result(
        scenario=scenario.name,
        world=world.name,
        date=date,
        model=MODEL_NAME,
        solver=SolverStats(
            converged=bool(eq.converged),
            iterations=iterations + int(eq.iterations),
            residual=float(eq.residual),
            seconds=seconds,
            jacobians=jacobians + int(eq.jacobians),
        ),
        regions=region_table(base, outcomes),
        trade=trade_table(world_baseline, eq, base if zero_deficits else None),
        measures=_measure_table(scenario, date, compiled, eq),
    )


def timeline(
    world: World | str | Path,
    scenario: Scenario | str | Path,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: Progress | None = None,
) -> TimelineResult:
    """Solve ``scenario`` on ``world`` once per phase of its dates, in date order.

    The phases are the spans between consecutive ``start``/``end`` dates, led by the
    span before the first date (see :mod:`truce.timeline.calendar`); each phase's
    result is the one :func:`run` gives on the day it is solved at (``result.date``),
    the solver warm-started from the previous phase.  Under ``deficits: zero`` one
    zero-deficit base serves every phase.  ``progress(done, total, phase)``, when given,
    is called before each phase is solved and once after the last.  Each phase's solver
    statistics are its own solve's; :attr:`TimelineResult.solver` totals them with the
    zero-deficit base.  Raises like :func:`run`.
    """
    p = _prepare(world, scenario, max_steps)
    world, scenario, world_baseline, base = p.world, p.scenario, p.world_baseline, p.base
    started, iterations, jacobians = p.started, p.iterations, p.jacobians
    zero_deficits = p.zero_deficits

    marks: list[float] = []

    def timed(done: int, total: int, phase: Phase) -> None:
        marks.append(time.perf_counter())
        if progress is not None:
            progress(done, total, phase)

    compiled: dict[Date | None, CompiledScenario] = {}

    def compile_phase(day: Date | None) -> Shock:
        compiled[day] = compile_scenario_full(scenario, base, date=day)
        return compiled[day].shock

    steps = solve_path(base, phases(scenario), compile_phase, max_steps=max_steps, progress=timed)
    solved: list[PhaseResult] = []
    for k, (phase, shock, eq) in enumerate(steps):
        iterations += int(eq.iterations)
        jacobians += int(eq.jacobians)
        result = Result(
            scenario=scenario.name,
            world=world.name,
            date=phase.date,
            model=MODEL_NAME,
            solver=SolverStats(
                converged=bool(eq.converged),
                iterations=int(eq.iterations),
                residual=float(eq.residual),
                seconds=marks[k + 1] - marks[k],
                jacobians=int(eq.jacobians),
            ),
            regions=region_table(base, region_outcomes(base, shock, eq)),
            trade=trade_table(world_baseline, eq, base if zero_deficits else None),
            measures=_measure_table(scenario, phase.date, compiled[phase.date], eq),
        )
        solved.append(PhaseResult(phase.start, phase.end, result))
    return TimelineResult(
        scenario=scenario.name,
        world=world.name,
        model=MODEL_NAME,
        solver=SolverStats(
            converged=all(p.result.solver.converged for p in solved),
            iterations=iterations,
            residual=max(p.result.solver.residual for p in solved),
            seconds=time.perf_counter() - started,
            jacobians=jacobians,
        ),
        phases=solved,
        table=timeline_table(solved),
        bilateral=bilateral_table(solved, goods_sectors(world_baseline)),
    )


def _measure_table(
    scenario: Scenario,
    date: Date | None,
    compiled: CompiledScenario | None = None,
    eq: Equilibrium | None = None,
) -> pd.DataFrame:
    """One row per measure in file order (CONTRACTS §3), from its compiled constraints.

    ``equivalent_rate``: for an export cap, the baseline-flow-weighted mean of its
    cells' export-tax equivalents (a cell where another cap binds first counts 0);
    ``None`` (JSON null) for a ban (share 0), which is always ``binding``; for an import
    floor, its import-subsidy equivalent; ``None`` for kinds without a constraint
    (tariff, trade_cost, export_tax, port_fee) and for measures not in force.
    ``binding`` is true iff the rate exceeds 1e-9.  ``cells`` counts the foreign cells
    with a baseline flow that the measure covers (``None`` when not in force).  Without
    ``compiled`` and ``eq`` no constraint is known: every rate is ``None``.
    """
    active = {m.index for m in in_force(scenario, date)}
    rates: dict[int, float | None] = {}
    if compiled is not None and eq is not None:
        rates = compiled.equivalent_rates(np.asarray(eq.cap_rate_k), np.asarray(eq.floor_rate_f))
    bans = compiled.bans if compiled is not None else frozenset()
    cells = compiled.cells if compiled is not None else {}
    rows = []
    for m in scenario.measures:
        rate = rates.get(m.index)
        rows.append(
            {
                "index": m.index,
                "kind": m.kind,
                "binding": m.index in bans or (rate is not None and rate > BINDING_RATE),
                "equivalent_rate": rate,
                "in_force": m.index in active,
                "cells": cells.get(m.index),
            }
        )
    columns = ["index", "kind", "binding", "equivalent_rate", "in_force", "cells"]
    frame = pd.DataFrame(rows, columns=columns)
    # Object columns keep None as None (not NaN) and counts as ints.
    for column in ("equivalent_rate", "cells"):
        frame[column] = pd.Series([row[column] for row in rows], dtype=object)
    return frame
