"""Sweeps: solve every point of a grid or list of scenarios, in parallel, resumably.

:func:`load_sweep` reads a sweep spec (a file, or a built-in spec by name) and the
scenarios it names, and makes its points (:mod:`truce.policy.sweep_spec`).
:func:`run_sweep` solves the points on a Dask cluster: by default a local one on
127.0.0.1 with one single-threaded worker process per CPU, or an existing cluster
reached through its scheduler's address.  Each worker loads the world once (by its
built-in name or its folder path, which must exist on the worker's machine; a
:class:`~truce.data.world.World` object is sent to the workers instead) and solves
with :func:`truce.run`.

The driver keeps each finished point in the run store as soon as it arrives, with
``extra["sweep"]`` naming the sweep (its id, a hash of the points' scenario texts and
the world's content hash), the point's values and its key.  A sweep run again with the
same spec on the same world finds the points already kept and solves only the others,
so an interrupted sweep loses at most the points in flight.  A point that fails (no
convergence, a scenario that does not fit the world) does not stop the others: it is
reported in :attr:`SweepResult.failed`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import math
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from truce.api._cache import LruCache
from truce.api.running import run
from truce.api.scenarios import builtin_scenarios, resolve_extends
from truce.api.store import RunStore
from truce.config import builtin_folder
from truce.data.world import World, builtin_worlds, content_hash, load_world
from truce.errors import InputError, SweepError, TruceError
from truce.model.solve import DEFAULT_MAX_STEPS
from truce.policy.parse import parse_scenario
from truce.policy.sweep_spec import (
    ScenarioSource,
    SweepPoint,
    SweepSpec,
    parse_sweep,
    show_value,
    sweep_id,
    sweep_points,
)
from truce.report.chart_style import sweep_stamp
from truce.report.files import write_text
from truce.report.result import Result, write_json
from truce.report.sweep_page import sweep_summary_html

__all__ = [
    "CONNECT_TIMEOUT",
    "PointResult",
    "Sweep",
    "SweepResult",
    "builtin_sweeps",
    "load_sweep",
    "run_sweep",
    "show_value",
    "solve_point",
    "summary_html",
]

#: Where a local cluster listens: nothing of it is reachable from the network.
LOOPBACK = "127.0.0.1"

#: Seconds to wait for a Dask scheduler given by address.
CONNECT_TIMEOUT = 10.0

#: Regions shown by default in summaries when the swept measures name none.
FOCUS_COUNT = 4
#: At most this many regions named by the swept measures are shown.
MAX_FOCUS = 6

Progress = Callable[[int, int, "PointResult | None"], None]
"""``progress(done, total, point)``: called once before solving (``done`` counts the
points found in the store, ``point`` is ``None``) and after each point is finished."""


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class Sweep:
    """A sweep spec with its points."""

    spec: SweepSpec
    points: tuple[SweepPoint, ...]
    against: ScenarioSource | None = None
    """The scenario every point is measured against (the spec's ``against``, or the
    one :func:`with_against` sets), as text; ``None``: the world's base."""

    @property
    def name(self) -> str:
        """The spec's name."""
        return self.spec.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The labels of the swept values: the axes' (``m2.rate``) or ``scenario``."""
        if self.spec.kind == "list":
            return ("scenario",)
        return tuple(axis.label for axis in self.spec.axes)


def _sweep_folder():
    return builtin_folder("sweep_specs")


def builtin_sweeps() -> dict[str, str]:
    """Built-in sweep specs' names and descriptions."""
    found: dict[str, str] = {}
    folder = _sweep_folder()
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            spec = parse_sweep(entry.read_text(encoding="utf-8"), entry.name)
            found[entry.name.removesuffix(".yaml")] = " ".join(spec.description.split())
    return found


