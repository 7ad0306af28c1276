"""Use-cases: solve a scenario on a world (once, under elasticity draws, or phase by phase)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date as Date
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pandas as pd

from truce.api.draws import DrawProgress, band_draws, cp_chunk_solver
from truce.api.ilms_run import check_measures, ilms_chunk_solver, solve_compiled
from truce.api.scenarios import load_scenario, with_products
from truce.data.calibrate import world_to_baseline, world_to_one_sector
from truce.data.elasticities import ThetaSpread, read_theta_se, theta_spread, with_theta_se
from truce.data.world import World, load_world
from truce.errors import InputError, ScenarioError
from truce.model.baseline import Baseline, Shock
from truce.model.solve import DEFAULT_MAX_STEPS, Equilibrium, solve
from truce.model.welfare import rebase, region_outcomes
from truce.policy.compile import (
    CompiledScenario,
    compile_scenario_full,
    in_force,
)
from truce.policy.spec import MODELS as SCENARIO_MODELS
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

#: The default model: worlds and scenarios that name none run on it.
MODEL_NAME = "caliendo-parro"
#: Every model a run can use (``--model``, ``options: {model: ...}``, world.toml ``model``).
MODELS: tuple[str, ...] = SCENARIO_MODELS

#: A constraint binds iff its equivalent rate exceeds this (CONTRACTS §3).
BINDING_RATE = 1e-9

def _closing_shock(baseline: Baseline) -> Shock:
    """The shock that closes every deficit and changes nothing else."""
    return Shock(
        tau_sni=baseline.tau_sni,
        cost_sni=jnp.ones_like(baseline.tau_sni),
        deficit_n=jnp.zeros_like(baseline.deficit_n),
    )


def _zero_deficit_base(
    baseline: Baseline, max_steps: int = DEFAULT_MAX_STEPS
) -> tuple[Baseline, Equilibrium]:
    """The baseline re-solved with every deficit closed, as CP2015 do for Table 2."""
    closing = _closing_shock(baseline)
    eq = solve(baseline, closing, max_steps=max_steps)
    return rebase(baseline, closing, eq), eq


def model_for(world: World, scenario: Scenario, model: str | None = None) -> str:
    """The model a run uses: ``model`` (``--model``) if given, else the scenario's
    ``options.model``, else the world's ``model``, else :data:`MODEL_NAME`.

    Raises :class:`ScenarioError` for an unknown model or a rebate rule the model lacks.
    """
    chosen = model or scenario.options.model or world.model or MODEL_NAME
    if chosen not in MODELS:
        raise ScenarioError(f"unknown model {chosen!r}: the models are {', '.join(MODELS)}")
    if chosen == MODEL_NAME and scenario.options.rebate == "income_tax":
        raise ScenarioError(
            "the caliendo-parro model rebates tariff revenue lump-sum; the income_tax "
            "rebate is in the ilms2025 model",
            path=scenario.path,
            line=scenario.options.line_of("rebate"),
            key="rebate",
        )
    return chosen


def _check_deficits(scenario: Scenario, model: str) -> None:
    """``deficits: zero`` is a caliendo-parro option: a ScenarioError at its line otherwise."""
    if scenario.options.deficits == "zero" and model != MODEL_NAME:
        raise ScenarioError(
            f"the {model} model keeps its transfers (deficits: fixed); deficits: zero is "
            "a caliendo-parro option",
            path=scenario.path,
            line=scenario.options.line_of("deficits"),
            key="deficits",
        )


def check(
    world: World | str | Path,
    scenario: Scenario | str | Path,
    *,
    date: Date | None = None,
    model: str | None = None,
    every_phase: bool = False,
    draws: int = 0,
) -> None:
    """Every check :func:`run` makes before it solves, and nothing else: the model and
    its options fit the world and the scenario, the products are in the catalogue,
    every code, sector and measure in force on ``date`` (with ``every_phase``: on each
    day :func:`timeline` solves) fits the world, and with ``draws`` the world has
    standard errors for its elasticities.  Raises
    :class:`~truce.errors.ScenarioError` (or another input error) as :func:`run` would.
    """
    if not isinstance(world, World):
        world = load_world(world)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    chosen = model_for(world, scenario, model)
    _check_deficits(scenario, chosen)
    if draws:
        _spread(world)
    if chosen != MODEL_NAME:
        world_to_one_sector(world, chosen)
    baseline = world_to_baseline(with_products(world, scenario))
    days = [phase.date for phase in phases(scenario)] if every_phase else [date]
    for day in days:
        if chosen != MODEL_NAME:
            check_measures(scenario, day)
        compile_scenario_full(scenario, baseline, date=day)


@dataclass(frozen=True)
class _Prepared:
    """A world and scenario made ready to solve: products split, base chosen."""

    model: str
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
    world: World | str | Path,
    scenario: Scenario | str | Path,
    max_steps: int,
    model: str | None = None,
    theta_se: pd.DataFrame | str | Path | None = None,
) -> _Prepared:
    """Load what is named, attach a standard-error table, split the scenario's products,
    solve the base if needed."""
    if not isinstance(world, World):
        world = load_world(world)
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if theta_se is not None:
        table = theta_se if isinstance(theta_se, pd.DataFrame) else read_theta_se(theta_se, world)
        world = with_theta_se(world, table)
    model = model_for(world, scenario, model)
    _check_deficits(scenario, model)
    world = with_products(world, scenario)
    world_baseline = world_to_baseline(world)
    started = time.perf_counter()
    base, iterations, jacobians = world_baseline, 0, 0
    zero_deficits = scenario.options.deficits == "zero"
    if zero_deficits:
        base, base_eq = _zero_deficit_base(world_baseline, max_steps)
        iterations, jacobians = int(base_eq.iterations), int(base_eq.jacobians)
    return _Prepared(
        model, world, scenario, world_baseline, base, zero_deficits, started, iterations, jacobians
    )


@dataclass(frozen=True)
class _Solved:
    """One solve's tables and statistics, whichever model ran."""

    regions: pd.DataFrame
    trade: pd.DataFrame
    measures: pd.DataFrame
    converged: bool
    iterations: int
    residual: float
    jacobians: int
    equilibrium: Equilibrium | None
    """The Caliendo–Parro equilibrium (to warm-start the next phase), if that model ran."""
    compiled: CompiledScenario
    """The measures in force, compiled (elasticity draws solve them again)."""


