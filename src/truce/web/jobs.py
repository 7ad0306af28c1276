"""The job queue: a bounded queue, one worker process and the thread that minds it.

Requests become :class:`Job` records in a table held by :class:`JobRunner` (one per app,
on ``app.state``).  A supervisor thread takes the oldest waiting job, hands it to the
worker process (:mod:`truce.web.worker`), relays its progress, and records its outcome:
a run's id in the run store, or a timeline's JSON and report (the latest few kept in
memory).  A job that runs past the time-out gets its worker killed and fails with
"timed out after N s"; a fresh worker starts at once for the next job, as it does when
the worker dies.  A full queue refuses new jobs (:class:`QueueFull`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

from truce.web import worker as worker_module
from truce.web.inputs import JobRequest
from truce.web.settings import WebSettings
from truce.web.worker import RunOutcome, TimelineOutcome

JobStatus = Literal["queued", "running", "done", "failed"]
ErrorKind = Literal["input", "model", "timeout", "internal"]

#: How often the supervisor looks for messages, the time-out and a stop (seconds).
POLL = 0.2
#: How long a worker asked to stop may take before it is killed (seconds).
STOP_GRACE = 5.0


class QueueFull(Exception):
    """The queue holds as many waiting jobs as it may."""


@dataclass
class Job:
    """One run or timeline asked for, from the queue to its outcome."""

    id: str
    request: JobRequest
    created: datetime
    status: JobStatus = "queued"
    started: datetime | None = None
    finished: datetime | None = None
    done: int = 0
    total: int | None = None
    note: str = "waiting in the queue"
    error: str | None = None
    error_kind: ErrorKind | None = None
    run_id: str | None = None
    timeline: TimelineOutcome | None = None
    """A finished timeline's JSON and report, while kept."""
    timeline_dropped: bool = False
    """True once a finished timeline's results were dropped to make room."""


def _now() -> datetime:
    return datetime.now(UTC)


class _Worker:
    """One worker process and its end of the pipe."""

    def __init__(self, context: Any, store_path: Path) -> None:
        parent, child = context.Pipe()
        self.conn: Connection = parent
        self.process: BaseProcess = context.Process(
            target=worker_module.serve,
            args=(child, str(store_path)),
            name="truce-web-worker",
            daemon=True,
        )
        self.process.start()
        child.close()
        self.ready = False
        self.pid: int | None = self.process.pid

    def receive(self, timeout: float) -> tuple[Any, ...] | None:
        """The next message, or ``None`` after ``timeout`` seconds; EOFError or OSError
        when the process is gone."""
        if not self.conn.poll(timeout):
            return None
        return self.conn.recv()

    def kill(self) -> int | None:
        """End the process now; its exit code."""
        self.process.kill()
        self.process.join(STOP_GRACE)
        self.conn.close()
        return self.process.exitcode

    def stop(self) -> None:
        """Ask the process to finish, and kill it if it does not."""
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        self.process.join(STOP_GRACE)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_GRACE)
        self.conn.close()


