"""The worker process: solves one job at a time for the web app.

It is started with the ``spawn`` method and lives across jobs, so the model's compiled
solvers stay warm; the app's supervisor (:mod:`truce.web.jobs`) sends it one job at a
time over a pipe and kills it when a job runs past the time-out.  Messages back are
tuples: ``("ready", pid)`` once started, then per job any number of
``("progress", job_id, done, total, note)`` and one ``("done", job_id, outcome)`` or
``("failed", job_id, kind, message)`` with ``kind`` ``input`` (bad input: what the
command line exits 2 for), ``model`` (the model failed: exit 1) or ``internal``.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from truce import api
from truce.api import store as run_store
from truce.config import enable_compilation_cache
from truce.errors import InputError, StoreError, TruceError
from truce.report import render
from truce.web.inputs import SCENARIO_LABEL, JobRequest

#: ``progress(done, total, note)``: how far a job has come.
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class RunOutcome:
    """A finished run: kept in the store under ``run_id``."""

    run_id: str


@dataclass(frozen=True)
class TimelineOutcome:
    """A finished timeline: its JSON document and HTML report."""

    document: dict[str, Any]
    html: str


def execute(
    request: JobRequest, store_path: Path, progress: Progress
) -> RunOutcome | TimelineOutcome:
    """Solve ``request`` as ``truce run`` / ``truce timeline`` would; keep a run in the
    store at ``store_path``.  Raises what :func:`truce.api.run` raises."""
    progress(0, 1, "loading the world")
    world = api.load_world(request.world)  # a built-in name, checked by the app
    if request.builtin is not None:
        spec = api.load_scenario(request.builtin)
    else:
        spec = api.scenario_from_text(request.text or "", path=SCENARIO_LABEL, files=False)
    if request.kind == "timeline":

        def phase_done(done: int, total: int, phase: api.Phase) -> None:
            progress(done, total, f"phase {phase.title}")

        timeline = api.timeline(
            world,
            spec,
            progress=phase_done,
            model=request.model,
            elasticities=request.elasticities,
            against=None if request.against is None else api.load_scenario(request.against),
        )
        progress(len(timeline.phases), len(timeline.phases), "writing the report")
        html = render.render_timeline_html(
            timeline, scenario=spec, world=world, sources=api.scenario_sources(spec)
        )
        return TimelineOutcome(document=timeline.to_dict(), html=html)

    def draws_done(done: int, total: int) -> None:
        progress(done, total, "elasticity draws")

    if request.draws:
        progress(0, request.draws, "solving the scenario, then the elasticity draws")
    else:
        progress(0, 1, "solving")
    result = api.run(
        world,
        spec,
        date=request.date,
        model=request.model,
        draws=request.draws,
        seed=request.seed,
        progress=draws_done if request.draws else None,
        elasticities=request.elasticities,
        against=None if request.against is None else api.load_scenario(request.against),
    )
    progress(1, 1, "saving the run")
    run_id = run_store.RunStore(store_path).save_run(result, world, spec)
    return RunOutcome(run_id)


def serve(conn: Connection, store_path: str) -> None:
    """The worker's main loop: run each job received on ``conn`` until told to stop
    (``None``) or the pipe closes."""
    # Ctrl-C in a terminal reaches the whole process group; the app stops its worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    enable_compilation_cache()
    path = Path(store_path)
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job_id, request = message

        def progress(done: int, total: int, note: str, job_id: str = job_id) -> None:
            conn.send(("progress", job_id, done, total, note))

        try:
            outcome = execute(request, path, progress)
        except StoreError as error:  # the server's store, not the request, is at fault
            conn.send(("failed", job_id, "internal", f"the run could not be kept: {error}"))
        except TruceError as error:
            kind = "input" if isinstance(error, InputError) else "model"
            conn.send(("failed", job_id, kind, str(error)))
        except Exception as error:  # a bug: reported with the job, the worker goes on
            conn.send(("failed", job_id, "internal", f"{type(error).__name__}: {error}"))
        else:
            conn.send(("done", job_id, outcome))
