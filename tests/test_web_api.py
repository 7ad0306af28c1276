"""The web app's JSON API and pages (``truce serve``), over HTTP with httpx.

The app runs under uvicorn in a thread on a free loopback port, its worker process
beside it, with a run store in a temporary folder.  Expected numbers come from
:func:`truce.api.run` / :func:`truce.api.timeline` in this process, and expected
messages from the scenario parser and the command line, never from literals.

Solving on cp2015 costs a few seconds the first time in each process (the worker's and
this one's), so the module shares one server and its runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from truce import api
from truce.api.store import RunStore
from truce.cli.main import app as cli_app
from truce.errors import ScenarioError
from truce.policy.parse import parse_scenario
from truce.report import comparison
from truce.web import WebSettings, create_app
from truce.web.inputs import SCENARIO_LABEL

# One tariff on the small cp2015 world.
SMALL = """\
name: web-small
description: The United States adds 25% on Chinese goods.
world: cp2015
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
"""

# Two dated layers: three phases (before, during the first, during both).
DATED = """\
name: web-dated
description: A tariff, then a second one on top.
world: cp2015
measures:
  - kind: tariff
    by: USA
    on: CHN
    rate: 0.25
    start: 2025-02-01
  - kind: tariff
    by: CHN
    on: USA
    rate: 0.10
    start: 2025-03-01
"""

# Bad scenarios and what is wrong with each (the message itself comes from the parser).
BAD = {
    "negative rate": SMALL.replace("rate: 0.25", "rate: -0.25"),
    "unknown key": SMALL.replace("    rate: 0.25", "    rate: 0.25\n    colour: red"),
    "syntax": "name: [unclosed\n",
    "empty": "",
    "not a mapping": "- 1\n- 2\n",
    "no name": "measures: []\n",
}

TERMINAL = ("done", "failed")


# --------------------------------------------------------------------------- helpers


@contextlib.contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, in a thread; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting"
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(120)
        sock.close()


def wait_for(client: httpx.Client, job_id: str, timeout: float = 300.0) -> dict:
    """The job once it is done or failed."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] in TERMINAL:
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def wait_until(client: httpx.Client, job_id: str, status: str, timeout: float = 300.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] == status:
            return job
        assert job["status"] not in TERMINAL, job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def without_seconds(document: dict) -> dict:
    """A results or timeline document with its wall-clock times taken out."""
    document = json.loads(json.dumps(document))
    document["solver"].pop("seconds")
    for phase in document.get("phases", []):
        phase["solver"].pop("seconds")
    return document