class JobRunner:
    """The job table, the bounded queue and the supervisor of the worker process."""

    def __init__(self, settings: WebSettings, store_path: Path) -> None:
        self._settings = settings
        self._store_path = store_path
        self._context = multiprocessing.get_context("spawn")
        self._cond = threading.Condition()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._waiting: deque[str] = deque()
        self._timelines: deque[str] = deque()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._worker: _Worker | None = None
        self._worker_pid: int | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the supervisor, which starts the worker process at once."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._supervise, name="truce-web-supervisor", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker (a running job fails) and the supervisor; wait for both."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(self._settings.worker_start_timeout + 2 * STOP_GRACE)

    # -- the table ---------------------------------------------------------------------

    def submit(self, request: JobRequest) -> Job:
        """Queue ``request``; :class:`QueueFull` when the queue is full."""
        with self._cond:
            if self._stopping:
                raise QueueFull("the server is stopping")
            if len(self._waiting) >= self._settings.queue_size:
                raise QueueFull(
                    f"the job queue is full ({len(self._waiting)} jobs waiting): try again later"
                )
            self._forget_old()
            job = Job(id=uuid.uuid4().hex, request=request, created=_now())
            self._jobs[job.id] = job
            self._waiting.append(job.id)
            self._cond.notify_all()
            return dataclasses.replace(job)

    def get(self, job_id: str) -> Job | None:
        """A copy of the job ``job_id``, or ``None`` if there is none (or it was forgotten)."""
        with self._cond:
            job = self._jobs.get(job_id)
            return None if job is None else dataclasses.replace(job)

    def jobs(self) -> list[Job]:
        """Copies of every remembered job, newest first."""
        with self._cond:
            return [dataclasses.replace(j) for j in reversed(self._jobs.values())]

    def position(self, job_id: str) -> int | None:
        """How many jobs wait ahead of a queued job (0: it is next)."""
        with self._cond:
            try:
                return self._waiting.index(job_id)
            except ValueError:
                return None

    @property
    def worker_pid(self) -> int | None:
        """The process id of the current worker (``None`` before it starts)."""
        return self._worker_pid

    def _forget_old(self) -> None:
        """Drop finished jobs, oldest first, until a new one fits (lock held)."""
        while len(self._jobs) >= self._settings.max_jobs:
            for job_id, job in self._jobs.items():
                if job.status in ("done", "failed"):
                    del self._jobs[job_id]
                    if job_id in self._timelines:
                        self._timelines.remove(job_id)
                    break
            else:  # pragma: no cover - max_jobs > queue_size rules this out
                return

    def _update(self, job: Job, **changes: Any) -> None:
        with self._cond:
            for key, value in changes.items():
                setattr(job, key, value)

    def _finish(
        self,
        job: Job,
        *,
        error: str | None = None,
        kind: ErrorKind | None = None,
        outcome: RunOutcome | TimelineOutcome | None = None,
    ) -> None:
        with self._cond:
            job.finished = _now()
            if error is not None:
                job.status, job.error, job.error_kind = "failed", error, kind
                job.note = "failed"
                return
            job.status, job.note = "done", "done"
            if job.total is not None:
                job.done = job.total
            if isinstance(outcome, RunOutcome):
                job.run_id = outcome.run_id
            elif isinstance(outcome, TimelineOutcome):
                job.timeline = outcome
                self._timelines.append(job.id)
                while len(self._timelines) > self._settings.max_timelines:
                    old = self._jobs.get(self._timelines.popleft())
                    if old is not None:
                        old.timeline, old.timeline_dropped = None, True

    # -- the supervisor ------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self._store_path)
        self._worker_pid = worker.pid
        return worker

    def _supervise(self) -> None:
        try:
            self._worker = self._spawn()
            while True:
                with self._cond:
                    while not self._waiting and not self._stopping:
                        self._cond.wait()
                    if self._stopping:
                        return
                    job = self._jobs[self._waiting.popleft()]
                self._run(job)
        finally:
            if self._worker is not None:
                self._worker.stop()
                self._worker = None
            with self._cond:
                waiting = [self._jobs[j] for j in self._waiting]
                self._waiting.clear()
            for job in waiting:
                self._finish(job, error="the server stopped before the job ran", kind="internal")

    def _ready_worker(self) -> _Worker | None:
        """The worker, started and ready; ``None`` if it cannot start (or the app stops)."""
        if self._worker is None or not self._worker.process.is_alive():
            if self._worker is not None:
                self._worker.kill()
            self._worker = self._spawn()
        worker = self._worker
        deadline = time.monotonic() + self._settings.worker_start_timeout
        while not worker.ready:
            if self._stopping or time.monotonic() > deadline:
                worker.kill()
                self._worker = None
                return None
            try:
                message = worker.receive(POLL)
            except (EOFError, OSError):
                worker.kill()
                self._worker = None
                return None
            if message is not None and message[0] == "ready":
                worker.ready = True
        return worker

    def _run(self, job: Job) -> None:
        """Send ``job`` to the worker and wait for its outcome, the time-out or a stop."""
        self._update(job, status="running", started=_now(), note="starting the worker")
        worker = self._ready_worker()
        if worker is None:
            if self._stopping:
                self._finish(job, error="the server stopped before the job ran", kind="internal")
            else:
                limit = f"{self._settings.worker_start_timeout:g}"
                self._finish(
                    job, error=f"the worker process did not start within {limit} s", kind="internal"
                )
            return
        self._update(job, started=_now(), note="sent to the worker")
        timeout = self._settings.solve_timeout
        deadline = time.monotonic() + timeout
        try:
            worker.conn.send((job.id, job.request))
        except (OSError, ValueError):
            self._lost(job, worker)
            return
        while True:
            if self._stopping:
                worker.kill()
                self._worker = None
                self._finish(
                    job, error="the server stopped before the job finished", kind="internal"
                )
                return
            left = deadline - time.monotonic()
            if left <= 0:
                worker.kill()
                self._worker = self._spawn()  # warm up for the next job
                self._finish(job, error=f"timed out after {timeout:g} s", kind="timeout")
                return
            try:
                message = worker.receive(min(left, POLL))
            except (EOFError, OSError):
                self._lost(job, worker)
                return
            if message is None or message[1] != job.id:
                continue
            tag = message[0]
            if tag == "progress":
                _, _, done, total, note = message
                self._update(job, done=done, total=total, note=note)
            elif tag == "done":
                self._finish(job, outcome=message[2])
                return
            elif tag == "failed":
                self._finish(job, error=message[3], kind=message[2])
                return

    def _lost(self, job: Job, worker: _Worker) -> None:
        """The worker died during ``job``: fail it and start another."""
        code = worker.kill()
        self._worker = self._spawn()
        self._finish(
            job,
            error=f"the worker process stopped unexpectedly (exit code {code})",
            kind="internal",
        )
