"""Use-cases: solve a scenario on a world (once, under elasticity draws, or phase by phase).

Every run goes the same way, whichever model solves it (docs/adding-a-model.md): choose
the model (:func:`~truce.api.models.choose_model`), split the scenario's products, take
the world's baseline and the model's calibration to it (kept per world), prepare the
run's base, compile the measures in force, solve, and turn the model's outcomes into
the result tables (:mod:`truce.report.tables`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date as Date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from truce.api.defaults import MODEL_NAME, MODELS
from truce.api.draws import (
    ChunkSolved,
    ChunkSolver,
    DrawProgress,
    SigmaSpread,
    across_sources,
    band_draws,
    chunk_solver,
)
from truce.api.feasibility import check_bans
from truce.api.models import (
    calibration,
    check_fit,
    check_measures,
    choose_model,
    model_for,
    rebate_of,
)
from truce.api.scenarios import load_scenario, with_products
from truce.data.calibrate import world_to_baseline
from truce.data.elasticities import (
    ALL_SOURCES,
    ThetaSpread,
    elasticity_sources,
    read_theta_se,
    se_source,
    source_thetas,
    theta_spread,
    with_source,
    with_theta_se,
)
from truce.data.households import households_by_region
from truce.data.products import with_critical_sigma
from truce.data.world import World, load_world
from truce.errors import InputError, NonConvergenceError, ScenarioError
from truce.model.interface import Outcomes, Prepared, Solved, TradeModel
from truce.model.solve import DEFAULT_MAX_STEPS
from truce.policy.compile import CompiledScenario, compile_scenario_full, in_force
from truce.policy.spec import Scenario
from truce.report.against import relative_sectors, relative_trade
from truce.report.money import MoneyBase, average_tariffs, measured_regions, usd_bn_per_unit
from truce.report.result import Result, SolverStats
from truce.report.tables import (
    BINDING_RATE,
    measure_table,
    region_columns,
    sector_table,
    trade_cells,
    trade_table,
)
from truce.report.timeline import (
    PhaseResult,
    TimelineResult,
    bilateral_table,
    goods_sectors,
    tariff_path_table,
    timeline_table,
)
from truce.timeline.calendar import phases
from truce.timeline.path import Progress, solve_path

__all__ = [
    "BINDING_RATE",
    "DEFAULT_MAX_STEPS",
    "MODELS",
    "MODEL_NAME",
    "RunConfig",
    "check",
    "model_for",
    "run",
    "run_config",
    "timeline",
]


@dataclass(frozen=True, kw_only=True, eq=False)
class RunConfig:
    """How to run a scenario: the keywords of :func:`run`, in one place."""

    date: Date | None = None
    """Solve only the measures in force on this day (all of them when None)."""
    max_steps: int = DEFAULT_MAX_STEPS
    """The cap on each solve's outer iterations."""
    model: str | None = None
    """The model, overriding the scenario's and the world's (see ``choose_model``)."""
    draws: int = 0
    """Elasticity draws to band the results with (0: none)."""
    seed: int = 0
    """The draws' seed."""
    theta_se: pd.DataFrame | str | Path | None = None
    """Standard errors replacing the world's ``theta_se`` table (a table or a CSV path)."""
    progress: DrawProgress | None = None
    """``progress(done, total)``, called as batches of draws finish."""
    elasticities: str | None = None
    """The trade elasticities: a source of the world's ``elasticities`` table, or
    ``all`` (the world's own, with the spread across every source beside them);
    overrides the scenario's ``options.elasticities``."""
    sigma: float | None = None
    """The elasticity of substitution of critical inputs, overriding the scenario's
    ``options.critical_sigma`` and the world's (docs/models/caliendo-parro.md)."""
    against: Scenario | str | Path | None = None
    """Measure the changes against this scenario's counterfactual instead of the
    world's base (docs/results.md, "Against another scenario"): solved on the same
    world and model, on ``date`` when given, else on its own ``as_of``."""


@dataclass(frozen=True, kw_only=True)
class _Run:
    """A world and scenario made ready to solve: model chosen, products split, base
    prepared, and the solver work spent on it so far."""

    model: TradeModel
    world: World
    scenario: Scenario
    prepared: Prepared
    started: float
    iterations: int
    jacobians: int
    money: MoneyBase
    """What turns the run's changes into money."""
    against: Scenario | None = None
    """The scenario the changes are measured against (None: the base)."""


