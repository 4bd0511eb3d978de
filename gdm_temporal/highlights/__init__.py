"""Highlights: from per-step scores to what a streamer keeps.

- `score`: a stream in (head or cold start), `segments.json` and the score picture out;
- `coldstart`: scores without any labels (audio excitement, visual novelty);
- `exports`: the segments document and its formats (CSV, chapters, EDL, ffconcat, v1, OTIO);
- `reel`: the rendered MP4;
- `scoreplot`: the score-over-time picture.
"""