def submit(client: httpx.Client, path: str, body: dict) -> str:
    response = client.post(path, json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/api/jobs/{response.json()['job_id']}"
    return response.json()["job_id"]


def detail(response: httpx.Response) -> str:
    return response.json()["detail"]


def parser_message(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, path=SCENARIO_LABEL)
    return caught.value


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> WebSettings:
    store = tmp_path_factory.mktemp("web") / "runs.duckdb"
    return WebSettings(store=store, worlds=("cp2015", "default"), allowed_hosts=("127.0.0.1",))


@pytest.fixture(scope="module")
def web(settings: WebSettings) -> Iterator[tuple[FastAPI, str]]:
    app = create_app(settings)
    with serving(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def client(web: tuple[FastAPI, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=web[1], timeout=120, follow_redirects=False) as c:
        yield c


@pytest.fixture(scope="module")
def cp2015() -> api.World:
    return api.load_world("cp2015")


@pytest.fixture(scope="module")
def small_run(client: httpx.Client) -> dict:
    """The job of SMALL run through the API (finished)."""
    job = wait_for(client, submit(client, "/api/runs", {"scenario_yaml": SMALL}))
    assert job["status"] == "done", job
    return job


@pytest.fixture(scope="module")
def nafta_run(client: httpx.Client) -> dict:
    """The job of the built-in cp2015-nafta scenario (finished)."""
    job = wait_for(client, submit(client, "/api/runs", {"scenario": "cp2015-nafta"}))
    assert job["status"] == "done", job
    return job


# --------------------------------------------------------------------------- catalogue


def test_worlds_lists_the_offered_worlds(client: httpx.Client) -> None:
    worlds = client.get("/api/worlds").json()
    assert [w["name"] for w in worlds] == ["cp2015", "default"]
    summary = api.world_summary("cp2015")
    cp = worlds[0]
    assert (cp["regions"], cp["sectors"], cp["year"]) == (
        summary.n_regions,
        summary.n_sectors,
        summary.year,
    )


def test_scenarios_and_their_text(client: httpx.Client) -> None:
    listed = client.get("/api/scenarios").json()
    assert {s["name"]: s["description"] for s in listed} == api.builtin_scenarios()
    one = client.get("/api/scenarios/busan-deal").json()
    spec = api.load_scenario("busan-deal")
    assert one["text"] == spec.text
    assert (one["world"], one["measures"]) == (spec.world, len(spec.measures))
    assert client.get("/api/scenarios/no-such-thing").status_code == 422


# --------------------------------------------------------------------------- validate


def test_a_nan_in_a_json_body_is_a_422(client: httpx.Client) -> None:
    """Reproducer: {"draws": NaN} made the 422 echo a value JSON cannot hold: a 500."""
    body = b'{"scenario": "cp2015-nafta", "draws": NaN}'
    response = client.post("/api/runs", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "draws"]


def test_validate_refuses_a_world_the_app_does_not_offer(client: httpx.Client) -> None:
    """Reproducer: Validate said valid for world: ../../../etc, which Run then rejected."""
    text = "name: x\nworld: ../../../etc\nmeasures: []\n"
    verdict = client.post("/api/validate", json={"scenario_yaml": text}).json()
    assert verdict["valid"] is False and (verdict["line"], verdict["key"]) == (2, "world")


def test_a_lone_surrogate_is_refused_at_validate_with_its_line(client: httpx.Client) -> None:
    """Reproducer: a name with a lone surrogate made /api/validate (and later every page
    listing the job) answer 500."""
    text = 'name: "bad \\ud800"\nworld: cp2015\nmeasures: []\n'
    verdict = client.post("/api/validate", json={"scenario_yaml": text}).json()
    assert verdict["valid"] is False and verdict["line"] == 1
    assert client.post("/api/runs", json={"scenario_yaml": text}).status_code == 400
    assert client.get("/").status_code == 200


def test_a_valid_scenario(client: httpx.Client) -> None:
    verdict = client.post("/api/validate", json={"scenario_yaml": SMALL}).json()
    assert verdict == {
        "valid": True,
        "message": None,
        "line": None,
        "key": None,
        "name": "web-small",
        "description": "The United States adds 25% on Chinese goods.",
        "world": "cp2015",
        "measures": 1,
    }


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_scenarios_get_the_parsers_message(client: httpx.Client, case: str) -> None:
    expected = parser_message(BAD[case])
    verdict = client.post("/api/validate", json={"scenario_yaml": BAD[case]}).json()
    assert verdict["valid"] is False
    assert verdict["message"] == str(expected)
    assert (verdict["line"], verdict["key"]) == (expected.line, expected.key)
    # A run of the same text is refused with the same words.
    response = client.post("/api/runs", json={"scenario_yaml": BAD[case], "world": "cp2015"})
    assert response.status_code == 400
    assert detail(response) == str(expected)


def test_messages_match_the_command_line(
    client: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The command line names the file as given; the app calls the text scenario.yaml.
    text = BAD["negative rate"]
    (tmp_path / SCENARIO_LABEL).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner(env={"COLUMNS": "400"}).invoke(cli_app, ["run", SCENARIO_LABEL])
    assert result.exit_code == 2, result.output
    message = client.post("/api/validate", json={"scenario_yaml": text}).json()["message"]
    line = SMALL.splitlines().index("    rate: 0.25") + 1
    assert message.startswith(f"{SCENARIO_LABEL}:{line}: key rate: ")
    assert " ".join(message.split()) in " ".join(result.stderr.split())


# --------------------------------------------------------------------------- runs


def test_a_run_equals_truce_run(client: httpx.Client, small_run: dict, cp2015: api.World) -> None:
    served = client.get(f"/api/runs/{small_run['run_id']}").json()
    expected = api.run(cp2015, parse_scenario(SMALL, path=SCENARIO_LABEL)).to_dict()
    assert without_seconds(served) == without_seconds(expected)
    assert small_run["links"]["result_page"] == f"/runs/{small_run['run_id']}"
    assert small_run["progress"]["note"] == "done"
    assert small_run["error"] is None


def test_a_builtin_scenario_by_name(client: httpx.Client, nafta_run: dict) -> None:
    served = client.get(f"/api/runs/{nafta_run['run_id']}").json()
    expected = api.run("cp2015", "cp2015-nafta").to_dict()
    assert without_seconds(served) == without_seconds(expected)
    assert nafta_run["scenario"] == "cp2015-nafta"


def test_a_run_against_a_builtin_scenario(client: httpx.Client) -> None:
    # The same as the Python API's run against that scenario (base included).
    # cp2015-nafta closes the deficits first: so must the scenario measured against it.
    zero = SMALL + "options:\n  deficits: zero\n"
    mismatched = {"scenario_yaml": SMALL, "against": "cp2015-nafta"}
    refused = client.post("/api/runs", json=mismatched)
    assert refused.status_code == 400 and "different bases" in str(refused.json()["detail"])
    body = {"scenario_yaml": zero, "against": "cp2015-nafta"}
    job = wait_for(client, submit(client, "/api/runs", body))
    assert job["status"] == "done", job
    served = client.get(f"/api/runs/{job['run_id']}").json()
    spec = parse_scenario(zero, path=SCENARIO_LABEL)
    expected = api.run("cp2015", spec, against="cp2015-nafta").to_dict()
    assert served["base"]["scenario"] == "cp2015-nafta"
    assert without_seconds(served) == without_seconds(expected)
    bad = client.post("/api/runs", json={"scenario_yaml": SMALL, "against": "nope"})
    assert bad.status_code == 422


def test_a_run_on_a_date_applies_the_measures_in_force(client: httpx.Client) -> None:
    job = wait_for(
        client, submit(client, "/api/runs", {"scenario_yaml": DATED, "date": "2025-02-15"})
    )
    assert job["status"] == "done", job
    served = client.get(f"/api/runs/{job['run_id']}").json()
    spec = parse_scenario(DATED, path=SCENARIO_LABEL)
    expected = api.run("cp2015", spec, date=pd.Timestamp("2025-02-15").date()).to_dict()
    assert served["date"] == "2025-02-15"
    assert without_seconds(served) == without_seconds(expected)


def test_stored_runs_tables_and_report(
    client: httpx.Client, small_run: dict, settings: WebSettings
) -> None:
    run_id = small_run["run_id"]
    listed = client.get("/api/runs").json()
    assert run_id in [r["id"] for r in listed]
    kept = RunStore(settings.store).get(run_id)
    for table in ("regions", "trade", "measures"):
        response = client.get(f"/api/runs/{run_id}/csv", params={"table": table})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text == getattr(kept, table).to_csv(index=False)
    assert client.get(f"/api/runs/{run_id}/csv", params={"table": "x"}).status_code == 422
    report = client.get(f"/api/runs/{run_id}/report")
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("text/html")
    assert 'id="chart-welfare"' in report.text
    assert "<script src" not in report.text  # self-contained: nothing fetched
    # A unique prefix of the id names the run too.
    assert client.get(f"/api/runs/{run_id[:6]}").json()["scenario"] == "web-small"


def test_compare_two_runs(
    client: httpx.Client, small_run: dict, nafta_run: dict, settings: WebSettings
) -> None:
    a, b = small_run["run_id"], nafta_run["run_id"]
    served = client.get("/api/compare", params={"a": a, "b": b}).json()
    store = RunStore(settings.store)
    table = comparison.comparison_table([(a, store.get(a)), (b, store.get(b))])
    assert [r["id"] for r in served["runs"]] == [a, b]
    assert served["same_world"] is True
    assert len(served["rows"]) == len(table)
    for row, expected in zip(served["rows"], table.to_dict(orient="records"), strict=True):
        # JSON has no NaN: a region the first run lacks has a null difference.
        assert row == {k: None if v != v else v for k, v in expected.items()}
    report = client.get("/api/compare/report", params={"a": a, "b": b})
    assert report.status_code == 200 and 'id="chart-welfare_pct"' in report.text
    assert client.get("/api/compare", params={"a": a}).status_code == 422


def test_a_timeline_equals_truce_timeline(client: httpx.Client, cp2015: api.World) -> None:
    job = wait_for(client, submit(client, "/api/timelines", {"scenario_yaml": DATED}))
    assert job["status"] == "done", job
    assert job["kind"] == "timeline" and job["run_id"] is None
    served = client.get(f"/api/jobs/{job['id']}/timeline").json()
    expected = api.timeline(cp2015, parse_scenario(DATED, path=SCENARIO_LABEL)).to_dict()
    assert len(served["phases"]) == 3
    assert without_seconds(served) == without_seconds(expected)
    report = client.get(f"/api/jobs/{job['id']}/report")
    assert report.status_code == 200 and 'id="chart-timeline-welfare"' in report.text
    page = client.get(f"/jobs/{job['id']}")
    assert page.status_code == 303 and page.headers["location"] == f"/timelines/{job['id']}"
    assert client.get(f"/timelines/{job['id']}").status_code == 200
    # A run's job has no timeline.
    runs = [j for j in client.get("/api/jobs").json() if j["kind"] == "run"]
    assert client.get(f"/api/jobs/{runs[0]['id']}/timeline").status_code == 409


def test_a_scenario_that_does_not_fit_the_world_is_refused_with_the_cli_message(
    client: httpx.Client, cp2015: api.World
) -> None:
    # Checked at submission (api.check: every check a run makes before it solves).
    text = SMALL.replace("on: CHN", "on: XYZ")
    spec = parse_scenario(text, path=SCENARIO_LABEL)  # valid on its own
    with pytest.raises(ScenarioError) as caught:
        api.run(cp2015, spec)
    for path in ("/api/runs", "/api/timelines"):
        refused = client.post(path, json={"scenario_yaml": text})
        assert refused.status_code == 400
        assert detail(refused) == str(caught.value)
    # So is a model option the model lacks (the run's own message, at its line).
    with pytest.raises(ScenarioError) as wrong_model:
        api.run(cp2015, parse_scenario(FAST_FAILURE, path=SCENARIO_LABEL))
    refused = client.post("/api/runs", json={"scenario_yaml": FAST_FAILURE})
    assert refused.status_code == 400 and detail(refused) == str(wrong_model.value)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"scenario": "cp2015-nafta", "scenario_yaml": SMALL}, 400, "not both"),
        ({}, 400, "give scenario"),
        ({"scenario_yaml": SMALL.replace("world: cp2015\n", "")}, 400, "names no world"),
        (
            {"scenario_yaml": SMALL.replace("world: cp2015", "world: ../../etc")},
            400,
            f"{SCENARIO_LABEL}: key world: '../../etc' is not a built-in world",
        ),
        ({"scenario_yaml": SMALL, "world": "../../etc"}, 422, None),
        ({"scenario_yaml": SMALL, "world": "baci2023"}, 422, None),  # not offered here
        ({"scenario": "../../etc/passwd"}, 422, None),
        ({"scenario_yaml": SMALL, "draws": 10_000}, 422, None),
        ({"scenario_yaml": SMALL, "draws": -1}, 422, None),
        ({"scenario_yaml": SMALL, "seed": -1}, 422, None),
        ({"scenario_yaml": SMALL, "model": "gravity"}, 422, None),
        ({"scenario_yaml": SMALL, "date": "yesterday"}, 422, None),
        ({"scenario_yaml": SMALL, "colour": "red"}, 422, None),
        ({"scenario_yaml": 7}, 422, None),
        # The command line's messages for elasticities.
        ({"scenario_yaml": SMALL, "elasticities": "cp"}, 400, "no alternative trade elasticities"),
        ({"scenario": "truce-collapse", "elasticities": "nope"}, 400, "unknown elasticity source"),
        ({"scenario": "truce-collapse", "draws": 2}, 400, "--elasticities cp"),
        ({"scenario": "truce-collapse", "elasticities": "x" * 41}, 422, None),
        # A client's scenario may extend a built-in one, never read a file here.
        ({"scenario_yaml": SMALL + "extends: ../../etc/hosts.yaml\n"}, 400, "names a file"),
        ({"scenario_yaml": SMALL + "extends: /etc/hostname\n"}, 400, "names a file"),
    ],
)
def test_bad_run_requests_are_4xx(
    client: httpx.Client, body: dict, status: int, fragment: str | None
) -> None:
    response = client.post("/api/runs", json=body)
    assert response.status_code == status, response.text
    if fragment is not None:
        assert fragment in detail(response)


