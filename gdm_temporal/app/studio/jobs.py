"""The studio's one background worker: streams are extracted and scored one at a time, and
retraining and rendering wait their turn, so the machine never runs two heavy jobs at once and
the web server always answers at once. Every job reports progress into the shared state."""

from __future__ import annotations

import concurrent.futures
import logging
import queue
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from gdm_features import GdmError
from gdm_features.media import probe

from gdm_temporal.head.checkpoint import load_head
from gdm_temporal.head.data import features_for, open_streams
from gdm_temporal.head.train import TrainSettings, train
from gdm_temporal.highlights.reel import render_clips
from gdm_temporal.highlights.scoreplot import column_peaks
from gdm_temporal.highlights.score import choose_segments, make_scorer, stream_scores
from gdm_temporal.labels.manifest import ManifestRow, holdout_regions
from gdm_temporal.timeline import segments as timeline
from gdm_temporal.timeline.budget import Budget

from .project import Project, Segment, StreamState

log = logging.getLogger("gdm")
PLAYABLE_CODECS = {"h264", "vp8", "vp9", "av1"}
PLAYABLE_CONTAINERS = {".mp4", ".m4v", ".mov", ".webm"}
RETRAIN = TrainSettings(epochs=40, patience=8, seed=0)
# Candidates for review, best first: 8 % of each stream, and at least 30 s (a few to judge).
REVIEW_SHARE, REVIEW_MIN_S = 0.08, 30.0
# A head's candidates for review: with some lead-up, long enough to judge at a glance.
HEAD_REVIEW_SEGMENTS = timeline.SegmentParams(threshold=0.5, hysteresis=0.1, merge_gap=2.0, pre=2.0, post=1.5,
                                              min_len=3.0, max_len=20.0)


