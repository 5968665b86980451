"""`budgetguard serve`: the HTTP API, the interval evaluation and continuous delivery."""

from __future__ import annotations

from typing import Annotated

import typer

from budgetguard.cli.lazy import command_group


def serve(
    ctx: typer.Context,
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Address to listen on. Default: BUDGETGUARD_HOST or 127.0.0.1."
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Port to listen on. Default: BUDGETGUARD_PORT or 8000."),
    ] = None,
) -> None:
    """Serve the HTTP API; evaluate every BUDGETGUARD_CHECK_INTERVAL s; deliver continuously."""
    # Imported here: `--help` lists this command, and needs no web stack to do so.
    from budgetguard.server.process import run_server  # noqa: PLC0415

    settings = ctx.obj.settings(host=host, port=port)
    run_server(settings, host=settings.host, port=settings.port)


serve_app = command_group()
serve_app.command()(serve)
