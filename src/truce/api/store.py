"""The run store: every run kept in an embedded DuckDB database.

A store is one DuckDB file (by default ``runs.duckdb`` in the user's data folder; the
``TRUCE_STORE`` environment variable or ``--store PATH`` moves it, ``TRUCE_STORE=off``
keeps nothing).  Table ``runs`` holds one row per run: its id, when it was saved, the
scenario's name and text, the world's name and content hash, the truce version, the
model, the date and the solver statistics.  Tables ``regions``, ``trade`` and
``measures`` hold the result tables, one row per result row, keyed by ``run_id`` and
ordered by ``row_no``.

Each run is saved in one transaction, so a process killed while saving leaves no part
of its run behind.  DuckDB lets one process at a time open a database for writing:
every operation opens the file, does its work and closes it, holding an exclusive lock
on a file beside the database (``runs.duckdb.lock``) meanwhile, and retries with a
bounded backoff while another process (one not taking that lock) has the database
open.  Two processes saving at once therefore take turns; both runs land.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import date as Date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from truce.config import SETTINGS, Settings
from truce.data.world import World, content_hash
from truce.errors import StoreError
from truce.policy.spec import Scenario
from truce.report.result import Result, SolverStats
from truce.report.version import truce_version

try:  # POSIX advisory locks; elsewhere the retries alone serialise writers
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: The result tables a run keeps, in this order.
TABLES = ("regions", "trade", "measures", "sectors", "tariffs")

#: How long one operation waits for the store to be free before giving up (seconds).
LOCK_TIMEOUT = 120.0

#: Run ids: this many hex digits of a random UUID.
ID_LENGTH = 12

#: The shortest id prefix :meth:`RunStore.get` accepts.
MIN_PREFIX = 4

#: Columns every store table keeps besides the result's own.
_KEY_COLUMNS = ("run_id", "row_no")

#: The contract's columns (docs/results.md) with their database types; a result column
#: not listed here is added to its table when first seen.
_KNOWN: dict[str, dict[str, str]] = {
    "regions": {
        "region": "VARCHAR",
        "welfare_pct": "DOUBLE",
        "real_wage_pct": "DOUBLE",
        "nominal_wage_pct": "DOUBLE",
        "price_index_pct": "DOUBLE",
        "tariff_revenue": "DOUBLE",
        "exports_pct": "DOUBLE",
        "imports_pct": "DOUBLE",
        "tot_pct": "DOUBLE",
        "vot_pct": "DOUBLE",
    },
    "trade": {
        "exporter": "VARCHAR",
        "importer": "VARCHAR",
        "sector": "VARCHAR",
        "baseline": "DOUBLE",
        "counterfactual": "DOUBLE",
        "quantity": "DOUBLE",
        "base": "DOUBLE",
    },
    "measures": {
        "index": "BIGINT",
        "kind": "VARCHAR",
        "binding": "BOOLEAN",
        "equivalent_rate": "DOUBLE",
        "in_force": "BOOLEAN",
        "cells": "BIGINT",
    },
    "sectors": {
        "region": "VARCHAR",
        "sector": "VARCHAR",
        "gross_output": "DOUBLE",
        "output_pct": "DOUBLE",
        "value_added_pct": "DOUBLE",
        "employment_base_pct": "DOUBLE",
        "employment_pct": "DOUBLE",
        "price_pct": "DOUBLE",
        "unit_cost_pct": "DOUBLE",
    },
    "tariffs": {
        "importer": "VARCHAR",
        "exporter": "VARCHAR",
        "before_pct": "DOUBLE",
        "after_pct": "DOUBLE",
    },
}

_RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    scenario VARCHAR NOT NULL,
    scenario_text VARCHAR,
    world VARCHAR NOT NULL,
    world_hash VARCHAR,
    truce_version VARCHAR,
    model VARCHAR NOT NULL,
    date DATE,
    converged BOOLEAN NOT NULL,
    iterations BIGINT NOT NULL,
    residual DOUBLE NOT NULL,
    seconds DOUBLE NOT NULL,
    jacobians BIGINT NOT NULL,
    layout VARCHAR NOT NULL,
    extra VARCHAR NOT NULL
)
"""

_RUN_FIELDS = (
    "id",
    "created_at",
    "scenario",
    "world",
    "world_hash",
    "truce_version",
    "model",
    "date",
    "converged",
    "iterations",
    "residual",
    "seconds",
    "jacobians",
)


