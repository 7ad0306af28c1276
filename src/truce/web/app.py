"""The app factory: :func:`create_app` builds a FastAPI app from :class:`WebSettings`.

All state lives on ``app.state.web`` (:class:`truce.web.state.WebState`); the worker
process starts with the app (its lifespan) and stops with it.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.routing import Match

from truce.api import store as run_store
from truce.errors import InputError
from truce.web.api_routes import RETRY_AFTER, api_router
from truce.web.catalogue import Catalogue
from truce.web.inputs import RequestError
from truce.web.jobs import JobRunner, QueueFull
from truce.web.limits import BodyLimit
from truce.web.models import request_models
from truce.web.pages import pages_router
from truce.web.settings import WebSettings
from truce.web.state import Cache, WebState

logger = logging.getLogger(__name__)

DESCRIPTION = """\
Run trade-policy scenarios on truce's built-in worlds.  Post a run or a timeline (a
built-in scenario by name, or a scenario's YAML text), poll its job, then fetch the
results JSON, CSV tables and HTML report of the run kept in the store.  Bad input is
a 4xx whose `detail` is the command line's message (`PATH:LINE: key KEY: what is
wrong` for a scenario).
"""


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """A web app with ``settings`` (defaults: :class:`WebSettings`).

    Its worker process starts with the app's lifespan (under uvicorn, or a test client
    used as a context manager) and stops with it.  The worker is spawned, so a script
    that serves the app must guard its entry point with ``if __name__ == "__main__":``.
    """
    settings = settings or WebSettings()
    catalogue = Catalogue.load(settings.worlds)
    store_path, temporary = _store_path(settings)
    jobs = JobRunner(settings, store_path)
    state = WebState(
        settings=settings,
        catalogue=catalogue,
        store=run_store.RunStore(store_path),
        store_is_temporary=temporary is not None,
        jobs=jobs,
        models=request_models(catalogue, settings),
        reports=Cache(settings.max_reports),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        jobs.start()
        try:
            yield
        finally:
            jobs.stop()
            if temporary is not None:
                shutil.rmtree(temporary, ignore_errors=True)

    # Swagger UI and ReDoc from the package's own copies: /docs and /redoc work offline.
    app = FastAPIOffline(
        title="truce",
        summary="A general-equilibrium trade-policy model on the web.",
        description=DESCRIPTION,
        version=run_store.truce_version() or "0",
        lifespan=lifespan,
    )
    app.state.web = state
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_request_bytes, timeout=settings.body_timeout
    )
    if settings.allowed_hosts is not None:
        app.add_middleware(
            TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts), www_redirect=False
        )
    app.include_router(api_router(state))
    app.include_router(pages_router(state))
    app.mount("/static", StaticFiles(packages=[("truce.web", "static")]), name="static")

    @app.exception_handler(RequestError)
    async def request_error(request: Request, error: RequestError) -> JSONResponse:
        return JSONResponse({"detail": error.detail}, status_code=error.status)

    @app.exception_handler(QueueFull)
    async def queue_full(request: Request, error: QueueFull) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error)},
            status_code=429,
            headers={"Retry-After": str(RETRY_AFTER)},
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 405:  # name every method the path has, not just one route's
            allowed = _allowed_methods(request)
            return JSONResponse(
                {"detail": error.detail}, status_code=405, headers={"Allow": ", ".join(allowed)}
            )
        return await http_exception_handler(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's own 422, except that a value JSON cannot hold (NaN, Infinity, which
        # Python's JSON reader accepts) is echoed as text instead of failing with a 500.
        return JSONResponse({"detail": _finite(jsonable_encoder(error.errors()))}, status_code=422)

    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> JSONResponse:
        # Bad input the checks above did not foresee: the command line's exit 2.
        return JSONResponse({"detail": str(error)}, status_code=400)

    make_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _json_errors(make_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _allowed_methods(request: Request) -> list[str]:
    """The methods some route answers on the request's path."""
    routes = request.app.routes
    return [
        method
        for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]


def _finite(value: Any) -> Any:
    """``value`` with every float that JSON cannot hold (NaN, ±Infinity) as its text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _json_errors(document: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with every error response as JSON (``{"detail": ...}``), also
    on the routes whose success is HTML or CSV."""
    error = {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for code, response in operation.get("responses", {}).items():
                content = response.get("content")
                if code[0] in "45" and content and "application/json" not in content:
                    response["content"] = {"application/json": error}
    return document


def _store_path(settings: WebSettings) -> tuple[Path, Path | None]:
    """The run store's file and, for a temporary store, the folder to remove at the end."""
    path = None if settings.temporary_store else settings.store or run_store.default_path()
    if path is not None:
        return Path(path).expanduser(), None
    folder = Path(tempfile.mkdtemp(prefix="truce-web-"))
    logger.info("runs are kept in a temporary store for this session: %s", folder)
    return folder / "runs.duckdb", folder
