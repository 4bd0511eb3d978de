"""`gdm studio`: the browser app over a project folder."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import click

from gdm_features.errors import GdmError

from .common import Number, device_option, extract_options, feature_options, user_errors


@click.command()
@click.argument("folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to serve on; anything but 127.0.0.1 exposes your videos to the network.")
@click.option("--port", default=8700, show_default=True, type=Number(1, 65535, integer=True),
              help="TCP port the page and the API are served on.")
@click.option("--no-browser", is_flag=True, help="Do not open a browser tab.")
@device_option
@feature_options
@user_errors
def studio(folder, host, port, no_browser, device, backbone, weights, fps, input_size, cache_dir):
    """Review, label, retrain and render in the browser: a local web app over FOLDER's videos.

    Every video in FOLDER is extracted and scored in the background (with FOLDER/head.pt when
    there is one, else cold start). Decisions are saved at once to FOLDER/<stem>.labels.json.
    """
    try:
        import uvicorn

        from gdm_temporal.app.studio.jobs import Worker
        from gdm_temporal.app.studio.project import Project
        from gdm_temporal.app.studio.server import create_app
    except ImportError:
        raise GdmError('gdm studio needs its web server: pip install -e ".[studio]"') from None
    project = Project(folder)
    options = extract_options(backbone, weights, fps, input_size, device, cache_dir or project.state_dir / "cache")
    worker = Worker(project, options)
    worker.add_streams(project.scan())
    loopback = host in ("127.0.0.1", "localhost", "::1")
    allowed = {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"{host}:{port}"} if loopback else None
    app = create_app(project, worker, allowed)
    url = f"http://{'127.0.0.1' if loopback else host}:{port}/"
    click.echo(f"gdm studio: {project.root} at {url}  ({len(project.streams)} videos; Ctrl-C to stop)", err=True)
    if not no_browser:
        import webbrowser

        threading.Thread(target=lambda: (time.sleep(1.0), webbrowser.open(url)), daemon=True).start()
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    try:
        server.run()
    except OSError as exc:
        raise GdmError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); try another --port") from None
    finally:
        worker.stop()
    if not server.started:
        sys.exit(1)