@dataclass(frozen=True)
class RunInfo:
    """One stored run's row in ``runs``: where it came from and how the solve went."""

    id: str
    created_at: datetime
    """When the run was saved (UTC, a time-zone-aware datetime)."""
    scenario: str
    world: str
    world_hash: str | None
    truce_version: str | None
    model: str
    date: Date | None
    converged: bool
    iterations: int
    residual: float
    seconds: float
    jacobians: int


def default_path(settings: Settings = SETTINGS) -> Path | None:
    """The store named by ``TRUCE_STORE``, else ``runs.duckdb`` in the user's data
    folder; ``None`` under ``TRUCE_STORE=off``."""
    if settings.store_off:
        return None
    if settings.store is not None:
        return settings.store
    import platformdirs

    return Path(platformdirs.user_data_dir("truce")) / "runs.duckdb"


class RunStore:
    """Runs kept in the DuckDB file at ``path`` (created, with its folder, when first
    written).  Each method opens the database, works, and closes it again."""

    def __init__(self, path: str | Path, *, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path).expanduser()
        self.lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"RunStore({str(self.path)!r})"

    # -- connections -----------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The database opened for this process alone, its schema in place."""
        if self.path.is_dir():
            raise StoreError(f"{self.path}: the run store is a folder, not a database file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"{self.path}: cannot create the run store: {error}") from error
        deadline = time.monotonic() + self.lock_timeout
        with self._locked(deadline):
            con = self._open(deadline)
            try:
                _ensure_schema(con)
                yield con
            finally:
                con.close()

    @contextlib.contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The database opened read-only (a store on a read-only disk can be read): the
        lock is taken when its file can be opened, so that no save is half seen."""
        if self.path.is_dir():
            raise StoreError(f"{self.path}: the run store is a folder, not a database file")
        deadline = time.monotonic() + self.lock_timeout
        lock_path = self.path.with_name(self.path.name + ".lock")
        writable = os.access(self.path.parent, os.W_OK) or os.access(lock_path, os.W_OK)
        with self._locked(deadline) if writable else contextlib.nullcontext():
            con = self._open(deadline, read_only=True)
            try:
                yield con
            finally:
                con.close()

    @contextlib.contextmanager
    def _locked(self, deadline: float) -> Iterator[None]:
        """Hold the exclusive lock on ``PATH.lock`` (where POSIX locks exist)."""
        if fcntl is None:  # pragma: no cover - Windows
            yield
            return
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            handle = open(lock_path, "a+b")  # noqa: SIM115 - closed below
        except OSError as error:
            raise StoreError(f"{lock_path}: cannot open the run store's lock: {error}") from error
        try:
            pause = 0.01
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise StoreError(
                            f"{self.path}: the run store stayed busy for "
                            f"{self.lock_timeout:g} s (another truce is writing to it)"
                        ) from None
                    time.sleep(pause)
                    pause = min(pause * 2, 0.5)
            yield
        finally:
            handle.close()  # closing the file releases the lock

    def _open(self, deadline: float, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """Connect, retrying with a bounded backoff while another process holds the file."""
        pause = 0.02
        while True:
            try:
                return duckdb.connect(str(self.path), read_only=read_only, config=_OFFLINE)
            except duckdb.Error as error:
                busy = isinstance(error, duckdb.IOException) and "lock" in str(error).lower()
                if not busy or time.monotonic() > deadline:
                    raise self._unopenable(error) from error
            time.sleep(pause)
            pause = min(pause * 2, 0.5)

    def _unopenable(self, error: duckdb.Error) -> StoreError:
        """Why the store cannot be opened, in words."""
        if "extension" in str(error).lower():  # another database's file
            return StoreError(
                f"{self.path}: not a truce run store (a DuckDB database file): DuckDB would "
                "need an extension to read it, and truce loads none"
            )
        return StoreError(f"{self.path}: cannot open the run store: {error}")

    # -- writing ---------------------------------------------------------------------

    def save(
        self,
        result: Result,
        *,
        scenario_text: str | None = None,
        world_hash: str | None = None,
        before_commit: Callable[[], None] | None = None,
    ) -> str:
        """Keep ``result``; return its new run id.

        The run's row and its tables are written in one transaction: a process killed
        before the commit leaves nothing of the run.  ``before_commit`` (for tests) is
        called inside that transaction, after every row is written.
        """
        run_id = uuid.uuid4().hex[:ID_LENGTH]
        frames = {name: getattr(result, name) for name in TABLES}
        layout: dict[str, Any] = {
            name: [[str(c), str(frame[c].dtype)] for c in frame.columns]
            for name, frame in frames.items()
        }
        # How many rows each table holds: a table emptied or dropped later is damage,
        # found when the run is read, not an empty result.
        layout[_ROWS] = {name: len(frame) for name, frame in frames.items()}
        arrows = {name: _to_arrow(name, frame) for name, frame in frames.items()}
        solver = result.solver
        try:
            with self._connect() as con:
                for name, table in arrows.items():
                    _add_columns(con, name, table.schema)
                con.execute("BEGIN TRANSACTION")
                try:
                    con.execute(
                        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [
                            run_id,
                            datetime.now(UTC).replace(tzinfo=None),
                            result.scenario,
                            scenario_text,
                            result.world,
                            world_hash,
                            truce_version(),
                            result.model,
                            result.date,
                            bool(solver.converged),
                            int(solver.iterations),
                            float(solver.residual),
                            float(solver.seconds),
                            int(solver.jacobians),
                            json.dumps(layout),
                            json.dumps(
                                {"base": result.base, "names": result.names, **result.extra},
                                default=str,
                            ),
                        ],
                    )
                    for name, table in arrows.items():
                        _insert(con, name, run_id, table)
                    if before_commit is not None:
                        before_commit()
                    con.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(duckdb.Error):
                        con.execute("ROLLBACK")
                    raise
        except duckdb.Error as error:
            raise StoreError(f"{self.path}: cannot save the run: {error}") from error
        return run_id

    def save_run(self, result: Result, world: World, scenario: Scenario) -> str:
        """Keep ``result`` of ``scenario`` on ``world`` with the scenario's text and the
        world's content hash (:func:`truce.data.world.content_hash`)."""
        return self.save(result, scenario_text=scenario.text, world_hash=content_hash(world))

    def delete(self, run_id: str) -> None:
        """Remove a run and its tables (one transaction); an unknown id is a StoreError."""
        try:
            with self._connect() as con:
                found = _resolve(con, run_id, self.path)
                con.execute("BEGIN TRANSACTION")
                for name in TABLES:
                    con.execute(f"DELETE FROM {name} WHERE run_id = ?", [found])
                con.execute("DELETE FROM runs WHERE id = ?", [found])
                con.execute("COMMIT")
        except duckdb.Error as error:
            raise StoreError(f"{self.path}: cannot delete run {run_id}: {error}") from error

    # -- reading ---------------------------------------------------------------------

    def list(self) -> list[RunInfo]:
        """Every stored run, oldest first.  A store not yet created has none."""
        if not self.path.exists():
            return []
        try:
            with self._reading() as con:
                rows = con.execute(
                    f"SELECT {', '.join(_RUN_FIELDS)} FROM runs ORDER BY created_at, id"
                ).fetchall()
        except duckdb.Error as error:
            raise StoreError(f"{self.path}: cannot read the run store: {error}") from error
        return [_info(row) for row in rows]

    def __contains__(self, run_id: object) -> bool:
        if not isinstance(run_id, str) or not self.path.exists():
            return False
        try:
            with self._reading() as con:
                _resolve(con, run_id, self.path)
        except StoreError:
            return False
        return True

    def info(self, run_id: str) -> RunInfo:
        """The ``runs`` row of a run (a full id or a unique prefix of at least 4 digits)."""
        self._require_file(run_id)
        try:
            with self._reading() as con:
                found = _resolve(con, run_id, self.path)
                row = con.execute(
                    f"SELECT {', '.join(_RUN_FIELDS)} FROM runs WHERE id = ?", [found]
                ).fetchone()
        except duckdb.Error as error:
            raise StoreError(f"{self.path}: cannot read run {run_id}: {error}") from error
        assert row is not None
        return _info(row)

    def scenario_text(self, run_id: str) -> str | None:
        """The scenario text a run was solved from (``None`` when it was not given)."""
        self._require_file(run_id)
        with self._reading() as con:
            found = _resolve(con, run_id, self.path)
            row = con.execute("SELECT scenario_text FROM runs WHERE id = ?", [found]).fetchone()
        return None if row is None else row[0]

    def get(self, run_id: str) -> Result:
        """The stored run as a :class:`~truce.report.result.Result` whose tables equal
        the saved ones: same columns, order, dtypes and values."""
        self._require_file(run_id)
        try:
            with self._reading() as con:
                found = _resolve(con, run_id, self.path)
                row = con.execute(
                    "SELECT scenario, world, model, date, converged, iterations, residual, "
                    "seconds, jacobians, layout, extra FROM runs WHERE id = ?",
                    [found],
                ).fetchone()
                assert row is not None
                layout, extra = _decoded(row[9], row[10], self.path, found)
                present = {
                    r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
                }
                # A run kept before a table existed has none of it (an empty table); a
                # table gone since is damage (_check_rows).
                tables = {
                    name: _read_table(con, name, found, layout.get(name, []))
                    if name in present
                    else pd.DataFrame(columns=[c for c, _ in layout.get(name, [])])
                    for name in TABLES
                }
        except duckdb.Error as error:
            raise StoreError(f"{self.path}: cannot read run {run_id}: {error}") from error
        except (KeyError, TypeError, ValueError) as error:  # a column or dtype not truce's
            raise StoreError(
                f"{self.path}: run {run_id} is damaged (its tables do not match its layout: "
                f"{error}); delete it with `truce runs delete {run_id}`"
            ) from None
        _check_rows(tables, layout.get(_ROWS, {}), self.path, found)
        base = extra.pop("base", {})  # a run kept before bases were recorded has none
        names = extra.pop("names", {})
        return Result(
            scenario=row[0],
            world=row[1],
            date=row[3],
            model=row[2],
            solver=SolverStats(
                converged=bool(row[4]),
                iterations=int(row[5]),
                residual=float(row[6]),
                seconds=float(row[7]),
                jacobians=int(row[8]),
            ),
            regions=tables["regions"],
            trade=tables["trade"],
            measures=tables["measures"],
            sectors=tables["sectors"],
            tariffs=tables["tariffs"],
            base=base,
            names=names,
            extra=extra,
        )

    def sweep_runs(self, sweep_id: str) -> dict[str, str]:
        """The runs a sweep kept: point key → run id, for every run whose
        ``extra["sweep"]["id"]`` is ``sweep_id`` (see :mod:`truce.api.sweep_runner`).  Where one
        point was kept twice, the older run counts.  A store not yet created has none."""
        if not self.path.exists():
            return {}
        try:
            with self._reading() as con:
                rows = con.execute(
                    "SELECT id, json_extract_string(extra, '$.sweep.key') FROM runs "
                    "WHERE json_extract_string(extra, '$.sweep.id') = ? "
                    "ORDER BY created_at, id",
                    [sweep_id],
                ).fetchall()
        except duckdb.Error as error:
            raise StoreError(f"{self.path}: cannot read the run store: {error}") from error
        found: dict[str, str] = {}
        for run_id, key in rows:
            if key is not None:
                found.setdefault(key, run_id)
        return found

    def _require_file(self, run_id: str) -> None:
        if not self.path.exists():
            raise StoreError(f"no run {run_id!r}: the run store {self.path} has no runs yet")


# -- helpers ---------------------------------------------------------------------------


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_RUNS_SCHEMA)
    for name, columns in _KNOWN.items():
        body = ", ".join(f'"{c}" {t}' for c, t in columns.items())
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {name} "
            f"(run_id VARCHAR NOT NULL, row_no BIGINT NOT NULL, {body})"
        )


