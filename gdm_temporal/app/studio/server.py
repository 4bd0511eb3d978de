"""The studio's HTTP face: the JSON API (the contract, see the README) and the page.

Safety, for a server on a laptop next to a browser that visits other sites:
- it binds 127.0.0.1 unless told otherwise, and refuses requests whose Host header is not the
  address it serves (DNS rebinding);
- no route serves a file outside the project folder: media by stream id only, the page from
  a fixed list of package files;
- state-changing routes take JSON bodies only (a cross-site form cannot send one);
- bad input to any route is a 4xx with `{"error": "one line"}`; anything unexpected is a 500
  with one line too, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from gdm_features.errors import GdmError

from gdm_temporal.highlights.exports import FORMATS, SegmentsDoc, export
from gdm_temporal.timeline import segments as timeline

from .jobs import Worker, downsample
from .project import Project

log = logging.getLogger("gdm")
PAGE = Path(__file__).parent / "page"
PAGE_FILES = {"studio.js": "text/javascript", "studio.css": "text/css"}
EXPORT_SUFFIX = {"csv": "csv", "chapters": "txt", "edl": "edl", "ffconcat": "ffconcat", "v1": "json", "otio": "otio"}


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _error(message: str, status: int) -> JSONResponse:
    return JSONResponse({"error": " ".join(str(message).split())}, status_code=status)


async def _json_body(request: Request) -> dict:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise BadRequest("send a JSON body (Content-Type: application/json)", 415)
    try:
        body = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _number(body: dict, key: str) -> float:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BadRequest(f"'{key}' must be a number of seconds")
    return float(value)


def create_app(project: Project, worker: Worker, allowed_hosts: set[str] | None = None) -> Starlette:
    """`allowed_hosts`: Host header values to answer (None: any, for a server bound to a LAN)."""

    def stream_of(request: Request):
        try:
            return project.get(request.path_params["stream"])
        except KeyError:
            raise BadRequest(f"no stream {request.path_params['stream']!r}", 404) from None

    def detail(state) -> dict:
        return state.summary() | {
            "fps": state.fps, "scores": downsample(state.scores),
            "score_step": (len(state.scores) / max(len(downsample(state.scores)), 1)) / state.fps if state.scores else None,
            "segments": [s.to_json(k) for k, s in enumerate(state.ordered(), start=1)],
            "labels_file": project.labels_path(state).name}

    async def page(request: Request) -> Response:
        return FileResponse(PAGE / "index.html", media_type="text/html")

    async def page_file(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PAGE_FILES:
            raise BadRequest(f"no page file {name!r}", 404)
        return FileResponse(PAGE / name, media_type=PAGE_FILES[name])

    async def list_streams(request: Request) -> Response:
        worker.add_streams(project.scan())
        with project.lock:
            return JSONResponse([s.summary() for s in project.streams.values()])

    async def add_stream(request: Request) -> Response:
        body = await _json_body(request)
        item = body.get("url") or body.get("path")
        if not isinstance(item, str) or not item.strip():
            raise BadRequest("give {\"path\": \"...\"} or {\"url\": \"...\"}")
        from gdm_features.fetch import fetch

        def fetch_and_scan():
            report = fetch([item.strip()], project.root)
            worker.add_streams(project.scan())
            return report

        report = await asyncio.wrap_future(worker.submit("fetch", fetch_and_scan))
        if report.failures:
            raise BadRequest(report.failures[0][1], 422)
        return JSONResponse({"added": [p.path.name for p in report.fetched]}, status_code=201)

    async def get_stream(request: Request) -> Response:
        return JSONResponse(detail(stream_of(request)))

    async def patch_segment(request: Request) -> Response:
        state = stream_of(request)
        body = await _json_body(request)
        unknown = set(body) - {"status", "start", "end"}
        if unknown or not body:
            raise BadRequest("send any of 'status', 'start', 'end'" + (f", not {sorted(unknown)}" if unknown else ""))
        changes = {k: _number(body, k) for k in ("start", "end") if k in body}
        if "status" in body:
            changes["status"] = body["status"]
        try:
            n = int(request.path_params["n"])
            segment = project.patch(state, n, changes)
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return JSONResponse(segment.to_json(project.number_of(state, segment)))

    async def add_segment(request: Request) -> Response:
        state = stream_of(request)
        body = await _json_body(request)
        try:
            segment = project.add(state, _number(body, "start"), _number(body, "end"))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return JSONResponse(segment.to_json(project.number_of(state, segment)), status_code=201)

    async def delete_segment(request: Request) -> Response:
        state = stream_of(request)
        try:
            project.delete(state, int(request.path_params["n"]))
        except ValueError as exc:
            raise BadRequest(str(exc)) from None
        return JSONResponse({"deleted": int(request.path_params["n"])})

    async def retrain(request: Request) -> Response:
        await _json_body(request)
        try:
            result = await asyncio.wrap_future(worker.submit("retrain", worker.retrain))
        except (ValueError, GdmError) as exc:
            raise BadRequest(str(exc), 422) from None
        return JSONResponse(result)

    async def render(request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body.get("stream"), str):
            try:
                state = project.get(body["stream"])
            except KeyError:
                raise BadRequest(f"no stream {body['stream']!r}", 404) from None
            items = [(state.id, k) for k, s in enumerate(state.ordered(), start=1) if s.status == "accepted"]
            name = Path(state.name).stem
        elif isinstance(body.get("items"), list):
            try:
                items = [(str(a), int(b)) for a, b in body["items"]]
            except (TypeError, ValueError):
                raise BadRequest("'items' must be a list of [stream id, segment number]") from None
            if any(a not in project.streams for a, _ in items):
                raise BadRequest("'items' names a stream that does not exist", 404)
            name = str(body.get("name") or "compilation")
            if not name.replace("-", "").replace("_", "").isalnum():
                raise BadRequest("'name' may hold letters, digits, '-' and '_' only")
        else:
            raise BadRequest("give {\"stream\": id} or {\"items\": [[stream id, n], ...]}")
        try:
            path = await asyncio.wrap_future(worker.submit("render", worker.render, items, name))
        except (ValueError, GdmError) as exc:
            raise BadRequest(str(exc), 422) from None
        return JSONResponse({"path": str(path.relative_to(project.root))})

    async def rendered(request: Request) -> Response:
        name = request.path_params["name"]
        path = project.root / name
        if "/" in name or not name.endswith(".reel.mp4") or not path.is_file() or path.is_symlink():
            raise BadRequest(f"no rendered reel {name!r}", 404)
        return FileResponse(path, media_type="video/mp4")

    async def jobs(request: Request) -> Response:
        return JSONResponse(worker.job | {"queued": worker.jobs.qsize()})

    async def export_segments(request: Request) -> Response:
        state = stream_of(request)
        fmt = request.path_params["fmt"]
        if fmt not in FORMATS:
            raise BadRequest(f"format must be one of {', '.join(FORMATS)}", 404)
        accepted = [timeline.Segment(s.start, s.end, s.score or 1.0, s.score or 1.0, s.start)
                    for s in state.ordered() if s.status == "accepted"]
        doc = SegmentsDoc(str(state.path), state.fps, {"scorer": "studio review"}, accepted, state.duration, None)
        try:
            text, _ = export(doc, fmt)
        except GdmError as exc:
            raise BadRequest(str(exc), 422) from None
        filename = f"{Path(state.name).stem}.{EXPORT_SUFFIX[fmt]}"
        return Response(text, media_type="text/plain; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    async def media(request: Request) -> Response:
        state = stream_of(request)
        if state.media is None:
            raise BadRequest(f"{state.name} is not ready yet ({state.status})", 409)
        return FileResponse(state.media, media_type="video/mp4" if state.media.suffix != ".webm" else "video/webm")

    routes = [
        Route("/", page), Route("/static/{name}", page_file),
        Route("/api/streams", list_streams, methods=["GET"]), Route("/api/streams", add_stream, methods=["POST"]),
        Route("/api/streams/{stream}", get_stream, methods=["GET"]),
        Route("/api/streams/{stream}/segments", add_segment, methods=["POST"]),
        Route("/api/streams/{stream}/segments/{n:int}", patch_segment, methods=["PATCH"]),
        Route("/api/streams/{stream}/segments/{n:int}", delete_segment, methods=["DELETE"]),
        Route("/api/streams/{stream}/export/{fmt}", export_segments, methods=["GET"]),
        Route("/api/retrain", retrain, methods=["POST"]), Route("/api/render", render, methods=["POST"]),
        Route("/api/jobs", jobs, methods=["GET"]),
        Route("/media/{stream}", media, methods=["GET", "HEAD"]),
        Route("/renders/{name}", rendered, methods=["GET", "HEAD"]),
    ]

    async def bad_request(request: Request, exc: BadRequest) -> Response:
        return _error(str(exc), exc.status)

    async def http_error(request: Request, exc) -> Response:
        return _error(getattr(exc, "detail", None) or "not found", getattr(exc, "status_code", 404))

    async def crash(request: Request, exc: Exception) -> Response:
        log.error("studio: %s %s failed: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return _error(f"internal error ({type(exc).__name__}); the server goes on", 500)

    from starlette.exceptions import HTTPException

    app = Starlette(routes=routes, exception_handlers={BadRequest: bad_request, HTTPException: http_error,
                                                       Exception: crash})
    return HostGuard(app, allowed_hosts)


class HostGuard:
    """ASGI middleware: answer only requests addressed to the server's own name (DNS rebinding:
    a hostile page whose name resolves to 127.0.0.1 sends its own Host header)."""

    def __init__(self, app, allowed_hosts: set[str] | None) -> None:
        self.app, self.allowed = app, allowed_hosts

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.allowed is not None:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host not in self.allowed:
                response = _error("refused: this server answers only to the address it serves", 403)
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)
