"""`policywatch serve`: the operators' web application (or, with --dir, a plain file server of a static
report). FastAPI and uvicorn are imported only here, so every other command starts fast."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import click

from monitor.cli_common import config_path, console, err, open_db, settings_or_exit, sources_option, sources_path
from monitor.exitcodes import EXIT_CANNOT_RUN


def _listen(host: str, port: int) -> socket.socket:
    """Bind first, so a busy port or a bad host is one clear line (and exit 2), not a traceback."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        err.print(
            f"[red]cannot listen on {host}:{port}[/red]: {exc.strerror or exc}; choose another with --port or --host"
        )
        sys.exit(EXIT_CANNOT_RUN)
    return sock


def _serve_directory(report_dir: str, sock: socket.socket) -> None:
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = partial(SimpleHTTPRequestHandler, directory=report_dir)
    server = ThreadingHTTPServer(sock.getsockname()[:2], handler, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    with server:
        host, port = sock.getsockname()[:2]
        console.print(f"serving {Path(report_dir).resolve()} at http://{host}:{port}/")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            console.print("stopped")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--db", "db_url", help="Database URL (default: $POLICYWATCH_DATABASE_URL, then ./policywatch.db).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="policywatch.toml settings file.")
@sources_option
@click.option(
    "--dir",
    "report_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Serve this static report directory instead of the web application.",
)
def serve(
    host: str, port: int, db_url: str | None, config_file: str | None, sources_file: str | None, report_dir: str | None
) -> None:
    """The web application: policies, versions and diffs, runs, sources, subscribers, feeds, JSON API.
    Pages are open to read; changes need `[web] admin_token` from the config file."""
    sock = _listen(host, port)
    if report_dir:
        _serve_directory(report_dir, sock)
        return
    settings = settings_or_exit(config_file)
    db = open_db(db_url, settings, create=False)
    import uvicorn

    from monitor.web.app import create_app
    from monitor.web.search import warm_index

    with db.session() as session:
        warm_index(session)  # SQLite's full-text index: built once, then kept up to date per search
    app = create_app(db, settings, config_file=config_path(config_file), sources_file=sources_path(sources_file))
    if not settings.web_admin_token:
        console.print("read-only: set [web] admin_token in the config file to allow changes", markup=False)
    bound_host, bound_port = sock.getsockname()[:2]
    console.print(f"policywatch web app at http://{bound_host}:{bound_port}/ (Ctrl-C stops)")
    config = uvicorn.Config(app, log_level="warning", proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    uvicorn.Server(config).run(sockets=[sock])