def _to_arrow(name: str, frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table (object columns of numbers and ``None`` become
    nullable numbers), with its row numbers in ``row_no``."""
    for column in frame.columns:
        if str(column) in _KEY_COLUMNS:
            raise StoreError(f"the {name} table has a column {column!r}, a name the store keeps")
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, TypeError, ValueError) as error:
        raise StoreError(f"cannot store the {name} table: {error}") from error
    return table.append_column("row_no", pa.array(range(len(frame)), type=pa.int64()))


def _sql_type(kind: pa.DataType) -> str:
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind) or pa.types.is_null(kind):
        return "DOUBLE"
    if pa.types.is_date(kind):
        return "DATE"
    return "VARCHAR"


def _add_columns(con: duckdb.DuckDBPyConnection, name: str, schema: pa.Schema) -> None:
    """Add to table ``name`` the columns of ``schema`` it does not have yet."""
    have = {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}
    for f in schema:
        if f.name not in have:
            con.execute(f'ALTER TABLE {name} ADD COLUMN "{f.name}" {_sql_type(f.type)}')


def _insert(con: duckdb.DuckDBPyConnection, name: str, run_id: str, table: pa.Table) -> None:
    view = f"_incoming_{name}"
    con.register(view, table)
    try:
        columns = ", ".join(f'"{c}"' for c in table.column_names)
        con.execute(
            f"INSERT INTO {name} (run_id, {columns}) SELECT ?, {columns} FROM {view}", [run_id]
        )
    finally:
        con.unregister(view)


#: DuckDB settings of every connection: a run store never fetches or loads an extension
#: on its own (truce runs offline; a file that is not a DuckDB database is an error,
#: not a reason to download a reader for it).
_OFFLINE: dict[str, Any] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}

#: The layout entry that counts each table's rows (runs kept before it have none).
_ROWS = "_rows"


def _decoded(
    layout: str, extra: str, path: Path, run_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A stored run's layout and extra entries; a StoreError when they are not the JSON
    objects truce wrote."""
    try:
        decoded = json.loads(layout), json.loads(extra)
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"{path}: run {run_id} is damaged (its layout or extra entry is not JSON: "
            f"{error}); delete it with `truce runs delete {run_id}`"
        ) from None
    if not all(isinstance(d, dict) for d in decoded):
        raise StoreError(f"{path}: run {run_id} is damaged (its layout is not a JSON object)")
    if not all(
        isinstance(v, list) and all(isinstance(c, list) and len(c) == 2 for c in v)
        for k, v in decoded[0].items()
        if k != _ROWS
    ):
        raise StoreError(f"{path}: run {run_id} is damaged (its layout lists no columns)")
    return decoded