@dataclass(frozen=True, kw_only=True)
class _Solved:
    """One solve's tables and statistics."""

    regions: pd.DataFrame
    trade: pd.DataFrame
    measures: pd.DataFrame
    sectors: pd.DataFrame
    tariffs: pd.DataFrame
    solved: Solved
    outcomes: Outcomes
    compiled: CompiledScenario
    """The measures in force, compiled (elasticity draws solve them again)."""
    keep: np.ndarray
    """The trade cells the trade table lists (:func:`~truce.report.tables.trade_cells`)."""
    base: dict[str, Any]
    """What the tables' changes are measured against (``Result.base``)."""

    def stats(self, seconds: float, iterations: int = 0, jacobians: int = 0) -> SolverStats:
        """The solve's statistics, with ``iterations`` and ``jacobians`` spent before."""
        return SolverStats(
            converged=bool(self.solved.converged),
            iterations=iterations + int(self.solved.iterations),
            residual=float(self.solved.residual),
            seconds=seconds,
            jacobians=jacobians + int(self.solved.jacobians),
        )


def _loaded(world: World | str | Path, scenario: Scenario | str | Path) -> tuple[World, Scenario]:
    return (
        world if isinstance(world, World) else load_world(world),
        scenario if isinstance(scenario, Scenario) else load_scenario(scenario),
    )


def check(
    world: World | str | Path,
    scenario: Scenario | str | Path,
    *,
    date: Date | None = None,
    model: str | None = None,
    every_phase: bool = False,
    draws: int = 0,
    elasticities: str | None = None,
    sigma: float | None = None,
    against: Scenario | str | Path | None = None,
) -> None:
    """Every check :func:`run` makes before it solves, and nothing else: the model and
    its options fit the world and the scenario, the products are in the catalogue,
    every code, sector and measure in force on ``date`` (with ``every_phase``: on each
    day :func:`timeline` solves) fits the world, and with ``draws`` the world has
    standard errors for its elasticities, and ``against`` (the scenario to measure
    against) shares the run's base and fits the world on the run's day.  Raises
    :class:`~truce.errors.ScenarioError` (or another input error) as :func:`run` would,
    a ban that leaves a region no way to keep its fixed deficit included.
    """
    world, scenario = _loaded(world, scenario)
    world = _with_elasticities(world, scenario, elasticities)
    if every_phase:
        _one_source_per_phase(world, scenario, elasticities)
    else:
        date = run_date(scenario, date)
    chosen = choose_model(world, scenario, model)
    other = _against(against, scenario, chosen)
    if draws:
        _spread(world)
    baseline = world_to_baseline(_split(world, scenario, sigma, *([other] if other else [])))
    check_fit(chosen, world, baseline, scenario, model)
    days: Sequence[Date | None] = (
        [phase.date for phase in phases(scenario)] if every_phase else [date]
    )
    for day in days:
        check_measures(chosen, scenario, day)
        compiled = compile_scenario_full(scenario, baseline, date=day)
        check_bans(
            scenario,
            day,
            baseline,
            compiled.shock,
            zero_deficits=scenario.options.deficits == "zero",
            usd_bn=usd_bn_per_unit(world.currency),
        )
        if other is not None:
            other_day = None if not other.dated else day or run_date(other, None)
            check_measures(chosen, other, other_day)
            compile_scenario_full(other, baseline, date=other_day)


def _split(world: World, scenario: Scenario, sigma: float | None, *others: Scenario) -> World:
    """``world`` split into the products of the scenario and of ``others`` (the one it
    is measured against: :func:`with_products`), with the critical inputs' σ the run
    (``sigma``) or the scenario's options ask for."""
    world = with_products(world, scenario, *others)
    if sigma is not None:
        return with_critical_sigma(world, sigma, "set for this run (sigma)")
    chosen = scenario.options.critical_sigma
    if chosen is not None:
        return with_critical_sigma(
            world, chosen, f"set by scenario {scenario.name} (options.critical_sigma)"
        )
    return world


def _source(scenario: Scenario, elasticities: str | None) -> str | None:
    """The elasticity source a run asks for: ``elasticities`` (the run's), else the
    scenario's option."""
    return elasticities or scenario.options.elasticities


