"""The JSON API under ``/api`` (its OpenAPI document is at ``/openapi.json``).

Request bodies are the per-app models of :mod:`truce.web.models`, so the document
lists the worlds, scenarios, models and bounds on offer.  Bad input is a 4xx whose
``detail`` is the command line's message.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the route signatures,
# whose request models are built per app inside :func:`api_router`.

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from pydantic import BaseModel

from truce.web.inputs import JobKind, RequestError, check_offered_world, parse_text, prepare
from truce.web.jobs import Job
from truce.web.models import (
    JOB_ID_PATTERN,
    RUN_ID_PATTERN,
    Comparison,
    ErrorBody,
    JobView,
    ResultDocument,
    RunView,
    ScenarioText,
    ScenarioView,
    Submitted,
    TimelineDocument,
    Validation,
    WorldView,
)
from truce.web.state import (
    WebState,
    comparison_report,
    comparison_rows,
    run_csv,
    run_report,
    stored,
)

#: Seconds a client told "queue full" should wait before trying again.
RETRY_AFTER = 10

RunId = Annotated[str, Path(pattern=RUN_ID_PATTERN, description="a run id or unique prefix")]
JobId = Annotated[str, Path(pattern=JOB_ID_PATTERN, description="a job id")]
QueryRunId = Annotated[str, Query(pattern=RUN_ID_PATTERN, description="a run id")]


class CSVResponse(PlainTextResponse):
    """A CSV document."""

    media_type = "text/csv"


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


def web_state(request: Request) -> WebState:
    """The app's state (see :mod:`truce.web.state`)."""
    return request.app.state.web


def job_links(job: Job) -> dict[str, str]:
    """Where to look at a job and, once done, at what it made."""
    links = {"self": f"/api/jobs/{job.id}", "page": f"/jobs/{job.id}"}
    if job.run_id is not None:
        links |= {
            "result": f"/api/runs/{job.run_id}",
            "report": f"/api/runs/{job.run_id}/report",
            "result_page": f"/runs/{job.run_id}",
        }
    if job.timeline is not None:
        links |= {
            "result": f"/api/jobs/{job.id}/timeline",
            "report": f"/api/jobs/{job.id}/report",
            "result_page": f"/timelines/{job.id}",
        }
    return links


def job_view(state: WebState, job: Job) -> JobView:
    """The JSON view of a job."""
    return JobView(
        id=job.id,
        kind=job.request.kind,
        status=job.status,
        scenario=job.request.scenario,
        world=job.request.world,
        date=job.request.date,
        created_at=job.created,
        started_at=job.started,
        finished_at=job.finished,
        queue_position=state.jobs.position(job.id) if job.status == "queued" else None,
        progress={"done": job.done, "total": job.total, "note": job.note},
        error=job.error,
        error_kind=job.error_kind,
        run_id=job.run_id,
        links=job_links(job),
    )


def find_job(state: WebState, job_id: str) -> Job:
    job = state.jobs.get(job_id)
    if job is None:
        raise RequestError(
            404,
            f"no job {job_id!r} (the server remembers its last {state.settings.max_jobs} jobs)",
        )
    return job


def finished_timeline(state: WebState, job_id: str) -> Job:
    """A job that finished a timeline whose results are still kept."""
    job = find_job(state, job_id)
    if job.request.kind != "timeline":
        raise RequestError(409, f"job {job_id} is a run, not a timeline: see its run_id")
    if job.status == "failed":
        raise RequestError(409, f"job {job_id} failed: {job.error}")
    if job.status != "done":
        raise RequestError(409, f"job {job_id} is {job.status}: its results are not ready yet")
    if job.timeline is None:
        kept = state.settings.max_timelines
        raise RequestError(
            410, f"job {job_id}'s results are no longer kept (the last {kept} are): run it again"
        )
    return job


