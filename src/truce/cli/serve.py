"""``truce serve``: the web app on a local port."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from truce.cli._common import StoreOption, app, fail, stderr, store_path, styled
from truce.errors import InputError, TruceError

#: Hosts that only this machine can reach.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option("--host", help="The address to listen on (this machine only by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="The port.")] = 8000,
    store: StoreOption = None,
    no_store: Annotated[
        bool,
        typer.Option(
            "--no-store", help="Keep runs in a temporary store removed when the server stops."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, help="Seconds one solve may take.")
    ] = 300.0,
    queue_size: Annotated[
        int, typer.Option("--queue-size", min=1, help="Jobs that may wait in the queue.")
    ] = 8,
    max_draws: Annotated[
        int, typer.Option("--max-draws", min=0, help="Most elasticity draws one run may ask for.")
    ] = 200,
) -> None:
    """Serve the web app: choose or write a scenario, run it, read and compare reports.

    The JSON API is under /api, its OpenAPI document at /openapi.json and its pages at
    /docs.  Stop with Ctrl-C.
    """
    import uvicorn

    from truce.web import WebSettings, create_app

    path: Path | None = None if no_store else store_path(store)
    try:
        settings = WebSettings(
            store=path,
            temporary_store=path is None,
            solve_timeout=timeout,
            queue_size=queue_size,
            max_jobs=max(100, queue_size + 1),
            max_draws=max_draws,
            allowed_hosts=LOOPBACK if host in LOOPBACK else None,
        )
        web = create_app(settings)
    except TruceError as error:
        raise fail(error) from None
    state = web.state.web
    if state.store_is_temporary:
        stderr.print(
            "the run store is off: runs are kept in a temporary store for this session, "
            f"{state.store_path!s}",
            highlight=False,
        )
    else:
        stderr.print(f"runs are kept in {state.store_path!s}", highlight=False)
    if host not in LOOPBACK:
        stderr.print(
            styled(
                ("warning", "yellow"),
                f": listening on {host}: the app has no log-in, so anyone who can reach "
                "this address can run scenarios and read the stored runs",
            )
        )
    shown = f"[{host}]" if ":" in host else host
    stderr.print(f"serving on http://{shown}:{port}/ (Ctrl-C stops)", highlight=False)
    try:
        uvicorn.run(web, host=host, port=port, log_level="warning")
    except OSError as error:  # pragma: no cover - a port in use, an unknown host
        raise fail(InputError(f"cannot listen on {host}:{port}: {error}")) from None