def _with_elasticities(world: World, scenario: Scenario, elasticities: str | None) -> World:
    """``world`` with the elasticities of the source the run asks for (its own for
    ``all`` or none).  An unknown source is an InputError, or a ScenarioError at the
    option's line when the scenario names it."""
    source = _source(scenario, elasticities)
    if source is None:
        return world
    try:
        if source == ALL_SOURCES:
            source_thetas(world)  # the world must have sources to spread across
            return world
        return with_source(world, source)
    except InputError as error:
        if elasticities is None:  # named in the scenario file
            raise ScenarioError(
                str(error),
                path=scenario.options.path_of("elasticities", scenario.path),
                line=scenario.options.line_of("elasticities"),
                key="elasticities",
            ) from None
        raise


def _prepare(world: World | str | Path, scenario: Scenario | str | Path, config: RunConfig) -> _Run:
    """Load what is named, attach a standard-error table, choose the model, split the
    scenario's products, calibrate the model and prepare the run's base."""
    world, scenario = _loaded(world, scenario)
    world = _with_elasticities(world, scenario, config.elasticities)
    if config.theta_se is not None:
        theta_se = config.theta_se
        table = theta_se if isinstance(theta_se, pd.DataFrame) else read_theta_se(theta_se, world)
        world = with_theta_se(world, table)
    model = choose_model(world, scenario, config.model)
    against = _against(config.against, scenario, model)
    world = _split(world, scenario, config.sigma, *([] if against is None else [against]))
    baseline = world_to_baseline(world)
    check_fit(model, world, baseline, scenario, config.model)
    started = time.perf_counter()
    calibrated, fresh = calibration(model, world, baseline, rebate_of(model, scenario))
    prepared = model.prepare(
        calibrated,
        zero_deficits=scenario.options.deficits == "zero",
        max_steps=config.max_steps,
    )
    return _Run(
        model=model,
        world=world,
        scenario=scenario,
        prepared=prepared,
        started=started,
        iterations=prepared.iterations,
        jacobians=prepared.jacobians + (calibrated.jacobians if fresh else 0),
        money=MoneyBase(
            income_n=np.asarray(prepared.base.income_n, dtype=np.float64),
            tariff_revenue_n=np.asarray(prepared.base.tariff_revenue_n, dtype=np.float64),
            usd_bn=usd_bn_per_unit(world.currency),
            households_n=households_by_region(world),
        ),
        against=against,
    )


def _against(
    reference: Scenario | str | Path | None, scenario: Scenario, model: TradeModel
) -> Scenario | None:
    """The scenario a run is measured against, loaded; an InputError when it cannot
    share the run's base (another deficit rule or another rebate of tariff revenue)."""
    if reference is None:
        return None
    other = reference if isinstance(reference, Scenario) else load_scenario(reference)
    for what, mine, theirs in (
        ("deficits", scenario.options.deficits, other.options.deficits),
        ("rebate", rebate_of(model, scenario), rebate_of(model, other)),
    ):
        if mine != theirs:
            raise InputError(
                f"cannot measure {scenario.name} against {other.name}: they are solved "
                f"from different bases ({what}: {mine} in {scenario.name}, {theirs} in "
                f"{other.name}); give both the same options.{what}"
            )
    return other


def names_of(world: World) -> dict[str, dict[str, str]]:
    """The readable names of a world's region and sector codes (``Result.names``)."""
    return {
        "regions": dict(zip(world.regions["region"], world.regions["name"], strict=True)),
        "sectors": dict(zip(world.sectors["sector"], world.sectors["name"], strict=True)),
    }


def _world_base(r: _Run) -> dict[str, Any]:
    """The ``base`` entry of a result measured against the world's own base."""
    world = r.world
    tariffs = world.tariffs or "those of its trade table"
    text = f"world {world.name}: {world.year} trade, tariffs {tariffs}"
    if r.prepared.zero_deficits:
        text += ", re-solved with every trade deficit closed (deficits: zero)"
    return {
        "kind": "world",
        "world": world.name,
        "year": world.year,
        "tariffs": world.tariffs,
        "currency": world.currency,
        "zero_deficits": r.prepared.zero_deficits,
        "text": text,
    }


def _scenario_base(r: _Run, against: Scenario, date: Date | None) -> dict[str, Any]:
    """The ``base`` entry of a result measured against scenario ``against``."""
    on = "" if date is None else f" on {date.isoformat()}"
    return {
        "kind": "scenario",
        "scenario": against.name,
        "date": None if date is None else date.isoformat(),
        "world": r.world.name,
        "currency": r.world.currency,
        "text": f"scenario {against.name}{on}, solved on world {r.world.name} with the "
        "same model (changes are exact ratios of the two equilibria)",
    }