def load_sweep(name_or_path: str | os.PathLike[str]) -> Sweep:
    """A sweep spec file by path, or a built-in spec by name, with its points.

    Scenario paths in a spec are relative to the spec's folder; bare names are built-in
    scenarios.  Raises :class:`~truce.errors.SweepError` (a
    :class:`~truce.errors.ScenarioError`) for a bad spec or an unknown scenario.
    """
    candidate = Path(name_or_path)
    if candidate.suffix in {".yaml", ".yml"} or candidate.exists():
        if not candidate.is_file():
            raise SweepError("no such sweep spec file", path=str(candidate))
        path = str(candidate)
        text = _read(candidate, path, None, None)
        folder: Path | None = candidate.parent
    else:
        entry = _sweep_folder() / f"{name_or_path}.yaml"
        if not entry.is_file():
            known = ", ".join(builtin_sweeps()) or "none"
            raise SweepError(
                f"unknown sweep {str(name_or_path)!r}: not a file and not a built-in sweep "
                f"(built-in: {known})"
            )
        path = f"{name_or_path}.yaml"
        text = entry.read_text(encoding="utf-8")
        folder = None
    spec = parse_sweep(text, path)
    key = "scenario" if spec.kind == "grid" else "scenarios"
    sources: dict[str, ScenarioSource] = {}
    for ref in spec.refs:
        if ref.name not in sources:
            sources[ref.name] = _scenario_source(ref.name, folder, spec.path, ref.line, key)
    against = (
        None
        if spec.against is None
        else _scenario_source(spec.against.name, folder, spec.path, spec.against.line, "against")
    )
    return Sweep(spec, sweep_points(spec, sources, resolve_extends), against)


def with_against(sweep: Sweep, name_or_path: str) -> Sweep:
    """``sweep`` with every point measured against the scenario ``name_or_path`` (a
    built-in name or a file), instead of the spec's ``against`` or the world's base."""
    return replace(sweep, against=_scenario_source(name_or_path, None, None, None, "against"))


def _scenario_source(
    name: str, folder: Path | None, spec_path: str | None, line: int | None, key: str
) -> ScenarioSource:
    """The text of a scenario a spec names: a path beside the spec, or a built-in."""
    as_path = Path(name)
    looks_like_path = as_path.suffix in {".yaml", ".yml"} or "/" in name or os.sep in name
    if looks_like_path:
        target = as_path if as_path.is_absolute() or folder is None else folder / as_path
        if not target.is_file():
            raise SweepError(
                f"no scenario file {name} (looked for {target})", path=spec_path, line=line, key=key
            )
        return ScenarioSource(_read(target, spec_path, line, key), str(target))
    entry = builtin_folder("scenarios") / f"{name}.yaml"
    if not entry.is_file():
        known = ", ".join(builtin_scenarios()) or "none"
        raise SweepError(
            f"unknown scenario {name!r}: not a built-in scenario (built-in: {known}); "
            "name a file with its .yaml suffix",
            path=spec_path,
            line=line,
            key=key,
        )
    return ScenarioSource(entry.read_text(encoding="utf-8"), f"{name}.yaml")


def _read(target: Path, path: str | None, line: int | None, key: str | None) -> str:
    try:
        return target.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise SweepError(f"cannot read {target}: {error}", path=path, line=line, key=key) from None


# --------------------------------------------------------------------------- workers


@dataclass(frozen=True)
class PointOutcome:
    """What a worker sends back for one point: a result, or what went wrong."""

    result: Result | None
    error: str | None = None
    bad_input: bool = False
    """True when the error is bad input (the scenario does not fit the world)."""
    world_hash: str | None = None


#: Worlds a worker has loaded, by name or folder (the least recently used go first).
_WORLDS: LruCache[World] = LruCache(4)