def _rebate(scenario: Scenario) -> str:
    """How the ilms2025 model rebates tariff revenue: the scenario's rule, else the
    income tax (the paper's case 1)."""
    return scenario.options.rebate or "income_tax"


def _solve_one(
    p: _Prepared,
    date: Date | None,
    max_steps: int,
    initial: Equilibrium | None = None,
) -> _Solved:
    """Compile the measures in force on ``date`` and solve them with the run's model."""
    scenario, base = p.scenario, p.base
    if p.model != MODEL_NAME:
        check_measures(scenario, date)
    compiled = compile_scenario_full(scenario, base, date=date)
    if p.model != MODEL_NAME:
        run = solve_compiled(p.world, compiled, rebate=_rebate(scenario), max_steps=max_steps)
        return _Solved(
            run.regions,
            run.trade,
            _measure_table(scenario, date, compiled),
            run.converged,
            run.iterations,
            run.residual,
            run.jacobians,
            None,
            compiled,
        )
    shock = compiled.shock
    eq = solve(base, shock, max_steps=max_steps, initial=initial)
    return _Solved(
        region_table(base, region_outcomes(base, shock, eq)),
        trade_table(p.world_baseline, eq, base if p.zero_deficits else None),
        _measure_table(scenario, date, compiled, eq),
        bool(eq.converged),
        int(eq.iterations),
        float(eq.residual),
        int(eq.jacobians),
        eq,
        compiled,
    )


def run(
    world: World | str | Path,
    scenario: Scenario | str | Path,
    *,
    date: Date | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    model: str | None = None,
    draws: int = 0,
    seed: int = 0,
    theta_se: pd.DataFrame | str | Path | None = None,
    progress: DrawProgress | None = None,
) -> Result:
    """Solve ``scenario`` on ``world`` and return its results.

    ``date`` applies only the measures in force on that day; ``max_steps`` caps the
    solver's outer iterations (each solve's).  ``model`` overrides the scenario's and the
    world's choice (see :func:`model_for`).  When measures name products, the world is
    first split into the catalogue's products (:func:`with_products`), and results carry
    the sub-sector codes (``A01.soybeans``).

    ``draws`` > 0 also solves the scenario under that many draws of the sector trade
    elasticities (reproducible from ``seed``; see :mod:`truce.api.draws`) and adds a
    5th, 50th and 95th percentile column after every numeric result field, and a
    ``draws`` entry to the results JSON.  The standard errors are the world's
    ``theta_se`` table, or ``theta_se`` (a CSV path with columns ``sector``, ``se`` and
    optionally ``estimate``, or such a table), which replaces it.  ``progress(done,
    total)`` is called as batches of draws finish.

    Raises :class:`~truce.errors.ScenarioError` for a scenario that does not fit the
    world or the model, :class:`~truce.errors.InputError` for draws without standard
    errors, and :class:`~truce.errors.NonConvergenceError` when the solver fails (for any
    draw).
    """
    if draws < 0:
        raise InputError(f"draws must be 0 or more, not {draws}")
    p = _prepare(world, scenario, max_steps, model, theta_se)
    solved = _solve_one(p, date, max_steps)
    extra: dict[str, object] = {}
    if draws:
        solved, extra["draws"] = _with_draws(p, solved, date, draws, seed, max_steps, progress)
    return Result(
        scenario=p.scenario.name,
        world=p.world.name,
        date=date,
        model=p.model,
        solver=SolverStats(
            converged=solved.converged,
            iterations=p.iterations + solved.iterations,
            residual=solved.residual,
            seconds=time.perf_counter() - p.started,
            jacobians=p.jacobians + solved.jacobians,
        ),
        regions=solved.regions,
        trade=solved.trade,
        measures=solved.measures,
        extra=extra,
    )


