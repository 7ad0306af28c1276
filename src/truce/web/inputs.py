"""From a request to a job the worker can run: every check that needs no solve.

The scenario text is parsed exactly as the command line parses a file, so a bad
scenario gets the same message (``PATH:LINE: key KEY: what is wrong``), with
:data:`SCENARIO_LABEL` standing for the file's path.  Worlds are built-in names only:
a world a scenario names that is not one the app offers is an error, never a path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date as Date
from typing import Literal

from truce import api
from truce.errors import InputError, ScenarioError, format_location
from truce.web.catalogue import Catalogue
from truce.web.settings import WebSettings

#: What a scenario written in the app is called in messages (in place of a file path).
SCENARIO_LABEL = "scenario.yaml"

JobKind = Literal["run", "timeline"]


class RequestError(Exception):
    """A request that cannot be served: its HTTP status and the message to show."""

    def __init__(
        self, status: int, detail: str, *, line: int | None = None, key: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.line = line
        """For a bad scenario: the 1-based line of the offending value, when known."""
        self.key = key


@dataclass(frozen=True)
class JobRequest:
    """A checked job, as sent to the worker process (plain, picklable values only)."""

    kind: JobKind
    world: str
    """A built-in world the app offers."""
    scenario: str
    """The scenario's own name (for listings)."""
    builtin: str | None
    """The built-in scenario to load by name, or ``None`` to parse :attr:`text`."""
    text: str | None
    date: Date | None = None
    model: str | None = None
    draws: int = 0
    seed: int = 0
    elasticities: str | None = None
    """A source of the world's elasticities table, or ``all`` (runs only); ``None``:
    the scenario's option, else the world's own."""
    against: str | None = None
    """A built-in scenario to measure the changes against (``None``: the world's base)."""


def parse_text(text: str, settings: WebSettings) -> api.Scenario:
    """The scenario in ``text``; :class:`RequestError` 413 when it is too large, 400 with
    the command line's message when it is invalid."""
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > settings.max_scenario_bytes:
        raise RequestError(
            413,
            f"the scenario is {size} bytes; the limit is {settings.max_scenario_bytes} bytes",
        )
    try:
        spec = api.scenario_from_text(text, path=SCENARIO_LABEL, files=False)
    except ScenarioError as error:
        raise RequestError(400, str(error), line=error.line, key=error.key) from None
    if len(spec.measures) > settings.max_measures:
        raise RequestError(
            413,
            f"the scenario has {len(spec.measures)} measures; the limit is {settings.max_measures}",
        )
    return spec


def prepare(
    kind: JobKind,
    catalogue: Catalogue,
    settings: WebSettings,
    *,
    world: str | None = None,
    scenario: str | None = None,
    scenario_yaml: str | None = None,
    date: Date | None = None,
    model: str | None = None,
    draws: int = 0,
    seed: int = 0,
    elasticities: str | None = None,
    against: str | None = None,
) -> JobRequest:
    """Check a run or timeline request; raise :class:`RequestError` for bad input."""
    if scenario is not None and scenario_yaml is not None:
        raise RequestError(
            400, "give either scenario (a built-in name) or scenario_yaml (its text), not both"
        )
    if scenario is None and scenario_yaml is None:
        raise RequestError(
            400, "give scenario (the name of a built-in scenario) or scenario_yaml (its text)"
        )
    if scenario is not None:
        entry = catalogue.scenarios.get(scenario)
        if entry is None:
            known = ", ".join(catalogue.scenarios)
            raise RequestError(
                404, f"unknown scenario {scenario!r}: not a built-in scenario (built-in: {known})"
            )
        name, named_world, builtin, text = entry.name, entry.world, entry.name, None
        spec = None
    else:
        assert scenario_yaml is not None
        spec = parse_text(scenario_yaml, settings)
        name, named_world, builtin, text = spec.name, spec.world, None, scenario_yaml
    chosen = _world(catalogue, world, named_world, name, builtin)
    if model is not None and model not in api.MODELS:
        raise RequestError(400, f"unknown model {model!r}: the models are {', '.join(api.MODELS)}")
    if kind == "timeline" and date is not None:
        raise RequestError(400, "a timeline solves every phase of the scenario: it takes no date")
    if kind == "timeline" and draws:
        raise RequestError(400, "elasticity draws are for single runs, not timelines")
    if against is not None and against not in catalogue.scenarios:
        known = ", ".join(catalogue.scenarios)
        raise RequestError(
            404, f"against: {against!r} is not a built-in scenario (built-in: {known})"
        )
    if not 0 <= draws <= settings.max_draws:
        raise RequestError(400, f"draws must be between 0 and {settings.max_draws}, not {draws}")
    try:  # everything a run checks before it solves: codes, sectors, model, products
        api.check(
            catalogue.world(chosen),
            api.load_scenario(builtin) if builtin is not None else spec,
            date=date,
            model=model,
            every_phase=kind == "timeline",
            draws=draws,
            elasticities=elasticities,
            against=None if against is None else api.load_scenario(against),
        )
    except InputError as error:
        raise RequestError(
            400,
            str(error),
            line=getattr(error, "line", None),
            key=getattr(error, "key", None),
        ) from None
    return JobRequest(
        kind=kind,
        world=chosen,
        scenario=name,
        builtin=builtin,
        text=text,
        date=date,
        model=model,
        draws=draws,
        seed=seed,
        elasticities=elasticities,
        against=against,
    )


def _world(
    catalogue: Catalogue,
    requested: str | None,
    named: str | None,
    scenario: str,
    builtin: str | None,
) -> str:
    """The world to solve on: the request's, else the scenario's, which must be offered."""
    offered = ", ".join(catalogue.world_names)
    if requested is not None:
        if requested not in catalogue.world_names:
            raise RequestError(
                404, f"{requested!r}: not a built-in world offered here (offered: {offered})"
            )
        return requested
    if named is None:
        raise RequestError(
            400, f"scenario {scenario!r} names no world: choose a world (offered: {offered})"
        )
    if named not in catalogue.world_names:
        where = builtin if builtin is not None else SCENARIO_LABEL
        raise _not_offered(named, offered, where, None)
    return named


def _not_offered(named: str, offered: str, where: str, line: int | None) -> RequestError:
    message = (
        f"{named!r} is not a built-in world offered here; the app solves built-in worlds "
        f"only (offered: {offered}): choose one"
    )
    return RequestError(
        400, format_location(message, path=where, line=line, key="world"), line=line, key="world"
    )


_WORLD_KEY = re.compile(r"^world\s*:", re.MULTILINE)


def check_offered_world(spec: api.Scenario, text: str, catalogue: Catalogue) -> None:
    """A scenario text's ``world:`` must be a world the app offers (the web solves
    built-in worlds only): a :class:`RequestError` at the key's line otherwise, so that
    Validate never calls valid what Run rejects."""
    if spec.world is None or spec.world in catalogue.world_names:
        return
    found = _WORLD_KEY.search(text)
    line = None if found is None else text.count("\n", 0, found.start()) + 1
    raise _not_offered(spec.world, ", ".join(catalogue.world_names), SCENARIO_LABEL, line)