class Worker:
    def __init__(self, project: Project, extract_options: dict) -> None:
        self.project = project
        self.extract_options = extract_options
        self.jobs: queue.Queue = queue.Queue()
        self.job = {"kind": None, "progress": 0.0, "detail": ""}  # the running job, for the page
        self.thread = threading.Thread(target=self._loop, name="gdm-studio-worker", daemon=True)
        self.thread.start()

    @property
    def head_path(self) -> Path:
        return self.project.root / "head.pt"

    # -- queue -----------------------------------------------------------------------------
    def submit(self, kind: str, fn: Callable, *args) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.jobs.put((kind, fn, args, future))
        return future

    def _loop(self) -> None:
        while True:
            kind, fn, args, future = self.jobs.get()
            if kind is None:
                return
            self.job = {"kind": kind, "progress": 0.0, "detail": ""}
            try:
                future.set_result(fn(*args))
            except BaseException as exc:  # reported to whoever waits; the worker goes on
                future.set_exception(exc)
            finally:
                self.job = {"kind": None, "progress": 0.0, "detail": ""}

    def stop(self) -> None:
        self.jobs.put((None, None, (), None))

    # -- streams ---------------------------------------------------------------------------
    def add_streams(self, states: list[StreamState]) -> None:
        for state in states:
            state.status, state.progress = "queued", 0.0
            self.submit("stream", self._process, state)

    def _scorer(self):
        """The project's head when it has one (else cold start), loaded once per job."""
        return make_scorer(self.head_path if self.head_path.is_file() else None, {}, None)

    def _process(self, state: StreamState) -> None:
        try:
            scorer = self._scorer()
            self._extract(state, scorer)
            self._score(state, scorer)
            state.media = self._playable(state)
            state.status, state.progress, state.eta_s = "ready", 1.0, None
        except GdmError as exc:
            state.status, state.error = "error", str(exc)
        except Exception as exc:  # a bug must not kill the worker: one line in the page
            log.exception("studio: %s failed", state.name)
            state.status, state.error = "error", f"{type(exc).__name__}: {exc}"

    def _extract(self, state: StreamState, scorer) -> None:
        state.status, state.progress, state.error = "extracting", 0.0, None
        state.duration = probe(state.path).duration_s

        def moved(done: int, total: int | None, realtime: float) -> None:
            if total:
                state.progress = min(1.0, done / total)
                state.realtime = round(realtime, 2)
                state.eta_s = round((total - done) / state.fps / realtime, 1) if realtime > 0 else None

        # Cached features of any backbone when none was asked for, else extracted (with progress).
        options = scorer.extract_options(self.extract_options) | {"on_progress": moved}
        with features_for(state.path, options, progress=False) as features:
            state.features = Path(features.path)

    def _score(self, state: StreamState, scorer) -> None:
        state.status, state.progress = "scoring", 0.0
        try:
            scores, fps, duration, *_ = stream_scores(state.features, scorer, {}, progress=False)
        except GdmError as exc:
            if scorer.head is None:
                raise
            log.warning("%s: %s; scored by cold start instead", state.name, exc)
            scorer = make_scorer(None, {}, None)
            scores, fps, duration, *_ = stream_scores(state.features, scorer, {}, progress=False)
        # Candidates by budget with a head too: a reviewer always gets something to judge.
        budget = Budget(seconds=max(REVIEW_SHARE * duration, REVIEW_MIN_S))
        review = replace(scorer, budget=budget, params=HEAD_REVIEW_SEGMENTS if scorer.head is not None
                         else scorer.params)
        chosen, _, _ = choose_segments(scores, fps, duration, review)
        state.fps, state.duration, state.scores = fps, duration, scores.tolist()
        self.project.set_candidates(state, [Segment(s.start, s.end, s.peak, "candidate") for s in chosen])

    def _playable(self, state: StreamState) -> Path:
        """The video itself where the browser plays it, else an H.264/AAC proxy made once."""
        info = probe(state.path)
        if state.path.suffix.lower() in PLAYABLE_CONTAINERS and info.video_codec in PLAYABLE_CODECS:
            return state.path
        proxy = self.project.state_dir / "proxy" / f"{Path(state.name).stem}.mp4"
        if not proxy.is_file():
            state.status, state.progress = "scoring", 0.0
            whole = timeline.Segment(0.0, state.duration or info.duration_s or 0.0, 0.0, 0.0, 0.0)
            render_clips([(state.path, whole)], proxy, fade_s=0.0, progress=False)
        return proxy

    # -- retrain ---------------------------------------------------------------------------
    def retrain(self) -> dict:
        started = time.perf_counter()
        with self.project.lock:
            reviewed = [s for s in self.project.streams.values() if s.reviewed and s.features is not None]
        if not reviewed:
            raise ValueError("review a stream first: accept or reject some of its segments")
        if not any(seg.status == "accepted" for s in reviewed for seg in s.segments):
            raise ValueError("accept at least one highlight before retraining")
        before = None
        if self.head_path.is_file():
            before = load_head(self.head_path)[1].get("validation", {}).get("frame")
        rows = [ManifestRow(s.features, self.project.labels_path(s), None, s.name) for s in reviewed]
        streams = open_streams(rows, progress=False)
        regions = holdout_regions([st.targets for st in streams])
        self.job["detail"] = f"training on {len(streams)} reviewed streams"
        config = train(streams, regions, RETRAIN, self.head_path, log=lambda line: None)
        scorer = self._scorer()
        rescored = []
        for state in list(self.project.streams.values()):
            if not state.reviewed and state.features is not None and state.status == "ready":
                self.job["detail"] = f"rescoring {state.name}"
                self._score(state, scorer)
                state.status = "ready"
                rescored.append(state.id)
        return {"seconds": round(time.perf_counter() - started, 2), "streams": len(streams),
                "validation": {"before": before, "after": config["validation"]["frame"]}, "rescored": rescored}

    # -- render ----------------------------------------------------------------------------
    def render(self, items: list[tuple[str, int]], name: str) -> Path:
        clips = []
        for stream_id, n in items:
            state = self.project.get(stream_id)
            ordered = state.ordered()
            if not 1 <= n <= len(ordered):
                raise ValueError(f"{state.name} has no segment {n}")
            s = ordered[n - 1]
            clips.append((state.path, timeline.Segment(s.start, s.end, s.score or 0.0, s.score or 0.0, s.start)))
        if not clips:
            raise ValueError("nothing to render: accept some segments first")
        output = self.project.root / f"{name}.reel.mp4"

        def moved(done: int, total: int | None, realtime: float) -> None:
            self.job["progress"] = done / total if total else 0.0
            self.job["detail"] = f"{realtime:.1f}x realtime"

        render_clips(clips, output, progress=False, on_progress=moved)
        return output


def downsample(scores: list[float], points: int = 2000) -> list[float]:
    """At most `points` values (the max of each bucket) for the page's timeline."""
    if len(scores) <= points:
        return [round(float(v), 4) for v in scores]
    return [round(float(v), 4) for v in column_peaks(scores, points)]