def api_router(state: WebState) -> APIRouter:
    """The routes of ``/api`` for an app with ``state``."""
    router = APIRouter(prefix="/api", tags=["api"])
    ValidateRequest = state.models.validate
    JobRequest = state.models.job
    scenario_names = tuple(state.catalogue.scenarios)
    ScenarioName = Literal[scenario_names]  # type: ignore[valid-type]

    @router.get("/worlds", response_model=list[WorldView], summary="Built-in worlds")
    def worlds(request: Request) -> list[WorldView]:
        """The built-in worlds this app solves on."""
        s = web_state(request)
        return [
            WorldView(**s.catalogue.world_entry(name).__dict__) for name in s.catalogue.world_names
        ]

    @router.get("/scenarios", response_model=list[ScenarioView], summary="Built-in scenarios")
    def scenarios(request: Request) -> list[ScenarioView]:
        """The built-in scenarios, with the world each names."""
        s = web_state(request)
        return [
            ScenarioView(name=e.name, description=e.description, world=e.world, measures=e.measures)
            for e in s.catalogue.scenarios.values()
        ]

    @router.get(
        "/scenarios/{name}",
        response_model=ScenarioText,
        summary="A built-in scenario's text",
        responses=_errors(404),
    )
    def scenario_text(request: Request, name: Annotated[ScenarioName, Path()]) -> ScenarioText:
        """A built-in scenario and its YAML text (to edit and run as ``scenario_yaml``)."""
        e = web_state(request).catalogue.scenarios[name]
        return ScenarioText(
            name=e.name, description=e.description, world=e.world, measures=e.measures, text=e.text
        )

    @router.post(
        "/validate",
        response_model=Validation,
        summary="Check a scenario text",
        responses=_errors(400, 413),
    )
    def validate(request: Request, body: ValidateRequest) -> Validation:  # type: ignore[valid-type]
        """Parse a scenario as ``truce run`` does: its message names the line and key."""
        s = web_state(request)
        try:
            spec = parse_text(body.scenario_yaml, s.settings)  # type: ignore[attr-defined]
            check_offered_world(spec, body.scenario_yaml, s.catalogue)  # type: ignore[attr-defined]
        except RequestError as error:
            if error.status != 400:
                raise
            return Validation(valid=False, message=error.detail, line=error.line, key=error.key)
        return Validation(
            valid=True,
            name=spec.name,
            description=spec.description,
            world=spec.world,
            measures=len(spec.measures),
        )

    def submit(request: Request, kind: JobKind, body: BaseModel) -> JSONResponse:
        s = web_state(request)
        job_request = prepare(kind, s.catalogue, s.settings, **body.model_dump())
        job = s.jobs.submit(job_request)
        document = Submitted(job_id=job.id, status="queued", links=job_links(job))
        return JSONResponse(
            document.model_dump(mode="json"),
            status_code=202,
            headers={"Location": f"/api/jobs/{job.id}"},
        )

    @router.post(
        "/runs",
        status_code=202,
        response_model=Submitted,
        summary="Run a scenario",
        responses=_errors(400, 404, 413, 429),
    )
    def post_run(request: Request, body: JobRequest) -> JSONResponse:  # type: ignore[valid-type]
        """Queue a run; poll its job.  Done, the run is kept in the store (``run_id``)."""
        return submit(request, "run", body)

    @router.post(
        "/timelines",
        status_code=202,
        response_model=Submitted,
        summary="Run a scenario's timeline",
        responses=_errors(400, 404, 413, 429),
    )
    def post_timeline(request: Request, body: JobRequest) -> JSONResponse:  # type: ignore[valid-type]
        """Queue a timeline (every phase of the scenario's dates); poll its job."""
        return submit(request, "timeline", body)

    @router.get("/jobs", response_model=list[JobView], summary="Recent jobs")
    def jobs(request: Request) -> list[JobView]:
        """The jobs the server remembers, newest first."""
        s = web_state(request)
        return [job_view(s, job) for job in s.jobs.jobs()]

    @router.get("/jobs/{job_id}", response_model=JobView, summary="A job", responses=_errors(404))
    def job(request: Request, job_id: JobId) -> JobView:
        """A job's status and progress; once done, where its results are."""
        s = web_state(request)
        return job_view(s, find_job(s, job_id))

    @router.get(
        "/jobs/{job_id}/timeline",
        response_model=TimelineDocument,
        summary="A timeline's JSON",
        responses=_errors(404, 409, 410),
    )
    def timeline_json(request: Request, job_id: JobId) -> JSONResponse:
        """The timeline JSON of a finished timeline job (as ``truce timeline --json``)."""
        job = finished_timeline(web_state(request), job_id)
        assert job.timeline is not None
        return JSONResponse(job.timeline.document)

    @router.get(
        "/jobs/{job_id}/report",
        response_class=HTMLResponse,
        summary="A timeline's report",
        responses=_errors(404, 409, 410),
    )
    def timeline_report(request: Request, job_id: JobId) -> HTMLResponse:
        """The HTML report of a finished timeline job (as ``truce timeline --report``)."""
        job = finished_timeline(web_state(request), job_id)
        assert job.timeline is not None
        return HTMLResponse(job.timeline.html)

    @router.get("/runs", response_model=list[RunView], summary="Stored runs")
    def runs(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=10_000, description="at most this many")] = 500,
    ) -> list[RunView]:
        """The runs kept in the store, newest first."""
        infos = web_state(request).store.list()
        return [RunView(**info.__dict__) for info in reversed(infos[-limit:])]

    @router.get(
        "/runs/{run_id}",
        response_model=ResultDocument,
        summary="A stored run's results JSON",
        responses=_errors(404),
    )
    def run(request: Request, run_id: RunId) -> JSONResponse:
        """The results JSON (docs/results.md), as ``truce run --json`` writes it."""
        _, result = stored(web_state(request), run_id)
        return JSONResponse(result.to_dict())

    @router.get(
        "/runs/{run_id}/csv",
        response_class=CSVResponse,
        summary="A stored run's table as CSV",
        responses=_errors(404),
    )
    def run_table(
        request: Request,
        run_id: RunId,
        table: Annotated[
            Literal["regions", "trade", "measures"], Query(description="which table")
        ] = "regions",
    ) -> CSVResponse:
        """One of the run's tables: regions, trade or measures."""
        text = run_csv(web_state(request), run_id, table)
        return CSVResponse(
            text,
            headers={"Content-Disposition": f'attachment; filename="run-{run_id}-{table}.csv"'},
        )

    @router.get(
        "/runs/{run_id}/report",
        response_class=HTMLResponse,
        summary="A stored run's report",
        responses=_errors(404),
    )
    def report(request: Request, run_id: RunId) -> HTMLResponse:
        """The run's self-contained HTML report, charts included."""
        return HTMLResponse(run_report(web_state(request), run_id))

    @router.get(
        "/compare", response_model=Comparison, summary="Compare runs", responses=_errors(404)
    )
    def compare(request: Request, a: QueryRunId, b: QueryRunId) -> Comparison:
        """Two stored runs side by side: welfare, real wage and price index by region,
        with b's differences from a."""
        return Comparison(**comparison_rows(web_state(request), [a, b]))

    @router.get(
        "/compare/report",
        response_class=HTMLResponse,
        summary="Compare runs: report",
        responses=_errors(404),
    )
    def compare_report(request: Request, a: QueryRunId, b: QueryRunId) -> HTMLResponse:
        """The comparison as a self-contained HTML report (as ``truce compare --report``)."""
        return HTMLResponse(comparison_report(web_state(request), [a, b]))

    return router