def _solve_one(r: _Run, date: Date | None, max_steps: int, initial: object = None) -> _Solved:
    """Compile the measures in force on ``date`` and solve them with the run's model; the
    region, trade and tariff tables are left to :func:`_measured`, which knows what
    they are measured against."""
    check_measures(r.model, r.scenario, date)
    compiled = compile_scenario_full(r.scenario, r.prepared.base, date=date)
    shock = compiled.shock
    check_bans(
        r.scenario,
        date,
        r.prepared.base,
        shock,
        zero_deficits=r.prepared.zero_deficits,
        usd_bn=r.money.usd_bn,
    )
    try:
        solved = r.model.solve(r.prepared, shock, max_steps=max_steps, initial=initial)
    except NonConvergenceError as error:
        raise _with_constraints_named(error, r, date) from None
    outcomes = r.model.outcomes(r.prepared, shock, solved)
    keep = trade_cells(r.prepared.world_baseline.flow_sni, outcomes)
    one = _Solved(
        regions=pd.DataFrame(),
        trade=pd.DataFrame(),
        measures=measure_table(r.scenario, date, compiled, outcomes),
        sectors=sector_table(outcomes),
        tariffs=pd.DataFrame(),
        solved=solved,
        outcomes=outcomes,
        compiled=compiled,
        keep=keep,
        base=_world_base(r),
    )
    return one


def _solve_against(
    r: _Run,
    one: _Solved,
    date: Date | None,
    max_steps: int,
    solved: dict[Date | None, _Solved] | None = None,
) -> tuple[_Solved, _Solved | None]:
    """``one`` (a solve of the run's scenario on ``date``, :func:`_solve_one`) measured
    against the run's ``against`` scenario solved on ``date`` (an undated one: once),
    with that solve; ``one`` measured against the base, and None, when the run has no
    such scenario.  ``solved`` keeps the solves of the other scenario by day, for a
    timeline."""
    if r.against is None:
        return _measured(r, one, None), None
    day = None if not r.against.dated else date if date is not None else run_date(r.against, None)
    solved = {} if solved is None else solved
    if day not in solved:
        solved[day] = _solve_one(replace(r, scenario=r.against, against=None), day, max_steps)
    other = solved[day]
    return _measured(r, one, other, day), other


def _measured(r: _Run, a: _Solved, b: _Solved | None, day: Date | None = None) -> _Solved:
    """``a``'s tables measured against the base, or against ``b`` (solved on ``day``):
    regions with their money columns, trade, sectors and average tariffs."""
    keep = a.keep if b is None else a.keep | b.keep
    world_flow = r.prepared.world_baseline.flow_sni
    trade_a = trade_table(world_flow, a.outcomes, keep)
    sectors = a.sectors
    before_tau = r.prepared.base.tau_sni
    base = a.base
    if b is not None:
        assert r.against is not None
        trade_b = trade_table(world_flow, b.outcomes, keep)
        trade_a = _with_columns(trade_a, relative_trade(_numbers(trade_a), _numbers(trade_b)))
        if not sectors.empty:
            sectors = _with_columns(
                sectors, relative_sectors(_numbers(sectors), _numbers(b.sectors))
            )
        before_tau = b.compiled.shock.tau_sni
        base = _scenario_base(r, r.against, day)
    regions = measured_regions(
        region_columns(a.outcomes),
        None if b is None else region_columns(b.outcomes),
        r.money,
    )
    base_flow = r.prepared.base.flow_sni
    tariffs = average_tariffs(
        tuple(a.outcomes.regions),
        tuple(a.outcomes.sectors),
        np.asarray(base_flow),
        np.asarray(before_tau),
        np.asarray(a.compiled.shock.tau_sni),
        goods_sectors(r.prepared.world_baseline),
    )
    return replace(
        a,
        regions=pd.DataFrame({"region": list(a.outcomes.regions), **regions}),
        trade=trade_a,
        sectors=sectors,
        tariffs=tariffs,
        keep=keep,
        base=base,
    )


