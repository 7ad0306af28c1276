"""The server-rendered pages: pick or write a scenario, follow its job, read its report.

Every page works without JavaScript (forms post back, a job page refreshes itself);
``static/app.js`` makes the editor and the job page livelier.  Templates autoescape
everything, so text from a request is never markup.
"""

# No ``from __future__ import annotations``: FastAPI reads the route signatures.

from datetime import date as Date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from truce import api
from truce.web import editor
from truce.web.api_routes import RETRY_AFTER, find_job, finished_timeline, job_view
from truce.web.catalogue import Catalogue
from truce.web.inputs import SCENARIO_LABEL, RequestError, check_offered_world, parse_text, prepare
from truce.web.jobs import QueueFull
from truce.web.models import MAX_SEED
from truce.web.settings import WebSettings
from truce.web.state import WebState, check_job_id, check_run_id, stored_info

#: How many recent jobs the start page lists.
RECENT_JOBS = 8


def templates() -> Jinja2Templates:
    """The page templates (package data), every value autoescaped."""
    env = Environment(
        loader=PackageLoader("truce.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


def pages_router(state: WebState) -> APIRouter:
    """The routes of the pages for an app with ``state``."""
    router = APIRouter(include_in_schema=False)
    pages = templates()

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("store_path", str(state.store_path))
        context.setdefault("store_is_temporary", state.store_is_temporary)
        return pages.TemplateResponse(request, name, context, status_code=status)

    def failure(request: Request, error: RequestError) -> HTMLResponse:
        return page(request, "error.html", error.status, message=error.detail)

    def start_page(request: Request, status: int = 200, **form: Any) -> HTMLResponse:
        values = {
            "world": "",
            "scenario": "",
            "scenario_yaml": "",
            "date": "",
            "model": "",
            "draws": "0",
            "seed": "0",
            "elasticities": "",
            "against": "",
            "tariff_by": "USA",
            "tariff_on": "CHN",
            "tariff_sectors": "*",
            "tariff_rate": "0.25",
            "tariff_mode": "add",
            "tariff_start": "",
            "tariff_end": "",
        }
        message = form.pop("message", None)
        values.update({k: v for k, v in form.items() if v is not None})
        return page(
            request,
            "index.html",
            status,
            form=values,
            message=message,
            worlds=[state.catalogue.world_entry(w) for w in state.catalogue.world_names],
            scenarios=list(state.catalogue.scenarios.values()),
            models=api.MODELS,
            recent=state.jobs.jobs()[:RECENT_JOBS],
            limits=state.settings,
            label=SCENARIO_LABEL,
        )

    @router.get("/", response_class=HTMLResponse)
    def index(
        request: Request,
        scenario: Annotated[str, Query(max_length=200)] = "",
        run: Annotated[str, Query(max_length=40)] = "",
    ) -> HTMLResponse:
        entry = state.catalogue.scenarios.get(scenario)
        if entry is not None:
            world = entry.world if entry.world in state.catalogue.world_names else ""
            return start_page(request, scenario=entry.name, scenario_yaml=entry.text, world=world)
        if run:
            try:
                info = stored_info(state, run)
            except RequestError as error:
                return failure(request, error)
            text = state.store.scenario_text(info.id) or ""
            world = info.world if info.world in state.catalogue.world_names else ""
            date = info.date.isoformat() if info.date is not None else ""
            return start_page(request, scenario_yaml=text, world=world, date=date)
        return start_page(request)

    @router.post("/", response_class=HTMLResponse)
    def index_form(
        request: Request,
        action: Annotated[str, Form()] = "validate",
        world: Annotated[str, Form()] = "",
        scenario: Annotated[str, Form()] = "",
        scenario_yaml: Annotated[str, Form()] = "",
        date: Annotated[str, Form()] = "",
        model: Annotated[str, Form()] = "",
        draws: Annotated[str, Form()] = "0",
        seed: Annotated[str, Form()] = "0",
        elasticities: Annotated[str, Form()] = "",
        against: Annotated[str, Form()] = "",
        tariff_by: Annotated[str, Form()] = "",
        tariff_on: Annotated[str, Form()] = "",
        tariff_sectors: Annotated[str, Form()] = "",
        tariff_rate: Annotated[str, Form()] = "",
        tariff_mode: Annotated[str, Form()] = "add",
        tariff_start: Annotated[str, Form()] = "",
        tariff_end: Annotated[str, Form()] = "",
    ) -> Response:
        # Browsers send the textarea with CRLF line ends; the scenario's lines are LF.
        scenario_yaml = scenario_yaml.replace("\r\n", "\n")
        form = {
            "world": world,
            "scenario": scenario,
            "scenario_yaml": scenario_yaml,
            "date": date,
            "model": model,
            "draws": draws,
            "seed": seed,
            "elasticities": elasticities,
            "against": against,
            "tariff_by": tariff_by,
            "tariff_on": tariff_on,
            "tariff_sectors": tariff_sectors,
            "tariff_rate": tariff_rate,
            "tariff_mode": tariff_mode,
            "tariff_start": tariff_start,
            "tariff_end": tariff_end,
        }
        try:
            if action == "load":
                entry = state.catalogue.scenarios.get(scenario)
                if entry is None:
                    raise RequestError(400, "choose a built-in scenario to load")
                form["scenario_yaml"] = entry.text
                if entry.world in state.catalogue.world_names:
                    form["world"] = entry.world
                return start_page(request, **form)
            if action == "validate":
                return start_page(
                    request,
                    message=_validate(scenario_yaml, state.settings, state.catalogue),
                    **form,
                )
            if action == "add_tariff":
                keys = editor.tariff_lines(
                    by=tariff_by,
                    on=tariff_on,
                    sectors=tariff_sectors,
                    rate=tariff_rate,
                    mode=tariff_mode,
                    start=tariff_start,
                    end=tariff_end,
                )
                form["scenario_yaml"] = editor.append_measure(scenario_yaml, keys)
                message = {"ok": True, "text": "added a tariff at the end of the measures"}
                return start_page(request, message=message, **form)
            if action in ("run", "timeline"):
                job = state.jobs.submit(
                    prepare(
                        "timeline" if action == "timeline" else "run",
                        state.catalogue,
                        state.settings,
                        world=world or None,
                        scenario=None if scenario_yaml.strip() else (scenario or None),
                        scenario_yaml=scenario_yaml if scenario_yaml.strip() else None,
                        date=_date(date),
                        model=model or None,
                        draws=_count(draws, "draws", state.settings.max_draws),
                        seed=_count(seed, "seed", MAX_SEED),
                        elasticities=elasticities.strip() or None,
                        against=against.strip() or None,
                    )
                )
                return RedirectResponse(f"/jobs/{job.id}", status_code=303)
            raise RequestError(400, f"unknown action {action!r}")
        except RequestError as error:
            message = {"ok": False, "text": error.detail}
            return start_page(request, error.status, message=message, **form)
        except QueueFull as error:
            response = start_page(request, 429, message={"ok": False, "text": str(error)}, **form)
            response.headers["Retry-After"] = str(RETRY_AFTER)
            return response

    @router.get("/jobs/{job_id}", response_class=HTMLResponse)
    def job_page(request: Request, job_id: str) -> Response:
        try:
            job = find_job(state, check_job_id(job_id))
        except RequestError as error:
            return failure(request, error)
        view = job_view(state, job)
        if job.status == "done" and "result_page" in view.links:
            return RedirectResponse(view.links["result_page"], status_code=303)
        return page(request, "job.html", job=view)

    @router.get("/runs", response_class=HTMLResponse)
    def runs_page(request: Request) -> HTMLResponse:
        return page(request, "runs.html", runs=list(reversed(state.store.list())))

    @router.get("/runs/{run_id}", response_class=HTMLResponse)
    def run_page(request: Request, run_id: str) -> HTMLResponse:
        try:
            info = stored_info(state, check_run_id(run_id))
        except RequestError as error:
            return failure(request, error)
        return page(request, "run.html", run=info)

    @router.get("/compare", response_class=HTMLResponse)
    def compare_page(
        request: Request,
        a: Annotated[str, Query(max_length=40)] = "",
        b: Annotated[str, Query(max_length=40)] = "",
    ) -> HTMLResponse:
        try:
            if not a or not b:
                raise RequestError(400, "choose two runs to compare (a and b)")
            infos = [stored_info(state, check_run_id(x)) for x in (a, b)]
        except RequestError as error:
            return failure(request, error)
        return page(request, "compare.html", runs=infos)

    @router.get("/timelines/{job_id}", response_class=HTMLResponse)
    def timeline_page(request: Request, job_id: str) -> HTMLResponse:
        try:
            job = finished_timeline(state, check_job_id(job_id))
        except RequestError as error:
            return failure(request, error)
        return page(request, "timeline.html", job=job_view(state, job))

    return router


def _validate(text: str, settings: WebSettings, catalogue: Catalogue) -> dict[str, Any]:
    """The Validate button's verdict, in the command line's words."""
    if not text.strip():
        return {"ok": False, "text": "the editor is empty: load or write a scenario"}
    try:
        spec = parse_text(text, settings)
        check_offered_world(spec, text, catalogue)
    except RequestError as error:
        return {"ok": False, "text": error.detail, "line": error.line}
    count = len(spec.measures)
    return {"ok": True, "text": f"the scenario {spec.name} is valid ({count} measures)"}


def _date(text: str) -> Date | None:
    if not text.strip():
        return None
    try:
        return Date.fromisoformat(text.strip())
    except ValueError:
        raise RequestError(400, f"{text!r} is not a date of the form YYYY-MM-DD") from None


def _count(text: str, name: str, most: int) -> int:
    try:
        value = int(text.strip() or "0")
    except ValueError:
        raise RequestError(400, f"{name} must be a whole number, not {text!r}") from None
    if not 0 <= value <= most:
        raise RequestError(400, f"{name} must be between 0 and {most}, not {value}")
    return value
