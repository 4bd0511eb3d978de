"""`gdm studio` as a user starts it (the CLI, a real server on 127.0.0.1), driven through its JSON
API with an HTTP client and through the page in a real Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import FAST
from media_factory import highlight_stream

httpx = pytest.importorskip("httpx", reason='the studio tests need the "test" extra')
pytest.importorskip("starlette", reason='gdm studio needs the "studio" extra: pip install -e ".[studio]"')

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_mpeg4_mkv(path: Path, seconds: float = 6.0) -> Path:
    """A codec the browser cannot play (MPEG-4 part 2 in Matroska): the studio must proxy it."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=25)
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        for k in range(int(seconds * 25)):
            image = np.full((96, 160, 3), (k * 7) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = k, Fraction(1, 25)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


class Studio:
    def __init__(self, root: Path, port: int, process: subprocess.Popen) -> None:
        self.root, self.port, self.process = root, port, process
        self.url = f"http://127.0.0.1:{port}"
        self.http = httpx.Client(base_url=self.url, timeout=120)

    def streams(self) -> dict:
        return {s["name"]: s for s in self.http.get("/api/streams").json()}

    def stream(self, name: str) -> dict:
        return self.http.get(f"/api/streams/{self.streams()[name]['id']}").json()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    root = tmp_path_factory.mktemp("project")
    truth = {}
    for seed in (21, 22):
        video, intervals = highlight_stream(root / f"vod{seed}.mp4", seed, duration=90.0, n_events=3)
        truth[video.name] = intervals
    write_mpeg4_mkv(root / "old_capture.mkv")
    outside = tmp_path_factory.mktemp("outside")
    shutil.copy(root / "vod21.mp4", outside / "secret.mp4")
    (root / "linked.mp4").symlink_to(outside / "secret.mp4")  # a symlink out of the folder: never served
    port = free_port()
    gdm = Path(sys.executable).with_name("gdm")
    process = subprocess.Popen([str(gdm), "studio", str(root), "--no-browser", "--port", str(port), *FAST[:-1]],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    server = Studio(root, port, process)
    started = time.perf_counter()
    deadline = started + 240
    while time.perf_counter() < deadline:
        try:
            listed = server.streams()
            if listed and all(s["status"] in ("ready", "error") for s in listed.values()):
                break
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    server.ready_after_s = time.perf_counter() - started
    server.truth = truth
    yield server
    process.terminate()
    process.wait(timeout=20)


def test_streams_are_listed_with_the_contract_fields(studio):
    listed = studio.streams()
    assert set(listed) == {"vod21.mp4", "vod22.mp4", "old_capture.mkv"}  # linked.mp4 points outside: not listed
    for s in listed.values():
        assert {"id", "name", "duration", "status", "progress", "error"} <= set(s)
        assert s["status"] == "ready", s


def test_candidates_are_scored_on_one_scale_and_cover_the_events(studio):
    detail = studio.stream("vod21.mp4")
    assert detail["segments"], "no candidates to review"
    for s in detail["segments"]:
        assert {"n", "start", "end", "score", "status"} <= set(s) and 0 <= s["score"] <= 1
        assert s["status"] == "candidate" and 0 <= s["start"] < s["end"] <= detail["duration"]
    hits = [any(seg["start"] < b and a < seg["end"] for seg in detail["segments"]) for a, b in studio.truth["vod21.mp4"]]
    assert sum(hits) >= 2, (detail["segments"], studio.truth["vod21.mp4"])


def test_decisions_are_written_to_the_labels_file_at_once(studio):
    detail = studio.stream("vod22.mp4")
    sid = detail["id"]
    first = detail["segments"][0]
    assert studio.http.patch(f"/api/streams/{sid}/segments/{first['n']}", json={"status": "accepted"}).status_code == 200
    labels = json.loads((studio.root / "vod22.labels.json").read_text())
    assert labels["highlights"] == [{"start": first["start"], "end": first["end"]}]
    new = studio.http.post(f"/api/streams/{sid}/segments", json={"start": 60.0, "end": 66.5})
    assert new.status_code == 201 and new.json()["status"] == "accepted"
    last = studio.stream("vod22.mp4")["segments"][-1]
    studio.http.patch(f"/api/streams/{sid}/segments/{last['n']}", json={"status": "rejected", "end": last["end"] - 0.5})
    labels = json.loads((studio.root / "vod22.labels.json").read_text())
    assert {"start": 60.0, "end": 66.5} in labels["highlights"] or last["start"] == 60.0
    assert labels["rejected"] and labels["rejected"][-1]["end"] == pytest.approx(last["end"] - 0.5)
    from gdm_temporal.app.studio.project import Project

    reloaded = Project(studio.root)  # a restart, or a second tab, sees the same review
    reloaded.scan()
    statuses = [s.status for s in next(s for s in reloaded.streams.values() if s.name == "vod22.mp4").ordered()]
    assert statuses == [s["status"] for s in studio.stream("vod22.mp4")["segments"]]


@pytest.mark.parametrize("method,path,body,status,fragment", [
    ("PATCH", "/api/streams/{id}/segments/1", {"status": "maybe"}, 400, "status"),
    ("PATCH", "/api/streams/{id}/segments/1", {"start": 50, "end": 10}, 400, "start < end"),
    ("PATCH", "/api/streams/{id}/segments/1", {"end": 1e9}, 400, "past the stream's end"),
    ("PATCH", "/api/streams/{id}/segments/999", {"status": "accepted"}, 400, "no segment 999"),
    ("PATCH", "/api/streams/{id}/segments/1", {"colour": "red"}, 400, "status"),
    ("PATCH", "/api/streams/{id}/segments/1", "status=accepted", 415, "JSON"),
    ("POST", "/api/streams/{id}/segments", {"start": "soon", "end": 3}, 400, "number"),
    ("POST", "/api/streams/nope/segments", {"start": 1, "end": 3}, 404, "no stream"),
    ("POST", "/api/render", {"items": [["nope", 1]]}, 404, "stream"),
    ("POST", "/api/render", {"stream": 42}, 400, "give"),
    ("GET", "/api/streams/{id}/export/docx", None, 404, "format"),
    ("GET", "/media/..%2F..%2Fetc%2Fpasswd", None, 404, ""),
    ("GET", "/static/..%2Fserver.py", None, 404, ""),
    ("GET", "/static/server.py", None, 404, "no page file"),
])
def test_bad_requests_are_one_line_json_errors(studio, method, path, body, status, fragment):
    sid = studio.streams()["vod21.mp4"]["id"]
    kwargs = {}
    if isinstance(body, dict):
        kwargs["json"] = body
    elif body is not None:
        kwargs = {"content": body, "headers": {"Content-Type": "application/x-www-form-urlencoded"}}
    response = studio.http.request(method, path.replace("{id}", sid), **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert "\n" not in error and "Traceback" not in error and fragment in error


def test_a_foreign_host_header_is_refused(studio):
    response = studio.http.get("/api/streams", headers={"Host": f"evil.example:{studio.port}"})
    assert response.status_code == 403


def test_media_is_range_served_and_unplayable_codecs_get_a_proxy(studio):
    listed = studio.streams()
    part = studio.http.get(f"/media/{listed['vod21.mp4']['id']}", headers={"Range": "bytes=0-1023"})
    assert part.status_code == 206 and len(part.content) == 1024
    proxy = studio.http.get(f"/media/{listed['old_capture.mkv']['id']}")
    assert proxy.status_code == 200 and proxy.headers["content-type"] == "video/mp4"
    path = studio.root / "proxy-check.mp4"
    path.write_bytes(proxy.content)
    with av.open(str(path)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    path.unlink()


def test_exports_download(studio):
    sid = studio.streams()["vod22.mp4"]["id"]
    csv = studio.http.get(f"/api/streams/{sid}/export/csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    assert csv.text.startswith("index,start,end")


def test_retrain_trains_on_decisions_and_rescores_the_rest(studio):
    sid = studio.streams()["vod21.mp4"]["id"]
    detail = studio.stream("vod21.mp4")
    for seg in detail["segments"]:  # review as a person would: accept hits, reject the rest
        hit = any(seg["start"] < b and a < seg["end"] for a, b in studio.truth["vod21.mp4"])
        studio.http.patch(f"/api/streams/{sid}/segments/{seg['n']}", json={"status": "accepted" if hit else "rejected"})
    for a, b in studio.truth["vod21.mp4"]:  # add the ones it missed
        if not any(s["status"] == "accepted" and s["start"] < b and a < s["end"] for s in studio.stream("vod21.mp4")["segments"]):
            studio.http.post(f"/api/streams/{sid}/segments", json={"start": a, "end": b})
    result = studio.http.post("/api/retrain", json={})
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["seconds"] > 0 and "after" in body["validation"] and body["streams"] == 2
    assert (studio.root / "head.pt").is_file()
    assert studio.streams()["old_capture.mkv"]["id"] in body["rescored"]


def test_render_writes_the_accepted_segments_as_one_reel(studio):
    detail = studio.stream("vod22.mp4")
    accepted = [s for s in detail["segments"] if s["status"] == "accepted"]
    response = studio.http.post("/api/render", json={"stream": detail["id"]})
    assert response.status_code == 200, response.text
    path = studio.root / response.json()["path"]
    with av.open(str(path)) as reel:
        seconds = float(reel.duration) / av.time_base
        assert {s.type for s in reel.streams} == {"video", "audio"}
    assert abs(seconds - sum(s["end"] - s["start"] for s in accepted)) < 0.2 * len(accepted) + 0.1
    served = studio.http.get(f"/renders/{response.json()['path']}", headers={"Range": "bytes=0-99"})
    assert served.status_code == 206
    assert studio.http.get("/renders/..%2Fsecret.reel.mp4").status_code == 404


def test_the_page_reviews_plays_retrains_and_renders_from_the_keyboard(studio):
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no Chromium on this machine (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        started = time.perf_counter()
        page.goto(studio.url)
        page.click('[data-testid="stream"]:has-text("old_capture.mkv")')
        page.click('[data-testid="stream"]:has-text("vod22.mp4")')
        page.wait_for_selector('[data-testid="segment"]')
        studio.page_usable_s = time.perf_counter() - started
        page.wait_for_function("document.querySelector('[data-testid=player]').readyState >= 1")
        rows = page.locator('[data-testid="segment"]')
        candidates = [k for k in range(rows.count()) if rows.nth(k).get_attribute("data-status") == "candidate"]
        assert candidates, "nothing left to review"
        for _ in range(candidates[0]):
            page.keyboard.press("j")
        page.keyboard.press("a")
        page.wait_for_selector(f'[data-testid="segment"]:nth-child({candidates[0] + 1})[data-status="accepted"]')
        labels = json.loads((studio.root / "vod22.labels.json").read_text())
        row = rows.nth(candidates[0])
        start = float(page.evaluate("n => fetch('/api/streams/' + document.querySelector('[data-testid=stream].selected').dataset.id)"
                                    ".then(r => r.json()).then(d => d.segments[n].start)", candidates[0]))
        assert any(abs(h["start"] - start) < 1e-3 for h in labels["highlights"])
        page.keyboard.press("Space")
        page.wait_for_function("!document.querySelector('[data-testid=player]').paused", timeout=10000)
        page.wait_for_timeout(1200)
        now = page.evaluate("document.querySelector('[data-testid=player]').currentTime")
        assert start <= now <= start + 3, (start, now)
        page.keyboard.press("Space")  # pause
        page.screenshot(path=str(ARTIFACTS / "studio-review.png"))
        page.keyboard.press("u")  # undo the accept
        page.wait_for_selector(f'[data-testid="segment"]:nth-child({candidates[0] + 1})[data-status="candidate"]')
        assert row.get_attribute("data-status") == "candidate"
        page.keyboard.press("a")
        page.click('[data-testid="retrain"]')
        page.wait_for_selector("#job:has-text('last retrain')", timeout=120000)
        page.click('[data-testid="render"]')
        page.wait_for_selector("#render-result a", timeout=120000)
        reel = page.inner_text("#render-result a")
        assert (studio.root / reel).is_file()
        page.screenshot(path=str(ARTIFACTS / "studio-after-render.png"))
        browser.close()


def test_the_pages_timeline_keeps_each_peak_at_its_time():
    """The page draws `scores` evenly over the stream: a peak 2/3 of the way through a
    10-minute stream (3000 steps, 2000 points) must sit 2/3 of the way along."""
    from gdm_temporal.app.studio.jobs import downsample

    scores = [0.0] * 3000
    scores[2000] = 1.0
    points = downsample(scores)
    assert len(points) == 2000 and points.index(1.0) in (1333, 1334)
    assert downsample([0.5, 1.0]) == [0.5, 1.0]