def _numbers(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """A table's numeric columns as arrays."""
    return {
        c: frame[c].to_numpy(dtype=np.float64)
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
    }


def _with_columns(frame: pd.DataFrame, columns: dict[str, np.ndarray]) -> pd.DataFrame:
    """``frame``'s code columns followed by ``columns`` (numeric ones it replaces)."""
    codes = {c: frame[c] for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])}
    return pd.DataFrame({**codes, **columns}, index=frame.index)


#: The measure kinds that are quantity constraints (solved with an endogenous wedge).
_CONSTRAINT_KINDS = ("export_cap", "import_floor", "capacity")


def _with_constraints_named(
    error: NonConvergenceError, r: _Run, date: Date | None
) -> NonConvergenceError:
    """``error`` with the quantity constraints in force named (file, line, kind, bound):
    a cap, floor or capacity limit the economy cannot meet is the usual reason a solve
    of a valid scenario fails."""
    constraints = [m for m in in_force(r.scenario, date) if m.kind in _CONSTRAINT_KINDS]
    if not constraints:
        return NonConvergenceError(
            f"{error}; what may help: more iterations (--max-iterations {4 * DEFAULT_MAX_STEPS}), "
            + (
                "closing the trade deficits first (options: {deficits: zero}), which makes "
                "very large tariffs far easier to solve, "
                if r.model.closes_deficits and not r.prepared.zero_deficits
                else ""
            )
            + (
                "or a smaller shock (the solver walked this one from the base as far as "
                "the share above)"
                if error.reached is not None
                else "or the shock in smaller steps (a timeline whose phases raise it gradually)"
            ),
            iterations=error.iterations,
            residual=error.residual,
            reached=error.reached,
        )
    named = []
    for m in constraints:
        where = m.file_in(r.scenario) or r.scenario.name
        line = m.line_of("share" if m.kind != "import_floor" else "value")
        at = f"{where}:{line}" if line is not None else where
        bound = f"share {m.share:g}" if hasattr(m, "share") else f"value {m.value:g}"
        named.append(f"measure #{m.index} ({m.kind}, {bound}) at {at}")
    critical = r.prepared.base.sigma
    hint = (
        f"; critical inputs substitute with sigma {float(critical):g}: a tight cap or "
        "capacity limit on one of them can need prices beyond any the solver reaches, "
        "so try a larger --sigma or a looser share"
        if critical is not None
        else "; try a looser share or value"
    )
    message = (
        f"{error} with these quantity constraints in force, which may be impossible to "
        f"meet together: {'; '.join(named)}{hint}"
    )
    return NonConvergenceError(
        message, iterations=error.iterations, residual=error.residual, reached=error.reached
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
    elasticities: str | None = None,
    sigma: float | None = None,
    against: Scenario | str | Path | None = None,
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
    total)`` is called as batches of draws finish.  ``sigma`` sets the elasticity of
    substitution of critical inputs (rare earths, magnets, chips: the catalogue's
    products marked critical), overriding ``options.critical_sigma``.  ``against``
    measures every change against that scenario's equilibrium instead of the base
    (:class:`RunConfig`; docs/results.md).

    Raises :class:`~truce.errors.ScenarioError` for a scenario that does not fit the
    world or the model, :class:`~truce.errors.InputError` for draws without standard
    errors, and :class:`~truce.errors.NonConvergenceError` when the solver fails (for any
    draw).
    """
    config = RunConfig(
        date=date,
        max_steps=max_steps,
        model=model,
        draws=draws,
        seed=seed,
        theta_se=theta_se,
        progress=progress,
        elasticities=elasticities,
        sigma=sigma,
        against=against,
    )
    return run_config(world, scenario, config)


def run_config(
    world: World | str | Path, scenario: Scenario | str | Path, config: RunConfig
) -> Result:
    """:func:`run` with its keywords in a :class:`RunConfig`."""
    if config.draws < 0:
        raise InputError(f"draws must be 0 or more, not {config.draws}")
    r = _prepare(world, scenario, config)
    against_on = config.date
    config = replace(config, date=run_date(r.scenario, config.date))
    solved, other = _solve_against(
        r, _solve_one(r, config.date, config.max_steps), against_on, config.max_steps
    )
    extra: dict[str, object] = {}
    notes = [
        n
        for n in (
            _nothing_in_force(r.scenario, config.date),
            _spent_out_note(r, solved),
            _closure_note(r, solved),
        )
        if n is not None
    ]
    if notes:
        extra["notes"] = notes
    if config.draws:
        solved, extra["draws"] = _with_draws(r, solved, other, config)
    if _source(r.scenario, config.elasticities) == ALL_SOURCES:
        solved, extra["elasticities"] = _across_sources(r, solved, other, config)
    return Result(
        scenario=r.scenario.name,
        world=r.world.name,
        date=config.date,
        model=r.model.name,
        solver=solved.stats(time.perf_counter() - r.started, r.iterations, r.jacobians),
        regions=solved.regions,
        trade=solved.trade,
        measures=solved.measures,
        sectors=solved.sectors,
        tariffs=solved.tariffs,
        base=solved.base,
        names=names_of(r.world),
        extra=extra,
    )


def _date_span(scenario: Scenario) -> str:
    """The first and last dates a scenario's measures name, as words."""
    days = sorted(d for m in scenario.measures for d in (m.start, m.end) if d is not None)
    return f"{days[0]}" if days[0] == days[-1] else f"from {days[0]} to {days[-1]}"