def _check_rows(
    tables: dict[str, pd.DataFrame], rows: dict[str, int], path: Path, run_id: str
) -> None:
    """Each table holds the rows the run was saved with (when it says how many)."""
    for name, expected in rows.items():
        held = len(tables.get(name, ()))
        if name in tables and held != expected:
            raise StoreError(
                f"{path}: run {run_id} is damaged: its {name} table holds {held} rows, it "
                f"was saved with {expected}; delete it with `truce runs delete {run_id}`"
            )


def _read_table(
    con: duckdb.DuckDBPyConnection, name: str, run_id: str, layout: list[list[str]]
) -> pd.DataFrame:
    """A stored table with its saved column order and dtypes."""
    names = [c for c, _ in layout]
    select = ", ".join(f'"{c}"' for c in names) if names else "row_no"
    frame = con.execute(
        f"SELECT {select} FROM {name} WHERE run_id = ? ORDER BY row_no", [run_id]
    ).df()
    out = {}
    for column, dtype in layout:
        values = frame[column]
        if dtype == "object":
            out[column] = pd.Series(
                [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in values],
                dtype=object,
            )
        else:
            out[column] = values.astype(dtype)
    return pd.DataFrame(out, columns=names, index=pd.RangeIndex(len(frame)))


def _resolve(con: duckdb.DuckDBPyConnection, run_id: str, path: Path) -> str:
    """The full id of the run ``run_id`` names (itself or a unique prefix)."""
    text = run_id.strip().lower()
    exact = con.execute("SELECT id FROM runs WHERE id = ?", [text]).fetchone()
    if exact is not None:
        return exact[0]
    if len(text) >= MIN_PREFIX and all(c in "0123456789abcdef" for c in text):
        found = con.execute(
            "SELECT id FROM runs WHERE starts_with(id, ?) ORDER BY id", [text]
        ).fetchall()
        if len(found) == 1:
            return found[0][0]
        if len(found) > 1:
            ids = ", ".join(r[0] for r in found[:5])
            raise StoreError(f"run id {run_id!r} is ambiguous in {path}: it begins {ids}")
    raise StoreError(f"no run {run_id!r} in the run store {path} (`truce runs` lists them)")


def _info(row: tuple[Any, ...]) -> RunInfo:
    values = dict(zip(_RUN_FIELDS, row, strict=True))
    return RunInfo(
        id=values["id"],
        # Stored as UTC without a zone; handed out with it (ISO 8601 with an offset).
        created_at=values["created_at"].replace(tzinfo=UTC),
        scenario=values["scenario"],
        world=values["world"],
        world_hash=values["world_hash"],
        truce_version=values["truce_version"],
        model=values["model"],
        date=values["date"],
        converged=bool(values["converged"]),
        iterations=int(values["iterations"]),
        residual=float(values["residual"]),
        seconds=float(values["seconds"]),
        jacobians=int(values["jacobians"]),
    )