def _spread(world: World) -> ThetaSpread:
    """The sampling law of ``world``'s elasticities; an InputError without one."""
    spread = theta_spread(world)
    if spread is None:
        raise InputError(
            f"world {world.name} has no standard errors for its trade elasticities (no "
            "theta_se table): give a file of them (columns sector, se) with --theta-se"
        )
    return spread


def _with_draws(
    p: _Prepared,
    solved: _Solved,
    date: Date | None,
    draws: int,
    seed: int,
    max_steps: int,
    progress: DrawProgress | None,
) -> tuple[_Solved, dict[str, object]]:
    """The point result ``solved`` with its percentile columns, and the draws' summary."""
    spread = _spread(p.world)
    compiled = solved.compiled
    if p.model != MODEL_NAME:
        solve_chunk = ilms_chunk_solver(
            p.world,
            compiled,
            rebate=_rebate(p.scenario),
            measures=solved.measures,
            max_steps=max_steps,
        )
    else:
        solve_chunk = cp_chunk_solver(
            base=p.base,
            world_baseline=p.world_baseline,
            shock=compiled.shock,
            closing=_closing_shock(p.world_baseline) if p.zero_deficits else None,
            point=solved.equilibrium,
            measures_of=lambda eq: _measure_table(p.scenario, date, compiled, eq),
            max_steps=max_steps,
        )
    drawn = band_draws(
        spread=spread,
        point=(solved.regions, solved.trade, solved.measures),
        solve_chunk=solve_chunk,
        draws=draws,
        seed=seed,
        max_steps=max_steps,
        progress=progress,
    )
    banded = replace(solved, regions=drawn.regions, trade=drawn.trade, measures=drawn.measures)
    return banded, drawn.info


def timeline(
    world: World | str | Path,
    scenario: Scenario | str | Path,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: Progress | None = None,
    model: str | None = None,
) -> TimelineResult:
    """Solve ``scenario`` on ``world`` once per phase of its dates, in date order.

    The phases are the spans between consecutive ``start``/``end`` dates, led by the
    span before the first date (see :mod:`truce.timeline.calendar`); each phase's
    result is the one :func:`run` gives on the day it is solved at (``result.date``),
    the Caliendo–Parro solver warm-started from the previous phase.  Under
    ``deficits: zero`` one zero-deficit base serves every phase.  ``progress(done,
    total, phase)``, when given, is called before each phase is solved and once after
    the last.  Each phase's solver statistics are its own solve's;
    :attr:`TimelineResult.solver` totals them with the zero-deficit base.  Raises like
    :func:`run`.
    """
    p = _prepare(world, scenario, max_steps, model)
    iterations, jacobians = p.iterations, p.jacobians

    def solve_phase(
        day: Date | None, start: Equilibrium | None
    ) -> tuple[tuple[_Solved, float], Equilibrium | None]:
        began = time.perf_counter()
        one = _solve_one(p, day, max_steps, initial=start)
        return (one, time.perf_counter() - began), one.equilibrium

    solved: list[PhaseResult] = []
    for phase, (one, seconds) in solve_path(phases(p.scenario), solve_phase, progress=progress):
        iterations += one.iterations
        jacobians += one.jacobians
        result = Result(
            scenario=p.scenario.name,
            world=p.world.name,
            date=phase.date,
            model=p.model,
            solver=SolverStats(
                converged=one.converged,
                iterations=one.iterations,
                residual=one.residual,
                seconds=seconds,
                jacobians=one.jacobians,
            ),
            regions=one.regions,
            trade=one.trade,
            measures=one.measures,
        )
        solved.append(PhaseResult(phase.start, phase.end, result))
    return TimelineResult(
        scenario=p.scenario.name,
        world=p.world.name,
        model=p.model,
        solver=SolverStats(
            converged=all(s.result.solver.converged for s in solved),
            iterations=iterations,
            residual=max(s.result.solver.residual for s in solved),
            seconds=time.perf_counter() - p.started,
            jacobians=jacobians,
        ),
        phases=solved,
        table=timeline_table(solved),
        bilateral=bilateral_table(solved, goods_sectors(p.world_baseline)),
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
