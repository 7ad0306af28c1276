"""End to end: ``truce serve`` driven by headless Chromium (Playwright).

The server is the command itself, started in a subprocess on a free loopback port with
a run store in a temporary folder.  The browser is Debian's Chromium
(``/usr/bin/chromium``, installed by ``.ci/run``); Playwright never downloads one.  The
test picks ``busan-deal`` on the start page, runs it, follows the job to the run's
page and waits for the welfare chart to be drawn inside the report.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from truce import api

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Seconds for the server to come up, and for the run (worker start, solve) to finish.
START_TIMEOUT = 180
RUN_TIMEOUT = 420


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def truce_serve(store: Path, log: Path) -> Iterator[str]:
    """``truce serve`` in a subprocess; its base URL once it answers."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from truce.cli.main import main; main()",
        "serve",
        "--port",
        str(port),
        "--store",
        str(store),
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/api/worlds", timeout=5).status_code == 200:
                    break
            assert time.monotonic() < deadline, "truce serve did not start"
            time.sleep(0.25)
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _docs_render_offline(browser, url: str) -> None:
    """/docs (Swagger UI) and /redoc draw the API's operations with every request that
    leaves the server refused: their scripts, styles and fonts are served by truce
    itself.  (ReDoc's footer asks for its maker's logo, an image; refused, the page is
    the same but for that logo.)"""
    page = browser.new_page()
    refused: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(url):
            route.continue_()
            return
        if route.request.resource_type != "image":
            refused.append(route.request.url)
        route.abort()

    page.route("**/*", only_local)
    page.goto(f"{url}/docs")
    page.wait_for_selector(".swagger-ui .opblock", timeout=60_000)
    assert page.locator(".swagger-ui .opblock").count() >= 5
    page.goto(f"{url}/redoc")
    page.wait_for_selector(".redoc-wrap", timeout=60_000)
    page.wait_for_function("document.body.innerText.includes('/api/runs')", timeout=60_000)
    assert refused == [], f"the docs pages asked the network for {refused}"
    page.close()


def test_busan_deal_in_the_browser(tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: .ci/run installs Debian's chromium package")
    from playwright.sync_api import expect, sync_playwright

    spec = api.load_scenario("busan-deal")
    log = tmp_path / "serve.log"
    with truce_serve(tmp_path / "runs.duckdb", log) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page()
            page.goto(f"{url}/")
            page.wait_for_selector("#scenario-form[data-ready='yes']")
            page.select_option("#scenario", "busan-deal")
            # The editor fills with the scenario's text and the world it names.
            page.wait_for_function(
                "document.getElementById('scenario_yaml').value.includes('name: busan-deal')"
            )
            assert page.input_value("#world") == spec.world
            page.click("#validate")
            expect(page.locator("#message.ok")).to_contain_text("busan-deal is valid")
            page.click("#run")
            page.wait_for_url("**/jobs/*")
            page.wait_for_url("**/runs/*", timeout=RUN_TIMEOUT * 1000)
            run_id = page.inner_text("#run-id")
            chart = page.frame_locator("#report").locator("#chart-welfare .main-svg").first
            chart.wait_for(state="attached", timeout=60_000)
            # The chart has one bar per region of the world.
            bars = page.frame_locator("#report").locator("#chart-welfare .bars .point")
            regions = len(api.load_world(spec.world).table("regions"))
            assert bars.count() == regions
            page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
            _docs_render_offline(browser, url)
        finally:
            browser.close()
        with httpx.Client(base_url=url, timeout=60) as client:
            document = client.get(f"/api/runs/{run_id}").json()
    assert document["scenario"] == "busan-deal"
    assert document["world"] == spec.world
    assert document["solver"]["converged"] is True
    # The server stopped cleanly on SIGINT.
    assert "Traceback" not in log.read_text(errors="replace")
    assert os.path.exists(tmp_path / "runs.duckdb")
