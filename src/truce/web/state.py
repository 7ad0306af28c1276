"""Everything one app holds, on ``app.state.web``: settings, catalogue, store, jobs, caches.

Also the read side of the run store as the pages and the API need it: a stored run, its
report, its tables as CSV, and comparisons.  Run ids reach the store only after the
routes checked them against :data:`truce.web.models.RUN_ID_PATTERN`.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from truce import api
from truce.api import store as run_store
from truce.errors import ScenarioError, StoreError
from truce.report import comparison, render
from truce.report.result import Result
from truce.web.catalogue import Catalogue
from truce.web.inputs import RequestError
from truce.web.jobs import JobRunner
from truce.web.models import JOB_ID_PATTERN, RUN_ID_PATTERN, RequestModels
from truce.web.settings import WebSettings

Table = Literal["regions", "trade", "measures"]

_RUN_ID = re.compile(RUN_ID_PATTERN)
_JOB_ID = re.compile(JOB_ID_PATTERN)


@dataclass
class Cache:
    """The last few rendered documents, by key (thread-safe, least recently used out)."""

    size: int
    _items: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: str, make: Callable[[], str]) -> str:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


@dataclass
class WebState:
    """One app's state."""

    settings: WebSettings
    catalogue: Catalogue
    store: run_store.RunStore
    store_is_temporary: bool
    jobs: JobRunner
    models: RequestModels
    reports: Cache

    @property
    def store_path(self) -> Path:
        return self.store.path


def check_run_id(run_id: str) -> str:
    """``run_id`` if it looks like a run id; :class:`RequestError` 404 otherwise."""
    if not _RUN_ID.fullmatch(run_id):
        raise RequestError(404, f"no run {run_id!r}: a run id is 4 to 12 hex digits")
    return run_id


def check_job_id(job_id: str) -> str:
    """``job_id`` if it looks like a job id; :class:`RequestError` 404 otherwise."""
    if not _JOB_ID.fullmatch(job_id):
        raise RequestError(404, f"no job {job_id!r}: a job id is 32 hex digits")
    return job_id


def stored(state: WebState, run_id: str) -> tuple[run_store.RunInfo, Result]:
    """A stored run's record and result; 404 when the store has no such run."""
    check_run_id(run_id)
    try:
        info = state.store.info(run_id)
        return info, state.store.get(info.id)
    except StoreError as error:
        raise RequestError(404, str(error)) from None


def stored_info(state: WebState, run_id: str) -> run_store.RunInfo:
    """A stored run's record; 404 when the store has no such run."""
    check_run_id(run_id)
    try:
        return state.store.info(run_id)
    except StoreError as error:
        raise RequestError(404, str(error)) from None


def stored_scenario(state: WebState, info: run_store.RunInfo) -> api.Scenario:
    """The scenario a stored run was solved from (its name alone if the text is lost)."""
    text = state.store.scenario_text(info.id)
    if text is not None:
        try:
            return api.scenario_from_text(text, files=False)
        except ScenarioError:
            pass  # kept by an older truce whose language differed: the name will do
    return api.Scenario(name=info.scenario)


def run_report(state: WebState, run_id: str) -> str:
    """The HTML report of a stored run (as ``truce run --report`` writes it)."""
    info = stored_info(state, run_id)

    def make() -> str:
        result = state.store.get(info.id)
        scenario = stored_scenario(state, info)
        return render.render_html(
            result,
            scenario=scenario,
            world=state.catalogue.report_world(info.world),
            sources=api.scenario_sources(scenario),
        )

    return state.reports.get(f"run:{info.id}", make)


def run_csv(state: WebState, run_id: str, table: Table) -> str:
    """One table of a stored run as CSV."""
    _, result = stored(state, run_id)
    frame = getattr(result, table)
    return frame.to_csv(index=False)


def comparison_rows(state: WebState, ids: list[str]) -> dict[str, Any]:
    """Stored runs side by side (``truce compare``): the runs and one row per run,
    region and compared measure."""
    labelled = [stored(state, run_id) for run_id in ids]
    table = comparison.comparison_table([(info.id, result) for info, result in labelled])
    rows = [
        {key: _finite(value) for key, value in row.items()}
        for row in table.to_dict(orient="records")
    ]
    return {
        "runs": [
            {
                "id": info.id,
                "scenario": info.scenario,
                "world": info.world,
                "date": info.date,
                "converged": info.converged,
            }
            for info, _ in labelled
        ],
        "same_world": len({(i.world, i.world_hash) for i, _ in labelled}) == 1,
        "rows": rows,
    }


def comparison_report(state: WebState, ids: list[str]) -> str:
    """The HTML comparison of stored runs (as ``truce compare --report`` writes it)."""
    infos = [stored_info(state, run_id) for run_id in ids]

    def make() -> str:
        runs = [(info.id, state.store.get(info.id)) for info in infos]
        return comparison.render_comparison_html(runs)

    return state.reports.get("compare:" + ",".join(i.id for i in infos), make)


def _finite(value: Any) -> Any:
    """JSON has no NaN: a missing number is null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
