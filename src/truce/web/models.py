"""The JSON API's request and response bodies, as pydantic models.

Response models are fixed; the request models depend on what an app offers (its
worlds, the built-in scenarios, its limits), so :func:`request_models` builds them per
app and the OpenAPI document lists the exact choices and bounds.
"""

from dataclasses import dataclass
from datetime import date as Date
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from truce import api
from truce.web.catalogue import Catalogue
from truce.web.settings import WebSettings

#: Run ids: the store's ids (12 hex digits) or a unique prefix of at least 4.
RUN_ID_PATTERN = r"^[0-9a-f]{4,12}$"
#: Job ids: 32 hex digits.
JOB_ID_PATTERN = r"^[0-9a-f]{32}$"
#: Largest seed of the elasticity draws.
MAX_SEED = 2**32 - 1


class ErrorBody(BaseModel):
    """What went wrong, in the command line's words."""

    detail: str


class WorldView(BaseModel):
    """A built-in world."""

    name: str
    description: str
    year: int
    currency: str
    regions: int
    sectors: int
    model: str


class ScenarioView(BaseModel):
    """A built-in scenario."""

    name: str
    description: str
    world: str | None
    measures: int


class ScenarioText(ScenarioView):
    """A built-in scenario with its YAML text."""

    text: str


class Validation(BaseModel):
    """The verdict on a scenario text: the command line's message when it is invalid."""

    valid: bool
    message: str | None = Field(
        None, description="PATH:LINE: key KEY: what is wrong, as the command line prints it"
    )
    line: int | None = Field(None, description="1-based line of the offending value")
    key: str | None = None
    name: str | None = None
    description: str | None = None
    world: str | None = None
    measures: int | None = None


class JobProgress(BaseModel):
    """How far a job has come: ``done`` of ``total`` steps (``total`` unknown: null)."""

    done: int
    total: int | None
    note: str


class JobView(BaseModel):
    """A run or timeline job."""

    id: str
    kind: Literal["run", "timeline"]
    status: Literal["queued", "running", "done", "failed"]
    scenario: str
    world: str
    date: Date | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    queue_position: int | None = Field(None, description="jobs ahead of a queued job")
    progress: JobProgress
    error: str | None
    error_kind: Literal["input", "model", "timeout", "internal"] | None = Field(
        None,
        description="input: bad input (the command line's exit 2); model: the model "
        "failed (exit 1); timeout: the solve ran past the time-out; internal: a fault",
    )
    run_id: str | None = Field(None, description="the run kept in the store, once done")
    links: dict[str, str]


class Submitted(BaseModel):
    """A job accepted into the queue."""

    job_id: str
    status: Literal["queued"]
    links: dict[str, str]


class RunView(BaseModel):
    """A run kept in the store."""

    id: str
    created_at: datetime
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


class ResultDocument(BaseModel):
    """The results JSON (docs/results.md), exactly as ``truce run --json`` writes it."""

    model_config = ConfigDict(extra="allow")

    scenario: str
    world: str
    date: Date | None
    model: str
    solver: dict[str, Any]
    regions: list[dict[str, Any]]
    trade: list[dict[str, Any]]
    measures: list[dict[str, Any]]


class TimelineDocument(BaseModel):
    """The timeline JSON, exactly as ``truce timeline --json`` writes it."""

    model_config = ConfigDict(extra="allow")

    scenario: str
    world: str
    model: str
    solver: dict[str, Any]
    phases: list[dict[str, Any]]
    table: list[dict[str, Any]]
    bilateral: list[dict[str, Any]]


class ComparedRun(BaseModel):
    """One run of a comparison."""

    id: str
    scenario: str
    world: str
    date: Date | None
    converged: bool


class ComparisonRow(BaseModel):
    """One region and measure of one run, and its difference from the first run."""

    run: str
    region: str
    measure: str
    value: float | None
    difference: float | None


class Comparison(BaseModel):
    """Runs side by side, as ``truce compare`` sets them."""

    runs: list[ComparedRun]
    same_world: bool = Field(description="false when the runs were solved on different worlds")
    rows: list[ComparisonRow]


@dataclass(frozen=True)
class RequestModels:
    """The request bodies of one app."""

    validate: type[BaseModel]
    job: type[BaseModel]


def request_models(catalogue: Catalogue, settings: WebSettings) -> RequestModels:
    """Request bodies that name exactly the worlds, scenarios and models on offer."""
    world_choice = Literal[catalogue.world_names]  # type: ignore[valid-type]
    scenario_choice = Literal[tuple(catalogue.scenarios)]  # type: ignore[valid-type]
    model_choice = Literal[api.MODELS]  # type: ignore[valid-type]
    text_limit = {"maxLength": settings.max_scenario_bytes}

    class ValidateRequest(BaseModel):
        """A scenario text to check."""

        model_config = ConfigDict(extra="forbid")

        scenario_yaml: str = Field(
            description=f"the scenario (YAML); at most {settings.max_scenario_bytes} bytes",
            json_schema_extra=text_limit,
        )

    class JobRequest(BaseModel):
        """A run or timeline: a built-in scenario by name, or a scenario's text."""

        model_config = ConfigDict(extra="forbid")

        world: world_choice | None = Field(  # type: ignore[valid-type]
            None, description="a built-in world; default: the one the scenario names"
        )
        scenario: scenario_choice | None = Field(  # type: ignore[valid-type]
            None, description="a built-in scenario (give this or scenario_yaml)"
        )
        scenario_yaml: Annotated[str, Field(json_schema_extra=text_limit)] | None = Field(
            None, description="a scenario's YAML text (give this or scenario)"
        )
        date: Date | None = Field(None, description="runs only: the measures in force that day")
        model: model_choice | None = Field(  # type: ignore[valid-type]
            None, description="the model; default: the scenario's, else the world's"
        )
        draws: int = Field(
            0,
            ge=0,
            le=settings.max_draws,
            description="runs only: also solve under this many draws of the trade "
            "elasticities (percentile columns)",
        )
        seed: int = Field(0, ge=0, le=MAX_SEED, description="seed of the elasticity draws")
        elasticities: Annotated[str, Field(max_length=40)] | None = Field(
            None,
            description="the trade elasticities: a source of the world's elasticities "
            "table, or 'all' (runs only: every source in one batch); default: the "
            "scenario's option, else the world's own",
        )
        against: scenario_choice | None = Field(  # type: ignore[valid-type]
            None,
            description="a built-in scenario to measure the changes against (exact ratios "
            "of the two equilibria); default: the world's base",
        )

    return RequestModels(validate=ValidateRequest, job=JobRequest)