def run_date(scenario: Scenario, date: Date | None) -> Date | None:
    """The day a single run of ``scenario`` solves: ``date``, else the scenario's
    ``as_of`` when its measures are dated, else none (an undated scenario).

    A dated scenario without ``as_of`` run without a date is a
    :class:`~truce.errors.ScenarioError`: every measure in force at once is a state that
    never existed."""
    if date is not None or not scenario.dated:
        return date
    if scenario.as_of is not None:
        return scenario.as_of
    first = next(m for m in scenario.measures if m.start is not None or m.end is not None)
    key = "start" if first.start is not None else "end"
    raise ScenarioError(
        f"scenario {scenario.name} is dated (its measures start or end on dates "
        f"{_date_span(scenario)}), so a run without a date would put every measure in "
        "force at once, a state that never existed: give the day with --date YYYY-MM-DD "
        f"(date= in Python), solve each phase with `truce timeline {scenario.name}`, or "
        "name the day the file describes with an as_of: key",
        path=first.file_in(scenario),
        line=first.line_of(key),
        key=key,
    )


#: A region's tariff revenue, as a share of its base spending, beyond which a result
#: under fixed trade deficits is said to rest on that closure.
CLOSURE_REVENUE_SHARE = 0.05


def _closure_note(r: _Run, solved: _Solved) -> str | None:
    """A note when a result under fixed deficits rests on that closure: some region
    collects tariff revenue above :data:`CLOSURE_REVENUE_SHARE` of its base spending,
    which fixed deficits let it spend on foreign goods (a 1,000% US tariff on every
    partner gives the US +8.5% with deficits fixed, -3.5% with them closed)."""
    if r.prepared.zero_deficits or "tariff_revenue" not in solved.regions.columns:
        return None
    share = solved.regions["tariff_revenue"].to_numpy() / r.money.income_n
    if not (share > CLOSURE_REVENUE_SHARE).any():
        return None
    k = int(np.argmax(share))
    region = solved.regions["region"].iloc[k]
    return (
        f"{region}'s tariff revenue comes to {100 * share[k]:.0f}% of its base spending: "
        "with trade deficits held fixed (the default closure) a result this large rests "
        "on that closure; compare it with options: {deficits: zero} (docs/scenarios.md)"
    )


def _spent_out_note(r: _Run, solved: _Solved) -> str | None:
    """A warning when some region's real spending falls by all of it or more (welfare
    at or below -100%): only a fixed deficit, a surplus paid out of an income that no
    longer covers it, can do that, so the number describes no economy."""
    if r.prepared.zero_deficits or "welfare_pct" not in solved.regions.columns:
        return None
    welfare = solved.regions["welfare_pct"].to_numpy()
    if not (welfare <= -100.0).any():
        return None
    k = int(np.argmin(welfare))
    region = solved.regions["region"].iloc[k]
    return (
        f"{region}'s welfare change is {welfare[k]:.1f}%: its spending is gone, because the "
        "fixed-deficit closure makes it pay its base trade surplus out of an income that "
        "no longer covers it; this result describes no economy, so solve it with "
        "options: {deficits: zero}"
    )


def _nothing_in_force(scenario: Scenario, date: Date | None) -> str | None:
    """A note when ``scenario`` has measures but none is in force on ``date``."""
    if date is None or not scenario.measures or in_force(scenario, date):
        return None
    return (
        f"nothing in scenario {scenario.name} is in force on {date} (its measures run "
        f"{_date_span(scenario)}): the solution is the base itself, with no change"
    )


