"""`gdm demo`: records Atari Breakout with ale-py (`atari.py`), labels the lost lives, and runs the
real pipeline over it (`run.py`). App code: it drives both stages and is imported by neither."""
