"""`gdm fetch` through yt-dlp's generic extractor against a server on 127.0.0.1 (no internet)."""

import json
import signal
import socket
import subprocess
import sys
import time

import av
import pytest

from gdm_features.fetch import _remux, read_title
from http_server import MediaServer
from media_factory import Scenario, write_audio_only, write_video


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("site")
    write_video(root / "match.mp4", Scenario(duration=6.0, size=(96, 128)))
    write_video(root / "big.mp4", Scenario(duration=40.0, size=(240, 320), scene_changes=list(range(1, 40)),
                                           codec_options={"preset": "ultrafast", "crf": "10"}))
    (root / "page.html").write_text("<html><body><p>no video here</p></body></html>")
    return root


def test_fetch_direct_link_with_sidecar(site, tmp_path, gdm):
    with MediaServer(site) as server:
        result = gdm("fetch", f"{server.url}/match.mp4", "-o", tmp_path, "--quiet")
    assert result.exit_code == 0, result.stderr
    [path] = [line for line in result.stdout.splitlines() if line]
    assert open(path, "rb").read() == (site / "match.mp4").read_bytes()
    sidecar = json.loads((tmp_path / (path.rsplit("/", 1)[1].rsplit(".", 1)[0] + ".info.json")).read_text())
    assert sidecar["title"] == "match" and sidecar["webpage_url"].endswith("/match.mp4")
    assert read_title(path) == "match"


def test_second_fetch_is_skipped_by_the_archive(site, tmp_path, gdm):
    with MediaServer(site) as server:
        gdm("fetch", f"{server.url}/match.mp4", "-o", tmp_path, "--quiet")
        full_downloads = sum(1 for m, p, r in server.requests if m == "GET" and p == "/match.mp4")
        again = gdm("fetch", f"{server.url}/match.mp4", "-o", tmp_path, "--quiet")
        assert again.exit_code == 0 and "already fetched" in again.stdout
        assert sum(1 for m, p, r in server.requests if m == "GET" and p == "/match.mp4") <= full_downloads + 1
    assert len(list(tmp_path.glob("*.mp4"))) == 1


def test_404_unsupported_and_unreachable_each_give_one_line(site, tmp_path, gdm):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with MediaServer(site) as server:
        for url, fragment in [(f"{server.url}/gone.mp4", "404"), (f"{server.url}/page.html", "Unsupported URL"),
                              (f"http://127.0.0.1:{closed_port}/x.mp4", "no network?")]:
            result = gdm("fetch", url, "-o", tmp_path, "--quiet")
            assert result.exit_code == 1
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 2 and fragment in lines[0] and "1 of 1 downloads failed" in lines[1], result.stderr
            assert "Traceback" not in result.stderr


def test_a_bad_entry_does_not_stop_the_others(site, tmp_path, gdm):
    with MediaServer(site) as server:
        result = gdm("fetch", f"{server.url}/gone.mp4", f"{server.url}/match.mp4", "-o", tmp_path, "--quiet")
    assert result.exit_code == 1
    assert result.stdout.strip().endswith(".mp4")
    assert "gone.mp4" in result.stderr and "1 of 2 downloads failed" in result.stderr


def test_interrupted_download_resumes_with_a_range_request(site, tmp_path):
    with MediaServer(site, chunk=16 * 1024, delay_s=0.02) as server:
        url = f"{server.url}/big.mp4"
        cmd = [sys.executable, "-m", "gdm_temporal.app.cli", "fetch", url, "-o", str(tmp_path), "--quiet"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            parts = list(tmp_path.glob("*.part"))
            if parts and parts[0].stat().st_size > 200_000:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kept = list(tmp_path.glob("*.part"))[0].stat().st_size
        assert 0 < kept < (site / "big.mp4").stat().st_size
        server.delay_s = 0.0
        again = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    ranges = [r for m, p, r in server.requests if m == "GET" and p == "/big.mp4" and r]
    assert any(int(r.split("=")[1].split("-")[0]) > 0 for r in ranges), server.requests
    assert open(again.stdout.strip(), "rb").read() == (site / "big.mp4").read_bytes()


def test_local_file_is_linked_not_downloaded(site, tmp_path, gdm):
    result = gdm("fetch", site / "match.mp4", "-o", tmp_path, "--quiet")
    assert result.exit_code == 0
    assert (tmp_path / "match.mp4").read_bytes() == (site / "match.mp4").read_bytes()
    assert read_title(tmp_path / "match.mp4") == "match"
    missing = gdm("fetch", tmp_path / "nope.mp4", "-o", tmp_path / "o", "--quiet")
    assert missing.exit_code == 1 and "nope.mp4: no such file" in missing.stderr


def test_separate_video_and_audio_are_remuxed_without_reencoding(tmp_path):
    video = write_video(tmp_path / "v.mp4", Scenario(duration=3.0, audio=False))
    sound = write_audio_only(tmp_path / "a.m4a", seconds=3.0)
    with av.open(str(video)) as c:
        video_packets = sum(1 for p in c.demux(video=0) if p.dts is not None)
    merged = _remux([video, sound], tmp_path / "both.mkv")
    with av.open(str(merged)) as c:
        assert {s.type for s in c.streams} == {"video", "audio"}
        assert sum(1 for p in c.demux(video=0) if p.dts is not None) == video_packets
    assert not video.exists() and not sound.exists()


def test_inspect_shows_the_fetched_title(site, tmp_path, gdm):
    with MediaServer(site) as server:
        video = gdm("fetch", f"{server.url}/match.mp4", "-o", tmp_path, "--quiet").stdout.strip()
    features = gdm("extract", video, "--weights", "none", "--input-size", "64", "--quiet",
                   "--cache-dir", tmp_path / "c").stdout.strip()
    assert "title               match" in gdm("inspect", features).stdout


def test_playlist_goes_on_past_a_bad_entry_and_lists_it(site, tmp_path, gdm):
    import shutil

    shutil.copy(site / "match.mp4", site / "second.mp4")
    with MediaServer(site) as server:
        items = "".join(f"<item><title>{name}</title><guid>{name}</guid>"
                        f"<enclosure url=\"{server.url}/{name}.mp4\" type=\"video/mp4\"/></item>"
                        for name in ("match", "missing", "second"))
        (site / "feed.xml").write_text(f"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"
                                       f"<title>my streams</title>{items}</channel></rss>")
        result = gdm("fetch", f"{server.url}/feed.xml", "-o", tmp_path, "--quiet")
    assert result.exit_code == 1
    fetched = [line for line in result.stdout.splitlines() if line]
    assert len(fetched) == 2 and all(path.endswith(".mp4") for path in fetched)
    assert "404" in result.stderr and "feed.xml" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("gdm: error: 1 of 3 downloads failed")