def _spread(world: World) -> ThetaSpread:
    """The sampling law of ``world``'s elasticities; an InputError without one."""
    spread = theta_spread(world)
    if spread is not None:
        return spread
    own = se_source(world)
    if own is not None:
        raise InputError(
            f"the elasticities {world.name} runs with ({world.theta_source}) have no "
            f"standard errors; its theta_se table holds {own}'s: draw around those with "
            f"--elasticities {own}, see the spread across published sources with "
            f"--elasticities {ALL_SOURCES}, or give standard errors for "
            f"{world.theta_source} (columns sector, se) with --theta-se"
        )
    raise InputError(
        f"world {world.name} has no standard errors for its trade elasticities (no "
        "theta_se table): give a file of them (columns sector, se) with --theta-se"
    )


def _theta_solver(
    r: _Run, solved: _Solved, other: _Solved | None, config: RunConfig
) -> ChunkSolver:
    """The run's model solving its scenario (and the one it is measured against,
    ``other``) under rows of sector elasticities (draws or sources), started from the
    point solutions; each row's results are measured as the point's are."""

    def solver(one: _Solved, scenario: Scenario) -> ChunkSolver:
        compiled = one.compiled
        return chunk_solver(
            model=r.model,
            prepared=r.prepared,
            shock=compiled.shock,
            point=one.solved,
            point_outcomes=one.outcomes,
            measures_of=lambda outcomes: measure_table(scenario, config.date, compiled, outcomes),
            max_steps=config.max_steps,
            keep=solved.keep,
        )

    solve_a = solver(solved, r.scenario)
    solve_b = None if other is None or r.against is None else solver(other, r.against)

    def solve_chunk(thetas: np.ndarray, sigmas: np.ndarray | None = None) -> ChunkSolved:
        a = solve_a(thetas, sigmas)
        b = None if solve_b is None else solve_b(thetas, sigmas)
        columns = dict(a.columns)
        columns["regions"] = measured_regions(
            a.columns["regions"], None if b is None else b.columns["regions"], r.money
        )
        if b is None:
            return replace(a, columns=columns)
        columns["trade"] = relative_trade(a.columns["trade"], b.columns["trade"])
        return ChunkSolved(
            columns,
            a.converged & b.converged,
            np.maximum(a.residual, b.residual),
        )

    return solve_chunk


def _with_draws(
    r: _Run, solved: _Solved, other: _Solved | None, config: RunConfig
) -> tuple[_Solved, dict[str, object]]:
    """The point result ``solved`` with its percentile columns, and the draws' summary."""
    solve_chunk = _theta_solver(r, solved, other, config)
    drawn = band_draws(
        spread=_spread(r.world),
        point=(solved.regions, solved.trade, solved.measures),
        solve_chunk=solve_chunk,
        draws=config.draws,
        seed=config.seed,
        max_steps=config.max_steps,
        progress=config.progress,
        sigma=_sigma_spread(r),
    )
    banded = replace(solved, regions=drawn.regions, trade=drawn.trade, measures=drawn.measures)
    return banded, drawn.info


def _sigma_spread(r: _Run) -> SigmaSpread | None:
    """The critical inputs' σ and its standard error, when the run's world has critical
    inputs with a standard error (elasticity draws then draw σ too)."""
    table = r.world.critical_inputs
    if table is None or len(table) == 0 or r.prepared.base.critical_s is None:
        return None
    se = float(table["sigma_se"].iloc[0])
    return SigmaSpread(float(table["sigma"].iloc[0]), se) if se > 0 else None


def _across_sources(
    r: _Run, solved: _Solved, other: _Solved | None, config: RunConfig
) -> tuple[_Solved, dict[str, object]]:
    """The point result ``solved`` with the spread across the world's elasticity
    sources after each field, and each source's region fields."""
    solve_chunk = _theta_solver(r, solved, other, config)
    sources = elasticity_sources(r.world)
    spread = across_sources(
        sources=sources,
        thetas=source_thetas(r.world, sources),
        point=(solved.regions, solved.trade, solved.measures),
        solve_chunk=solve_chunk,
        max_steps=config.max_steps,
    )
    info = {"point": r.world.theta_source, **spread.info}
    widened = replace(solved, regions=spread.regions, trade=spread.trade, measures=spread.measures)
    return widened, info


