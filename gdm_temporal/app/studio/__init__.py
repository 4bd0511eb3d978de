"""`gdm studio`: a local web app over a project folder, where a streamer reviews candidates, fixes
them, teaches the head and renders the compilation.

- `project`: the folder's streams, their review state, and the files it is kept in;
- `jobs`: the one background worker (extract, score, retrain, render) and its progress;
- `server`: the JSON API and the page (Starlette), with its safety rules;
- `page/`: the page itself, plain HTML, CSS and JS (no build step).
The page is one client of the JSON API; tests and scripts are others.
"""
