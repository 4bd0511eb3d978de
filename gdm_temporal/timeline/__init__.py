"""The maths of a stream's timeline, pure functions over numbers and numpy arrays (no I/O, no
torch): highlight intervals and step masks (`intervals`), per-step scores to segments
(`segments`), and the evaluation metrics (`metrics`). Everything else in stage two builds on it.
"""