def solve_point(
    world: str | World,
    text: str,
    path: str | None = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    jax_cache: Mapping[str, Any] | None = None,
    against: ScenarioSource | None = None,
) -> PointOutcome:
    """Solve one point on a worker: parse ``text``, run it on ``world`` (measured
    against the scenario ``against`` when given).

    ``world`` is a built-in name or a folder path (loaded once per process) or a
    World.  ``jax_cache`` carries the driver's JAX compilation-cache settings so that
    the workers share its compiled solvers.  Errors of truce come back as data, with
    their message; the world's content hash comes back for the driver to compare.
    """
    if jax_cache:
        import jax

        for name, value in jax_cache.items():
            jax.config.update(name, value)
    try:
        if isinstance(world, World):
            loaded = world
        else:
            loaded, _ = _WORLDS.get_or_make(world, lambda: load_world(world))
        world_hash = content_hash(loaded)
        scenario = parse_scenario(text, path, resolve=resolve_extends)
        other = (
            None
            if against is None
            else parse_scenario(against.text, against.path, resolve=resolve_extends)
        )
        result = run(loaded, scenario, max_steps=max_steps, against=other)
    except TruceError as error:
        return PointOutcome(None, str(error), isinstance(error, InputError))
    return PointOutcome(result, world_hash=world_hash)


def _jax_cache_settings() -> dict[str, Any]:
    """The driver's persistent compilation cache, if it has one (the command line's)."""
    import jax

    folder = jax.config.jax_compilation_cache_dir
    if not folder:
        return {}
    return {
        "jax_compilation_cache_dir": folder,
        "jax_persistent_cache_min_compile_time_secs": (
            jax.config.jax_persistent_cache_min_compile_time_secs
        ),
    }


@contextlib.contextmanager
def _interrupts_ignored_by_children() -> Iterator[None]:
    """Ignore SIGINT while worker processes start, so that they inherit the ignoring.

    Ctrl-C in a terminal reaches every process of the foreground group: the workers
    would each print a traceback of their own before the sweep's message.  Ignored at
    their start, Python installs no handler in them, and only this process hears the
    interruption; it then closes the cluster, which stops them.  Outside the main
    thread (where no signal handler can be set) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _dask_client(
    workers: int | None, scheduler: str | None, client: Any, needed: int
) -> Iterator[tuple[Any, str]]:
    """A Dask client: ``client`` as given, one connected to ``scheduler``, or one on a
    new local cluster of ``workers`` processes (at most ``needed``).  Yields it with a
    description of the cluster."""
    if client is not None:
        yield client, f"the cluster at {client.scheduler.address}"
        return
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            connected = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as error:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {error}") from None
        with connected:
            yield connected, f"the cluster at {scheduler}"
        return
    count = max(1, min(workers or os.cpu_count() or 1, needed))
    with _interrupts_ignored_by_children():
        cluster = LocalCluster(
            n_workers=count,
            threads_per_worker=1,
            processes=True,
            host=LOOPBACK,
            # The scheduler serves HTTP whatever this says; a free port on the loopback
            # keeps it off the network and off the usual 8787.
            dashboard_address=f"{LOOPBACK}:0",
            silence_logs=logging.ERROR,
        )
    with cluster, Client(cluster) as local:
        yield local, f"{count} local worker{'s' if count != 1 else ''}"


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class PointResult:
    """One point's outcome: its result (and run id in the store), or its error."""

    point: SweepPoint
    result: Result | None
    run_id: str | None = None
    reused: bool = False
    """True when the point was found in the run store instead of being solved."""
    error: str | None = None
    bad_input: bool = False

    @property
    def ok(self) -> bool:
        """True when the point has a result."""
        return self.result is not None


