"""Schemathesis against the web app's OpenAPI document: no input gets a 5xx.

Every operation of the JSON API is called with requests generated from the document
(valid ones and, where the document allows, invalid ones), and each response is checked:
no server error, a status code and content type the document lists, a body that fits
the documented schema.  The app offers only the small cp2015 world, a queue of one and
at most two elasticity draws, so the runs the generated requests start stay cheap; the
rest are refused with 429 while the queue is full.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.python import asgi

from truce.web import WebSettings, create_app

#: Examples per operation: enough to reach every branch of the checks, few enough to keep
#: the whole module well under two minutes.
EXAMPLES = 60


# Loaded when the module is collected (schemathesis parametrizes the test by operation);
# the app's lifespan, and so its worker process, starts with the first request.
_STORE = Path(tempfile.mkdtemp(prefix="truce-web-schema-"))
APP = create_app(
    WebSettings(
        store=_STORE / "runs.duckdb",
        worlds=("cp2015",),
        queue_size=1,
        max_draws=2,
        solve_timeout=60,
        max_jobs=20,
    )
)
# Two checks are told about the app's 400 and 413.  A scenario is checked beyond what a
# schema can say (its YAML must parse and fit), so a request the schema allows may get a
# 400 with the parser's message; an oversize scenario is refused as Content Too Large.
# (The default lists include 5xx so that these checks leave server errors to
# not_a_server_error, which fails on them.)
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [
                    *("400", "401", "403", "404", "405", "406", "409", "413"),
                    *("415", "422", "428", "429", "5xx"),
                ]
            },
            "positive_data_acceptance": {
                "expected-statuses": [
                    *("2xx", "3xx", "400", "401", "403", "404", "409", "413", "429", "5xx")
                ]
            },
        }
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module", autouse=True)
def _stop_the_app() -> Iterator[None]:
    yield
    asgi.shutdown_lifespans()  # stops the app's worker process
    shutil.rmtree(_STORE, ignore_errors=True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_input_gets_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate()
