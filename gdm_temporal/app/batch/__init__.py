"""`gdm batch`: many streams through fetch -> extract -> score on Ray, locally or on a cluster.

- `sources`: what the user typed (paths, globs, URLs, list files) -> one work item each;
- `work`: the work of one item as plain functions of small inputs (no Ray in them): fetch a URL,
  process one video; idempotent, because stage one's cache keys make a retry a resume;
- `runner`: the Ray driver: tasks with resources and retries, progress, the final report.
"""