@dataclass(frozen=True)
class SweepResult:
    """Every point of a sweep, in the spec's order."""

    sweep: Sweep
    id: str
    world: str
    world_hash: str
    points: tuple[PointResult, ...]
    stored: bool
    """True when the points were kept in a run store."""
    cluster: str | None = None
    """Where the points were solved (``None`` when every point was found in the store)."""

    @property
    def failed(self) -> tuple[PointResult, ...]:
        """The points that have no result."""
        return tuple(p for p in self.points if not p.ok)

    @property
    def reused(self) -> tuple[PointResult, ...]:
        """The points found in the run store."""
        return tuple(p for p in self.points if p.reused)

    @property
    def solved(self) -> tuple[PointResult, ...]:
        """The points solved by this run."""
        return tuple(p for p in self.points if p.ok and not p.reused)

    def focus_regions(self, count: int = FOCUS_COUNT) -> tuple[str, ...]:
        """The regions a summary shows: those the swept measures name in ``by`` or
        ``on`` and those of the spec's ``outputs`` (at most :data:`MAX_FOCUS`), else the
        ``count`` whose welfare moves most."""
        ok = [p.result for p in self.points if p.result is not None]
        if not ok:
            return ()
        present = list(ok[0].regions["region"])
        named: list[str] = []
        for measure in _swept_measures(self.sweep):
            for side in (measure.by, measure.on):
                if side == "*":
                    continue
                named += [code for code in side if code in present and code not in named]
        for region, _ in self.sweep.spec.outputs:
            if region in present and region not in named:
                named.append(region)
        if named:
            return tuple(named[:MAX_FOCUS])
        moves = {region: 0.0 for region in present}
        for result in ok:
            for region, welfare in zip(
                result.regions["region"], result.regions["welfare_pct"], strict=True
            ):
                if math.isfinite(welfare):
                    moves[region] = max(moves[region], abs(float(welfare)))
        return tuple(sorted(present, key=lambda r: -moves[r])[:count])

    def long_table(self) -> pd.DataFrame:
        """One row per point and region: the point, its swept values, every region
        field and the run id (failed points have no rows)."""
        columns = self.sweep.columns
        frames = []
        for p in self.points:
            if p.result is None:
                continue
            frame = p.result.regions.copy()
            head = {"point": p.point.label}
            head |= {c: _cell(p.point.values[c]) for c in columns}
            for position, (name, value) in enumerate(head.items()):
                frame.insert(position, name, [value] * len(frame))
            frame["run_id"] = p.run_id
            frames.append(frame)
        if not frames:
            return pd.DataFrame(columns=["point", *columns, "region", "run_id"])
        return pd.concat(frames, ignore_index=True)

    def output_columns(self) -> dict[str, tuple[str, str]]:
        """The spec's ``outputs`` as summary columns: ``USA C29 output %`` → (region,
        sector)."""
        return {f"{r} {s} output %": (r, s) for r, s in self.sweep.spec.outputs}

    def welfare_table(self, regions: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per finished point: its swept values, ``welfare_pct`` of each of
        ``regions`` (default: :meth:`focus_regions`) in a column named by the region,
        and the real output change of each of the spec's ``outputs``
        (:meth:`output_columns`; a pair the results lack raises SweepError)."""
        regions = list(self.focus_regions() if regions is None else regions)
        outputs = self.output_columns()
        rows = []
        for p in self.points:
            if p.result is None:
                continue
            welfare = dict(
                zip(p.result.regions["region"], p.result.regions["welfare_pct"], strict=True)
            )
            row: dict[str, Any] = {"point": p.point.label}
            row |= {c: _cell(p.point.values[c]) for c in self.sweep.columns}
            row |= {r: float(welfare[r]) for r in regions}
            row |= {name: _output(p, pair, self.sweep.spec) for name, pair in outputs.items()}
            row["run_id"] = p.run_id
            rows.append(row)
        columns = ["point", *self.sweep.columns, *regions, *outputs, "run_id"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """The sweep as a JSON document: the spec, and per point its values, run id,
        solver statistics, regions and measures (trade tables stay in the store)."""
        spec = self.sweep.spec
        points = []
        for p in self.points:
            entry: dict[str, Any] = {
                "label": p.point.label,
                "values": {k: _json_value(v) for k, v in p.point.values.items()},
                "key": p.point.key,
                "run_id": p.run_id,
                "reused": p.reused,
                "error": p.error,
            }
            if p.result is not None:
                document = p.result.to_dict()
                for name in ("scenario", "solver", "regions", "measures"):
                    entry[name] = document[name]
            points.append(entry)
        return {
            "sweep": spec.name,
            "description": spec.description,
            "id": self.id,
            "kind": spec.kind,
            "world": self.world,
            "world_hash": self.world_hash,
            "axes": [
                {
                    "label": axis.label,
                    "measures": list(axis.measures),
                    "key": axis.key,
                    "values": [_json_value(v) for v in axis.values],
                }
                for axis in spec.axes
            ],
            "points": points,
        }

    def to_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` as JSON, atomically."""
        return write_json(Path(path), self.to_dict(), "the sweep JSON")

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`long_table` as CSV (full precision), atomically."""
        return write_text(path, self.long_table().to_csv(index=False), "the sweep CSV")

    def write_report(self, path: str | os.PathLike[str]) -> Path:
        """Write :func:`summary_html` of this sweep, atomically."""
        return write_text(path, summary_html(self), "the sweep report")


def _output(point: PointResult, pair: tuple[str, str], spec: SweepSpec) -> float:
    """The real output change (%) of ``pair`` (region, sector) at ``point``."""
    assert point.result is not None
    rows = point.result.sectors
    region, sector = pair
    if "output_pct" in rows.columns:
        rows = rows[(rows["region"] == region) & (rows["sector"] == sector)]
    if "output_pct" not in rows.columns or len(rows) != 1:
        raise SweepError(
            f"outputs: the results of point {point.point.label} have no sector {sector} "
            f"in region {region}",
            path=spec.path,
            key="outputs",
        )
    return float(rows["output_pct"].iloc[0])


def summary_html(result: SweepResult) -> str:
    """A self-contained HTML summary of a sweep (see
    :func:`truce.report.sweep_page.sweep_summary_html`): its focus regions' welfare by
    point, and the real output of the spec's ``outputs``."""
    spec = result.sweep.spec
    focus = list(result.focus_regions())
    regions = focus + list(result.output_columns())
    return sweep_summary_html(
        title=f"{spec.name} on {result.world}: sweep",
        description=spec.description,
        facts=(
            f"{len(result.points)} points ({len(result.reused)} from the run store); "
            f"sweep id {result.id}; world content hash {result.world_hash[:12]}"
        ),
        axes=[(axis.label, [_cell(v) for v in axis.values]) for axis in spec.axes]
        if spec.kind == "grid"
        else [],
        regions=regions,
        table=result.welfare_table(focus),
        stamp=sweep_stamp(spec.name, [p.result for p in result.points if p.result is not None]),
    )


def _swept_measures(sweep: Sweep) -> list[Any]:
    """The measures a grid's axes change (in the first point), or every list point's."""
    if not sweep.points:
        return []
    if sweep.spec.kind == "list":
        return [m for p in sweep.points for m in p.scenario.measures]
    first = sweep.points[0].scenario
    return [first.measures[i] for axis in sweep.spec.axes for i in axis.measures]


def _cell(value: Any) -> Any:
    """A swept value in a table cell: scalars as they are, lists as their label."""
    return show_value(value) if isinstance(value, list | tuple) else value


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def _world_for(sweep: Sweep, world: str | os.PathLike[str] | World | None) -> tuple[World, Any]:
    """The sweep's world, and how the workers find it (a name, a path or the World)."""
    if isinstance(world, World):
        return world, world
    chosen = world if world is not None else sweep.spec.world
    if chosen is None:
        named = sorted({p.scenario.world for p in sweep.points if p.scenario.world})
        if len(named) > 1:
            first = sweep.spec.scenarios[0] if sweep.spec.scenarios else None
            raise SweepError(
                f"the scenarios name different worlds ({', '.join(named)}): give the "
                "sweep a world key or pass --world",
                path=sweep.spec.path,
                line=first.line if first is not None else None,
                key="scenarios",
            )
        if not named:
            raise InputError(
                f"sweep {sweep.name!r} names no world and neither do its scenarios: pass "
                f"--world NAME_OR_FOLDER (built-in worlds: {', '.join(builtin_worlds())})"
            )
        chosen = named[0]
    loaded = load_world(chosen)
    if isinstance(chosen, str) and chosen in builtin_worlds():
        return loaded, chosen
    return loaded, str(Path(chosen).resolve())


def run_sweep(
    sweep: Sweep,
    *,
    world: str | os.PathLike[str] | World | None = None,
    store: RunStore | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    max_steps: int = DEFAULT_MAX_STEPS,
    progress: Progress | None = None,
) -> SweepResult:
    """Solve every point of ``sweep`` that ``store`` does not already hold.

    ``world`` (a built-in name, a folder path or a World) wins over the spec's
    ``world``, which wins over the one its scenarios name (they must agree).  The points
    run on ``client`` (a :class:`distributed.Client`) if given, else on the cluster
    whose scheduler is at ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``),
    else on a new local cluster of ``workers`` processes (default: one per CPU, at
    most one per point to solve), closed at the end.  Each finished point is saved
    in ``store`` as it arrives; a rerun reuses them.  An interruption
    (``KeyboardInterrupt``, also from ``progress``) cancels the points in flight and
    propagates; the points already saved stay.  Raises :class:`InputError` for a
    world or scheduler that cannot be had; a point's own failure is in
    :attr:`SweepResult.failed`.
    """
    world_data, world_ref = _world_for(sweep, world)
    world_hash = content_hash(world_data)
    settings: dict[str, Any] = {"max_steps": max_steps}
    if sweep.against is not None:  # points against another scenario are other runs
        settings["against"] = sweep.against.text
    sid = sweep_id(sweep.spec, sweep.points, world_hash, settings)
    total = len(sweep.points)
    outcomes: dict[str, PointResult] = {}
    kept = store.sweep_runs(sid) if store is not None else {}
    for point in sweep.points:
        if point.key in kept and store is not None:
            run_id = kept[point.key]
            outcomes[point.key] = PointResult(point, store.get(run_id), run_id, reused=True)
    done = len(outcomes)
    if progress is not None:
        progress(done, total, None)
    todo = [p for p in sweep.points if p.key not in outcomes]
    cluster = None
    if todo:
        from distributed import as_completed

        jax_cache = _jax_cache_settings()
        with _dask_client(workers, scheduler, client, len(todo)) as (dask, cluster):
            shipped = (
                dask.scatter(world_ref, broadcast=True)
                if isinstance(world_ref, World)
                else world_ref
            )
            futures = {
                dask.submit(
                    solve_point,
                    shipped,
                    p.text,
                    p.scenario.path,
                    max_steps,
                    jax_cache,
                    sweep.against,
                    pure=False,
                ): p
                for p in todo
            }
            try:
                for future in as_completed(futures):
                    point = futures[future]
                    finished = _finish(point, future, sweep, sid, world_hash, store)
                    outcomes[point.key] = finished
                    done += 1
                    if progress is not None:
                        progress(done, total, finished)
            finally:
                pending = [f for f in futures if not f.done()]
                if pending:
                    dask.cancel(pending)
    return SweepResult(
        sweep=sweep,
        id=sid,
        world=world_data.name,
        world_hash=world_hash,
        points=tuple(outcomes[p.key] for p in sweep.points),
        stored=store is not None,
        cluster=cluster,
    )


def _finish(
    point: SweepPoint,
    future: Any,
    sweep: Sweep,
    sid: str,
    world_hash: str,
    store: RunStore | None,
) -> PointResult:
    """A finished future as a point's outcome, saved in ``store`` when it succeeded."""
    try:
        outcome: PointOutcome = future.result()
    except Exception as error:  # the worker died, or a bug: the point failed, the sweep goes on
        return PointResult(point, None, error=f"{type(error).__name__}: {error}")
    if outcome.result is None:
        return PointResult(point, None, error=outcome.error, bad_input=outcome.bad_input)
    if outcome.world_hash != world_hash:
        return PointResult(
            point,
            None,
            error="the worker's world differs from this one (another content hash): "
            "give the workers the same world folder",
            bad_input=True,
        )
    marker = {
        "id": sid,
        "name": sweep.name,
        "point": {k: _json_value(v) for k, v in point.values.items()},
        "key": point.key,
    }
    result = dataclasses.replace(outcome.result, extra={**outcome.result.extra, "sweep": marker})
    run_id = None
    if store is not None:
        run_id = store.save(result, scenario_text=point.text, world_hash=world_hash)
    return PointResult(point, result, run_id)