def test_a_timeline_takes_no_date(client: httpx.Client) -> None:
    response = client.post("/api/timelines", json={"scenario_yaml": DATED, "date": "2025-01-01"})
    assert response.status_code == 400
    assert "takes no date" in detail(response)
    response = client.post("/api/timelines", json={"scenario_yaml": DATED, "draws": 2})
    assert response.status_code == 400
    response = client.post(
        "/api/timelines", json={"scenario": "us-china-2025-2026", "elasticities": "all"}
    )
    assert response.status_code == 400
    assert "not a timeline" in detail(response)


def test_a_run_with_chosen_elasticities_equals_truce_run(client: httpx.Client) -> None:
    body = {"scenario": "truce-collapse", "elasticities": "cp"}
    job = wait_for(client, submit(client, "/api/runs", body))
    assert job["status"] == "done", job
    served = client.get(f"/api/runs/{job['run_id']}").json()
    expected = api.run("default", "truce-collapse", elasticities="cp").to_dict()
    assert without_seconds(served) == without_seconds(expected)
    plain = api.run("default", "truce-collapse").to_dict()
    assert served["regions"] != plain["regions"]  # the choice reached the solver


def test_not_json_is_422(client: httpx.Client) -> None:
    response = client.post(
        "/api/runs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    "path",
    [
        "/api/runs/..%2F..%2Fetc%2Fpasswd",
        "/api/runs/%2E%2E",
        "/api/runs/zzzz",
        "/api/runs/abc",
        "/api/runs/0123456789abcdef0",
        "/api/runs/deadbeef/csv",
        "/api/runs/deadbeef/report",
        "/api/jobs/..%2F..%2Fetc",
        "/api/jobs/" + "0" * 32,
        "/api/jobs/" + "0" * 32 + "/report",
        "/runs/..%2F..%2Fetc",
        "/runs/deadbeef",
        "/jobs/nope",
        "/timelines/" + "0" * 32,
        "/compare?a=../x&b=deadbeef",
        "/static/..%2F..%2F__init__.py",
        "/static/../app.py",
    ],
)
def test_paths_are_never_read_from_a_request(
    client: httpx.Client, small_run: dict, path: str
) -> None:
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)
    assert "create_app" not in response.text and "root:" not in response.text