def _one_source_per_phase(world: World, scenario: Scenario, elasticities: str | None) -> None:
    """A timeline solves each phase under one source: ``all`` is refused, at the
    scenario's line when the scenario asks for it."""
    if _source(scenario, elasticities) != ALL_SOURCES:
        return
    message = (
        f"elasticities: {ALL_SOURCES} is for a run of one date, not a timeline: name one "
        f"source ({', '.join(elasticity_sources(world))})"
    )
    if elasticities is not None:
        raise InputError(message)
    raise ScenarioError(
        message,
        path=scenario.options.path_of("elasticities", scenario.path),
        line=scenario.options.line_of("elasticities"),
        key="elasticities",
    )


def timeline(
    world: World | str | Path,
    scenario: Scenario | str | Path,
    *,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: Progress | None = None,
    model: str | None = None,
    elasticities: str | None = None,
    sigma: float | None = None,
    against: Scenario | str | Path | None = None,
) -> TimelineResult:
    """Solve ``scenario`` on ``world`` once per phase of its dates, in date order.

    The phases are the spans between consecutive ``start``/``end`` dates, led by the
    span before the first date (see :mod:`truce.timeline.calendar`); each phase's
    result is the one :func:`run` gives on the day it is solved at (``result.date``),
    the Caliendo–Parro solver warm-started from the previous phase.  Under
    ``deficits: zero`` one zero-deficit base serves every phase.  ``progress(done,
    total, phase)``, when given, is called before each phase is solved and once after
    the last.  Each phase's solver statistics are its own solve's;
    :attr:`TimelineResult.solver` totals them with the zero-deficit base.
    ``elasticities`` names one source of the world's ``elasticities`` table (not
    ``all``); ``sigma`` is :func:`run`'s.  With ``against``, each phase is measured
    against that scenario solved on the phase's day (once, when it is undated).
    Raises like :func:`run`.
    """
    config = RunConfig(
        max_steps=max_steps,
        model=model,
        elasticities=elasticities,
        sigma=sigma,
        against=against,
    )
    r = _prepare(world, scenario, config)
    _one_source_per_phase(r.world, r.scenario, elasticities)
    iterations, jacobians = r.iterations, r.jacobians
    others: dict[Date | None, _Solved] = {}

    def solve_phase(day: Date | None, start: object) -> tuple[tuple[_Solved, float], object]:
        began = time.perf_counter()
        one, _ = _solve_against(
            r, _solve_one(r, day, max_steps, initial=start), day, max_steps, others
        )
        return (one, time.perf_counter() - began), one.solved.state

    solved: list[PhaseResult] = []
    for phase, (one, seconds) in solve_path(phases(r.scenario), solve_phase, progress=progress):
        stats = one.stats(seconds)
        iterations += stats.iterations
        jacobians += stats.jacobians
        result = Result(
            scenario=r.scenario.name,
            world=r.world.name,
            date=phase.date,
            model=r.model.name,
            solver=stats,
            regions=one.regions,
            trade=one.trade,
            measures=one.measures,
            sectors=one.sectors,
            tariffs=one.tariffs,
            base=one.base,
            names=names_of(r.world),
        )
        solved.append(PhaseResult(phase.start, phase.end, result, phase.name))
    return TimelineResult(
        scenario=r.scenario.name,
        world=r.world.name,
        model=r.model.name,
        solver=SolverStats(
            converged=all(s.result.solver.converged for s in solved),
            iterations=iterations,
            residual=max(s.result.solver.residual for s in solved),
            seconds=time.perf_counter() - r.started,
            jacobians=jacobians,
        ),
        phases=solved,
        table=timeline_table(solved),
        bilateral=bilateral_table(solved, goods_sectors(r.prepared.world_baseline)),
        tariffs=tariff_path_table(solved),
        base=_timeline_base(solved),
    )


def _timeline_base(phases: list[PhaseResult]) -> dict[str, Any]:
    """A timeline's ``base``: its phases', and against a dated scenario, each phase
    against that scenario on the phase's own day."""
    bases = [p.result.base for p in phases]
    first = dict(bases[0]) if bases else {}
    if first.get("kind") == "scenario" and len({b.get("date") for b in bases}) > 1:
        first["date"] = None
        first["text"] = (
            f"scenario {first['scenario']} on each phase's own day, solved on world "
            f"{first['world']} with the same model (changes are exact ratios of the two "
            "equilibria)"
        )
    return first