def test_only_the_servers_own_host_name_is_served(client: httpx.Client) -> None:
    # A page elsewhere whose host name resolves to this machine gets nothing.
    assert client.get("/api/runs", headers={"host": "attacker.example"}).status_code == 400
    assert client.get("/api/runs").status_code == 200


def test_an_unknown_run_gets_the_stores_message(client: httpx.Client, small_run: dict) -> None:
    response = client.get("/api/runs/0000deadbeef")
    assert response.status_code == 404
    assert "no run '0000deadbeef'" in detail(response)


def test_oversize_bodies_are_413(client: httpx.Client, settings: WebSettings) -> None:
    big = "x" * (settings.max_request_bytes + 1)
    response = client.post("/api/validate", json={"scenario_yaml": big})
    assert response.status_code == 413
    assert str(settings.max_request_bytes) in detail(response)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the body is counted as it comes
        yield b'{"scenario_yaml": "'
        for _ in range(settings.max_request_bytes // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    response = client.post(
        "/api/validate", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_oversize_scenarios_are_413(client: httpx.Client, settings: WebSettings) -> None:
    padding = "# padding\n" * (settings.max_scenario_bytes // 10 + 1)
    text = SMALL + padding
    assert len(text.encode()) < settings.max_request_bytes  # the body itself is allowed
    for path in ("/api/validate", "/api/runs"):
        response = client.post(path, json={"scenario_yaml": text})
        assert response.status_code == 413, path
        assert f"the limit is {settings.max_scenario_bytes} bytes" in detail(response)
    measure = "  - kind: tariff\n    by: USA\n    on: CHN\n    rate: 0.01\n"
    many = SMALL.split("measures:")[0] + "measures:\n" + measure * (settings.max_measures + 1)
    assert len(many.encode()) < settings.max_scenario_bytes
    response = client.post("/api/runs", json={"scenario_yaml": many})
    assert response.status_code == 413
    assert f"the limit is {settings.max_measures}" in detail(response)


def test_the_openapi_document_names_the_choices(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["components"]["schemas"]["JobRequest"]["properties"]
    worlds = body["world"]["anyOf"][0]["enum"]
    assert worlds == ["cp2015", "default"]
    assert body["draws"]["maximum"] == 200
    assert body["scenario_yaml"]["anyOf"][0]["maxLength"] == 64 * 1024
    assert "/api/runs/{run_id}/csv" in spec["paths"]
    assert client.get("/docs").status_code == 200


# --------------------------------------------------------------------------- pages


def form(client: httpx.Client, **fields: str) -> httpx.Response:
    return client.post("/", data=fields)


def test_the_start_page_offers_worlds_and_scenarios(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for name in ("cp2015", "default", "busan-deal", "cp2015-nafta"):
        assert f'value="{name}"' in page.text
    assert '<script src="/static/app.js"' in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    # Chosen in the query, a scenario fills the editor.
    chosen = client.get("/", params={"scenario": "cp2015-nafta"})
    assert "name: cp2015-nafta" in chosen.text


def test_the_form_validates_with_the_parsers_message(client: httpx.Client) -> None:
    text = BAD["negative rate"]
    page = form(client, action="validate", scenario_yaml=text)
    assert page.status_code == 200
    expected = str(parser_message(text))
    assert expected.replace("'", "&#39;").replace(">", "&gt;") in page.text
    assert f'data-error-line="{parser_message(text).line}"' in page.text


def test_the_form_escapes_what_it_shows(client: httpx.Client) -> None:
    text = SMALL.replace("name: web-small", "name: <script>alert(1)</script>").replace(
        "rate: 0.25", "rate: -1"
    )
    page = form(client, action="validate", scenario_yaml=text)
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def editor_text(page: httpx.Response) -> str:
    """The scenario text a form page's editor holds."""
    start = page.text.index('id="scenario_yaml"')
    text = page.text[page.text.index(">", start) + 1 : page.text.index("</textarea>", start)]
    return text.replace("&#34;", '"').replace("&quot;", '"')


def test_the_form_loads_and_adds_a_tariff(client: httpx.Client) -> None:
    page = form(client, action="load", scenario="cp2015-nafta")
    assert "name: cp2015-nafta" in page.text
    added = form(
        client,
        action="add_tariff",
        scenario_yaml=SMALL,
        tariff_by="CAN",
        tariff_on="USA, MEX",
        tariff_sectors="*",
        tariff_rate="0.1",
        tariff_mode="add",
        tariff_start="2025-03-04",
        tariff_end="",
    )
    assert added.status_code == 200
    spec = parse_scenario(editor_text(added))
    assert len(spec.measures) == 2
    new = spec.measures[1]
    assert (new.kind, new.rate, str(new.start)) == ("tariff", 0.1, "2025-03-04")
    bad = form(client, action="add_tariff", scenario_yaml=SMALL, tariff_by="US A", tariff_rate="1")
    assert bad.status_code == 400 and "not a code" in bad.text


def test_adding_a_tariff_to_an_empty_editor_gives_a_valid_scenario(client: httpx.Client) -> None:
    added = form(
        client,
        action="add_tariff",
        scenario_yaml="",
        tariff_by="USA",
        tariff_on="CHN",
        tariff_sectors="*",
        tariff_rate="0.1",
        tariff_mode="add",
        tariff_start="",
        tariff_end="",
    )
    text = editor_text(added)
    # What the editor now holds passes the form's own Validate.
    checked = form(client, action="validate", scenario_yaml=text, world="cp2015")
    assert "my-scenario is valid" in checked.text, checked.text


def test_the_form_runs_and_the_pages_follow(client: httpx.Client, small_run: dict) -> None:
    posted = form(client, action="run", scenario_yaml=SMALL, world="cp2015", draws="0", seed="0")
    assert posted.status_code == 303
    job_id = posted.headers["location"].removeprefix("/jobs/")
    job = wait_for(client, job_id)
    assert job["status"] == "done", job
    page = client.get(f"/jobs/{job_id}")
    assert page.status_code == 303 and page.headers["location"] == f"/runs/{job['run_id']}"
    run_page = client.get(f"/runs/{job['run_id']}")
    assert run_page.status_code == 200
    assert f'src="/api/runs/{job["run_id"]}/report"' in run_page.text
    for table in ("regions", "trade", "measures"):
        assert f"/api/runs/{job['run_id']}/csv?table={table}" in run_page.text
    runs = client.get("/runs")
    assert job["run_id"] in runs.text and small_run["run_id"] in runs.text
    compared = client.get("/compare", params={"a": small_run["run_id"], "b": job["run_id"]})
    assert compared.status_code == 200 and "/api/compare/report?a=" in compared.text
    again = client.get("/", params={"run": job["run_id"]})
    assert "name: web-small" in again.text
    refused = form(client, action="run", scenario_yaml=SMALL, draws="100000")
    assert refused.status_code == 400


# --------------------------------------------------------------------------- limits


# Fails fast in the worker (before any solve): the rebate rule is the other model's.
FAST_FAILURE = SMALL + "options:\n  rebate: income_tax\n"


def test_full_queue_429_time_out_and_a_fresh_worker(tmp_path: Path, cp2015: api.World) -> None:
    settings = WebSettings(store=tmp_path / "runs.duckdb", queue_size=1, solve_timeout=3)
    app = create_app(settings)
    expected = api.run(cp2015, parse_scenario(SMALL, path=SCENARIO_LABEL))
    with serving(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        slow = submit(client, "/api/runs", {"scenario_yaml": SMALL, "draws": 200})
        running = wait_until(client, slow, "running")
        assert running["queue_position"] is None
        first_pid = app.state.web.jobs.worker_pid
        waiting = submit(client, "/api/runs", {"scenario_yaml": SMALL})
        assert client.get(f"/api/jobs/{waiting}").json()["queue_position"] == 0
        refused = client.post("/api/runs", json={"scenario_yaml": SMALL})
        assert refused.status_code == 429
        assert refused.headers["retry-after"].isdigit()
        assert "queue is full" in detail(refused)
        timed_out = wait_for(client, slow)
        assert timed_out["status"] == "failed"
        assert timed_out["error"] == "timed out after 3 s"
        assert timed_out["error_kind"] == "timeout"
        # The next job runs on a fresh worker, and gives truce.run's answer.
        after = wait_for(client, waiting)
        assert app.state.web.jobs.worker_pid != first_pid
        assert after["status"] == "done"
        document = client.get(f"/api/runs/{after['run_id']}").json()
        assert document["regions"] == expected.to_dict()["regions"]
        worker_pid = app.state.web.jobs.worker_pid
    # Stopping the app stops its worker.
    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)


def test_serve_is_a_command() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.stdout and "--no-store" in result.stdout


def test_a_client_scenario_extends_built_ins_only(client: httpx.Client) -> None:
    # The validation endpoint gives the parser's message at the extends line; a built-in
    # base is fine.
    bad = client.post("/api/validate", json={"scenario_yaml": SMALL + "extends: ../secret.yaml\n"})
    assert bad.status_code == 200 and bad.json()["valid"] is False
    assert "names a file" in bad.json()["message"] and bad.json()["key"] == "extends"
    good = client.post(
        "/api/validate",
        json={"scenario_yaml": "name: mine\nextends: busan-deal\nas_of: 2026-01-01\n"},
    )
    assert good.status_code == 200 and good.json()["valid"] is True, good.text


def test_a_half_sent_body_is_answered_408(tmp_path: Path) -> None:
    """Reproducer: a client sending headers and half a body was never timed out (2,000
    such connections held 2,000 descriptors)."""
    settings = WebSettings(
        store=tmp_path / "runs.duckdb",
        worlds=("cp2015",),
        allowed_hosts=("127.0.0.1",),
        body_timeout=1.0,
    )
    with serving(create_app(settings)) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
            conn.sendall(
                b"POST /api/validate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                b'{"scenario_yaml": '
            )
            started = time.monotonic()
            reply = conn.recv(4096)
            waited = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408"), reply
    assert b"did not arrive within 1 s" in reply
    assert waited < 30
